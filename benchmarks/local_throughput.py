"""Throughput and time to first token of the in-process backend (and of vLLM when installed).

    python -m benchmarks.local_throughput --size 7b --tokens 256 --concurrency 8   # on a GPU
    python -m benchmarks.local_throughput --size tiny                              # anywhere

With no real weights at hand, the checkpoint is a randomly initialised Qwen2.5-VL with the real
7B shapes (or the tiny test shapes), saved to a temporary directory and loaded through the same
`transformers:` spec users give, so the timings are those of the real architecture. Every target
gets the same prompt: four 1024x768 slides and a writing instruction.

Figures: one request streamed alone (time to first token, decode tokens/s); `concurrency`
requests one after another (the baseline); the same requests at once (batched by the engine).
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import torch

from longwriter_v.models.local import LocalChatModel
from tests.conftest import draw_slide
from tests.tiny_qwen import qwen_config, save_processor_files, train_tokenizer

# Qwen2.5-VL-7B-Instruct's published shapes.
SIZES = {
    "tiny": ({}, {}),
    "7b": (
        {
            "vocab_size": 152064,
            "hidden_size": 3584,
            "intermediate_size": 18944,
            "num_hidden_layers": 28,
            "num_attention_heads": 28,
            "num_key_value_heads": 4,
            "max_position_embeddings": 128000,
            "rms_norm_eps": 1e-6,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 1000000.0,
                "mrope_section": [16, 24, 24],
            },
        },
        {
            "depth": 32,
            "hidden_size": 1280,
            "intermediate_size": 3420,
            "num_heads": 16,
            "out_hidden_size": 3584,
            "fullatt_block_indexes": [7, 15, 23, 31],
        },
    ),
}
INSTRUCTION = "Write a 10000-word lecture script that walks through these slides one by one."


def build_checkpoint(size: str, path: Path) -> Path:
    """Save a random-weight Qwen2.5-VL of the given shapes, initialised on the GPU when there."""
    from transformers import Qwen2_5_VLForConditionalGeneration

    tokenizer = train_tokenizer()
    text, vision = SIZES[size]
    config = qwen_config(tokenizer, text, vision)
    cuda = torch.cuda.is_available()
    with torch.device("cuda" if cuda else "cpu"):
        model = Qwen2_5_VLForConditionalGeneration._from_config(
            config, dtype=torch.bfloat16 if cuda else torch.float32
        )
    model.save_pretrained(path)
    save_processor_files(path, tokenizer)
    return path


def prompt(slides: list[Path]):
    from langchain_core.messages import HumanMessage

    blocks = [{"type": "image_url", "image_url": {"url": f"file://{p}"}} for p in slides]
    return [HumanMessage([*blocks, {"type": "text", "text": INSTRUCTION}])]


async def measure_wrapper(model: LocalChatModel, messages, concurrency: int) -> dict:
    await model.ainvoke(messages, max_tokens=4)  # load and warm up
    start = time.perf_counter()
    first, last = None, None
    async for chunk in model.astream(messages):
        first = first or time.perf_counter()
        last = chunk
    total = time.perf_counter() - start
    out = last.usage_metadata["output_tokens"]
    solo = {
        "ttft_s": round(first - start, 4),
        "decode_tokens_per_s": round((out - 1) / max(total - (first - start), 1e-9), 1),
        "input_tokens": last.usage_metadata["input_tokens"],
        "output_tokens": out,
    }
    start, produced = time.perf_counter(), 0
    for _ in range(concurrency):
        produced += (await model.ainvoke(messages)).usage_metadata["output_tokens"]
    one_by_one = produced / (time.perf_counter() - start)
    start = time.perf_counter()
    replies = await asyncio.gather(*(model.ainvoke(messages) for _ in range(concurrency)))
    together = sum(r.usage_metadata["output_tokens"] for r in replies) / (
        time.perf_counter() - start
    )
    return solo | {
        "sequential_tokens_per_s": round(one_by_one, 1),
        "batched_tokens_per_s": round(together, 1),
        "batching_speedup": round(together / one_by_one, 2),
        "batch_sizes": dict(model.engine.batch_sizes),
    }


def measure_vllm(path: Path, model: LocalChatModel, messages, tokens: int, n: int) -> dict | None:
    """The same prompt through vLLM's offline engine; None without vLLM or a GPU."""
    if not torch.cuda.is_available():
        return None
    try:
        from vllm import LLM, SamplingParams
    except ImportError:
        return None
    engine = model.engine
    from longwriter_v.models.local_messages import to_prompt

    converted = to_prompt(
        messages, vision=True, min_pixels=model.min_pixels, max_pixels=model.max_pixels, model="v"
    )
    text = engine.processor.apply_chat_template(
        converted.conversation, tokenize=False, add_generation_prompt=True
    )
    llm = LLM(
        model=str(path),
        limit_mm_per_prompt={"image": len(converted.images)},
        max_model_len=16384,
        gpu_memory_utilization=0.45,  # the wrapper's copy is still loaded
    )
    request = {"prompt": text, "multi_modal_data": {"image": converted.images}}

    def run(max_tokens: int, count: int) -> float:
        params = SamplingParams(temperature=0.6, top_p=0.95, max_tokens=max_tokens, ignore_eos=True)
        start = time.perf_counter()
        llm.generate([request] * count, params, use_tqdm=False)
        return time.perf_counter() - start

    run(4, 1)  # warm up
    ttft, solo = run(1, 1), run(tokens, 1)
    together = run(tokens, n)
    return {
        "ttft_s": round(ttft, 4),
        "decode_tokens_per_s": round((tokens - 1) / max(solo - ttft, 1e-9), 1),
        "batched_tokens_per_s": round(n * tokens / together, 1),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--tokens", type=int, default=256, help="new tokens per reply")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = build_checkpoint(args.size, tmp / "model")
        slides = [draw_slide(tmp / f"s{i}.png", i, size=(1024, 768)) for i in range(1, 5)]
        messages = prompt(slides)
        model = LocalChatModel(
            model=str(path), max_tokens=args.tokens, max_batch=args.concurrency, temperature=0.6
        )
        result = {
            "size": args.size,
            "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
            "dtype": str(model.engine.model.dtype),
            "attention": model.engine.model.config._attn_implementation,
            "tokens": args.tokens,
            "concurrency": args.concurrency,
            "wrapper": asyncio.run(measure_wrapper(model, messages, args.concurrency)),
            "vllm": measure_vllm(path, model, messages, args.tokens, args.concurrency),
        }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
