"""What the training scripts share: loading the policy, its processor and the exported data."""

from pathlib import Path

TRAIN_MIN_PIXELS = 56 * 56
TRAIN_MAX_PIXELS = 280 * 280  # the paper trained on images resized to 280x280


def load_policy(model_args, trust_remote_code: bool = False):
    """(model, processor) for a Qwen2.5-VL checkpoint, or (model, tokenizer) for a text LM."""
    import torch

    from longwriter_v.models.local_engine import load_pretrained

    dtype = model_args.dtype
    model, processor, _ = load_pretrained(
        model_args.model_name_or_path,
        TRAIN_MIN_PIXELS,
        TRAIN_MAX_PIXELS,
        hub={"revision": model_args.model_revision, "trust_remote_code": trust_remote_code},
        dtype=dtype if dtype in (None, "auto") else getattr(torch, dtype),
        attn_implementation=model_args.attn_implementation,
    )
    return model, processor


def training_processor(source: str):
    """The processor with the pixel limits training uses (to count a row's tokens as trained)."""
    from longwriter_v.models.qwen_processor import load_processor

    return load_processor(source, TRAIN_MIN_PIXELS, TRAIN_MAX_PIXELS)


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


def train_with(trainer_class, script_args, training_args, model_args, **extra):
    """Build a TRL trainer on the policy, its processor and the data; train (resuming when
    asked), save, push when asked; return the trainer. `extra` goes to the trainer."""
    from trl import get_peft_config

    model, processor = load_policy(model_args, training_args.trust_remote_code)
    dataset = load_data(script_args)
    trainer = trainer_class(
        model=model,
        args=training_args,
        train_dataset=dataset[script_args.dataset_train_split],
        processing_class=processor,
        peft_config=get_peft_config(model_args),
        **extra,
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model(training_args.output_dir)
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=script_args.dataset_name)
    return trainer


def parse(script_class, config_class, argv: list[str] | None):
    """(script args, training config, model config) from the command line and --config YAML."""
    from trl import ModelConfig, TrlParser

    return TrlParser((script_class, config_class, ModelConfig)).parse_args_and_config(args=argv)
