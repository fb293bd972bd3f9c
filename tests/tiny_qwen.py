"""Build a tiny random-weight Qwen2.5-VL checkpoint offline, laid out like a real one on the hub.

The directory holds config.json, safetensors weights, a byte-level BPE tokenizer trained here with
the Qwen special tokens, a Qwen-style chat template and the Qwen2-VL image processor config, so
`from_pretrained` on it runs the same loading code a real checkpoint does. Its text is junk.
"""

import json
import tempfile
from functools import lru_cache
from pathlib import Path

SPECIALS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# Qwen's chat layout: a default system turn, <|im_start|>role ... <|im_end|>, and one
# <|vision_start|><|image_pad|><|vision_end|> run per image block.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for block in message['content'] %}"
    "{% if block['type'] == 'image' or 'image' in block or 'image_url' in block %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif block['type'] == 'video' or 'video' in block %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in block %}{{ block['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

CORPUS = [
    "The slides show a harbour at dawn, fishing boats and a lighthouse on the cliff.",
    "Write a long travel essay of 2000 words about the photographs in this deck.",
    "Section one introduces the city; section two describes the market and its food.",
    "写一篇关于这些图片的文章，不少于三千字。图表显示了销售额的增长。",
    "Quarterly revenue rose by twelve percent while costs fell in every region.",
]

MIN_PIXELS = 28 * 28 * 4
MAX_PIXELS = 28 * 28 * 64


def train_tokenizer(vocab_size: int = 500):
    """A byte-level BPE tokenizer with the Qwen special tokens, as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS * 20, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE,
        padding_side="left",
    )


def qwen_config(tokenizer, text: dict | None = None, vision: dict | None = None):
    """A Qwen2.5-VL config whose special token ids are the tokenizer's; tiny unless overridden."""
    from transformers import Qwen2_5_VLConfig

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIALS}
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        # head_dim 16: the three mrope sections must sum to head_dim / 2
        "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3]},
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "bos_token_id": ids["<|endoftext|>"],
    } | (text or {})
    vision_config = {
        "depth": 2,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_heads": 2,
        "out_hidden_size": text_config["hidden_size"],
        "fullatt_block_indexes": [1],
    } | (vision or {})
    return Qwen2_5_VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
    )


def save_processor_files(path: Path, tokenizer) -> None:
    """Tokenizer, chat template and image processor config, named as in a real checkpoint."""
    tokenizer.save_pretrained(path)
    (path / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "image_processor_type": "Qwen2VLImageProcessor",
                "processor_class": "Qwen2_5_VLProcessor",
                "min_pixels": MIN_PIXELS,
                "max_pixels": MAX_PIXELS,
                "patch_size": 14,
                "temporal_patch_size": 2,
                "merge_size": 2,
                "image_mean": [0.48145466, 0.4578275, 0.40821073],
                "image_std": [0.26862954, 0.26130258, 0.27577711],
            }
        )
    )


def build_tiny_qwen(path: Path, seed: int = 0) -> Path:
    """Write a tiny random Qwen2.5-VL checkpoint to `path` and return it."""
    import torch
    from transformers import GenerationConfig, Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(seed)
    tokenizer = train_tokenizer()
    config = qwen_config(tokenizer)
    model = Qwen2_5_VLForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id
    )
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    save_processor_files(path, tokenizer)
    return path


def build_tiny_text_lm(path: Path, seed: int = 0) -> Path:
    """A tiny text-only causal LM (Qwen2 architecture) with the same tokenizer."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    tokenizer = train_tokenizer()
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    path.mkdir(parents=True, exist_ok=True)
    Qwen2ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@lru_cache(maxsize=1)
def tiny_qwen_dir() -> Path:
    """The session's tiny Qwen2.5-VL checkpoint, built once per process."""
    return build_tiny_qwen(Path(tempfile.mkdtemp(prefix="tiny-qwen25vl-")))


@lru_cache(maxsize=1)
def tiny_text_lm_dir() -> Path:
    """The session's tiny text-only causal LM, built once per process."""
    return build_tiny_text_lm(Path(tempfile.mkdtemp(prefix="tiny-text-lm-")))
