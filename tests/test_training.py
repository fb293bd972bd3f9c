"""Exported datasets trained by TRL itself, on the tiny Qwen2.5-VL (SFT, DPO) and the tiny text
LM (GRPO): the loss is finite and the weights move."""

import math

import pytest

pytest.importorskip("trl")
pytest.importorskip("torch")

from longwriter_v.training.export import Options, export  # noqa: E402
from longwriter_v.training.traces import read_states  # noqa: E402

CPU = [
    "--use_cpu", "true",
    "--bf16", "false",
    "--dtype", "float32",
    "--gradient_checkpointing", "false",
    "--report_to", "none",
    "--save_strategy", "no",
    "--logging_steps", "1",
    "--learning_rate", "1e-3",
    "--per_device_train_batch_size", "1",
]  # fmt: skip


def moved(trainer, checkpoint) -> bool:
    """Whether any trained weight differs from the checkpoint it started from."""
    import torch
    from safetensors.torch import load_file

    start = load_file(str(checkpoint / "model.safetensors"))
    trained = trainer.model.state_dict()
    return any(
        not torch.equal(trained[name].cpu(), tensor)
        for name, tensor in start.items()
        if name in trained
    )


def losses(trainer) -> list[float]:
    return [h["loss"] for h in trainer.state.log_history if "loss" in h]


@pytest.mark.parametrize("kind", ["sft", "dpo"])
async def test_trl_trains_two_steps_on_the_exported_rows(kind, runs_db, tmp_path, tiny_qwen):
    """SFT on the documents; DPO on the cumulative segment pairs."""
    import importlib

    main = importlib.import_module(f"longwriter_v.training.{kind}").main
    export(read_states(db=str(runs_db)), tmp_path / kind, Options(kind=kind))
    trainer = main(
        ["--model_name_or_path", str(tiny_qwen), "--dataset_name", str(tmp_path / kind),
         "--output_dir", str(tmp_path / "out"), "--max_steps", "2", *CPU]
    )  # fmt: skip
    assert trainer.state.global_step == 2
    assert len(losses(trainer)) == 2 and all(math.isfinite(x) for x in losses(trainer))
    assert moved(trainer, tiny_qwen)


def test_grpo_takes_a_step_with_the_length_reward(tmp_path, tiny_text_lm):
    from datasets import Dataset

    from longwriter_v.training.grpo import main

    prompts = [[{"role": "user", "content": f"Write a {n}-word story."}] for n in (20, 40)]
    Dataset.from_dict({"prompt": prompts * 2}).save_to_disk(str(tmp_path / "prompts" / "data"))
    trainer = main(
        ["--model_name_or_path", str(tiny_text_lm), "--dataset_name", str(tmp_path / "prompts"),
         "--output_dir", str(tmp_path / "out"), "--max_steps", "1", "--rewards", "length",
         "--num_generations", "2", "--max_completion_length", "12", *CPU,
         "--per_device_train_batch_size", "2"]
    )  # fmt: skip
    assert trainer.state.global_step == 1
    logged = trainer.state.log_history[0]
    assert "rewards/length_reward/mean" in logged and math.isfinite(logged["loss"])


RECIPES = {
    "sft-longwriter-v-7b": ("sft", {"learning_rate": 1e-5, "num_train_epochs": 3}, 16),
    "dpo-longwriter-v-7b": ("dpo", {"learning_rate": 3e-6, "num_train_epochs": 3}, 64),
    "sft-lora-1gpu": ("sft", {"learning_rate": 1e-4}, 16),
    "dpo-lora-1gpu": ("dpo", {"learning_rate": 5e-6}, 64),
    "grpo-length": ("grpo", {"num_generations": 8}, 8),
}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipes_parse_to_their_settings(name):
    """Each YAML recipe parses with TRL's own parser; the paper's batch sizes assume 8 GPUs
    (zero3.yaml), the LoRA ones one GPU."""
    from pathlib import Path

    from trl import DPOConfig, GRPOConfig, ModelConfig, ScriptArguments, SFTConfig, TrlParser

    from longwriter_v.training.grpo import RewardArguments

    kind, expected, total_batch = RECIPES[name]
    script, config = {
        "sft": (ScriptArguments, SFTConfig),
        "dpo": (ScriptArguments, DPOConfig),
        "grpo": (RewardArguments, GRPOConfig),
    }[kind]
    recipe = Path(__file__).parents[1] / "training" / "recipes" / f"{name}.yaml"
    script_args, args, model_args = TrlParser((script, config, ModelConfig)).parse_args_and_config(
        args=["--config", str(recipe), "--bf16", "false", "--use_cpu", "true"]
    )
    assert {k: getattr(args, k) for k in expected} == expected
    gpus = 1 if "1gpu" in name or kind == "grpo" else 8
    assert gpus * args.per_device_train_batch_size * args.gradient_accumulation_steps == total_batch
    assert args.lr_scheduler_type == "cosine" and args.warmup_steps == 0.1
    assert args.gradient_checkpointing
    assert model_args.dtype == "bfloat16" and script_args.dataset_name.startswith("runs/")
    if kind == "grpo":
        assert script_args.rewards == ["length", "format"]


@pytest.mark.gpu
async def test_sft_and_dpo_in_bf16_with_gradient_checkpointing_on_a_gpu(
    runs_db, tmp_path, tiny_qwen
):
    from longwriter_v.training.dpo import main as dpo
    from longwriter_v.training.sft import main as sft

    gpu = ["--bf16", "true", "--dtype", "bfloat16", "--gradient_checkpointing", "true",
           "--report_to", "none", "--save_strategy", "no", "--logging_steps", "1",
           "--per_device_train_batch_size", "1", "--max_steps", "2"]  # fmt: skip
    for kind, main in (("sft", sft), ("dpo", dpo)):
        export(read_states(db=str(runs_db)), tmp_path / kind, Options(kind=kind))
        trainer = main(
            ["--model_name_or_path", str(tiny_qwen), "--dataset_name", str(tmp_path / kind),
             "--output_dir", str(tmp_path / f"out-{kind}"), *gpu]
        )  # fmt: skip
        assert trainer.model.dtype.__str__() == "torch.bfloat16"
        assert all(math.isfinite(x) for x in losses(trainer)) and trainer.state.global_step == 2
