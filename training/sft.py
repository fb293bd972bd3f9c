"""Supervised fine-tuning of Qwen2.5-VL on exported writer runs, shaped like TRL's sft.py.

    accelerate launch --config_file training/accelerate/zero3.yaml \
        -m longwriter_v.training.sft --config training/recipes/sft-longwriter-v-7b.yaml
"""


def train(script_args, training_args, model_args):
    from trl import SFTTrainer

    from longwriter_v.training.common import train_with

    training_args.max_length = None  # truncating vision rows would cut image tokens
    return train_with(SFTTrainer, script_args, training_args, model_args)


def main(argv: list[str] | None = None):
    from trl import ScriptArguments, SFTConfig

    from longwriter_v.training.common import parse

    return train(*parse(ScriptArguments, SFTConfig, argv))


if __name__ == "__main__":
    main()
