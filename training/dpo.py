"""DPO of an SFT'd Qwen2.5-VL on exported preference pairs, shaped like TRL's dpo.py.

    accelerate launch --config_file training/accelerate/zero3.yaml \
        -m longwriter_v.training.dpo --config training/recipes/dpo-longwriter-v-7b.yaml
"""


def train(script_args, training_args, model_args):
    from trl import DPOTrainer

    from longwriter_v.training.common import load_policy, train_with

    training_args.max_length = None  # truncating vision rows would cut image tokens
    # The reference is the starting checkpoint, loaded apart (with LoRA: the adapter-free base).
    reference = None
    if not model_args.use_peft:
        reference = load_policy(model_args, training_args.trust_remote_code)[0]
    return train_with(DPOTrainer, script_args, training_args, model_args, ref_model=reference)


def main(argv: list[str] | None = None):
    from trl import DPOConfig, ScriptArguments

    from longwriter_v.training.common import parse

    return train(*parse(ScriptArguments, DPOConfig, argv))


if __name__ == "__main__":
    main()
