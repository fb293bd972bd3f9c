"""What the training scripts share: loading the policy, its processor and the exported data."""

from pathlib import Path

TRAIN_MAX_PIXELS = 280 * 280  # the paper trained on images resized to 280x280


def load_policy(model_args, trust_remote_code: bool = False):
    """(model, processor) for a Qwen2.5-VL checkpoint, or (model, tokenizer) for a text LM."""
    import torch
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoModelForImageTextToText,
        AutoTokenizer,
    )

    from longwriter_v.models.qwen_processor import load_processor

    path = model_args.model_name_or_path
    hub = {"revision": model_args.model_revision, "trust_remote_code": trust_remote_code}
    dtype = (
        model_args.dtype if model_args.dtype in (None, "auto") else getattr(torch, model_args.dtype)
    )
    kwargs = {"dtype": dtype, "attn_implementation": model_args.attn_implementation, **hub}
    if hasattr(AutoConfig.from_pretrained(path, **hub), "vision_config"):
        model = AutoModelForImageTextToText.from_pretrained(path, **kwargs)
        processor = load_processor(path, 3136, TRAIN_MAX_PIXELS, **hub)
    else:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        processor = AutoTokenizer.from_pretrained(path, **hub)
    return model, processor


def load_data(script_args):
    """A DatasetDict from `longwriter-v export` output (a folder, parquet or JSONL) or the Hub."""
    from datasets import DatasetDict, load_dataset, load_from_disk

    name = Path(script_args.dataset_name)
    if (name / "data").is_dir():
        return DatasetDict({script_args.dataset_train_split: load_from_disk(str(name / "data"))})
    for file, builder in (("data.parquet", "parquet"), ("data.jsonl", "json")):
        if (name / file).is_file():
            return load_dataset(
                builder, data_files={script_args.dataset_train_split: str(name / file)}
            )
    return load_dataset(script_args.dataset_name, name=script_args.dataset_config)


def run(trainer, script_args, training_args):
    """Train (resuming when asked), save, and push when asked; return the trainer."""
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model(training_args.output_dir)
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=script_args.dataset_name)
    return trainer


def parse(script_class, config_class, argv: list[str] | None):
    """(script args, training config, model config) from the command line and --config YAML."""
    from trl import ModelConfig, TrlParser

    return TrlParser((script_class, config_class, ModelConfig)).parse_args_and_config(args=argv)
