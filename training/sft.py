"""Supervised fine-tuning of Qwen2.5-VL on exported writer runs, shaped like TRL's sft.py.

    accelerate launch --config_file training/accelerate/zero3.yaml \
        -m longwriter_v.training.sft --config training/recipes/sft-longwriter-v-7b.yaml
"""


def train(script_args, training_args, model_args):
    from trl import SFTTrainer, get_peft_config

    from longwriter_v.training.common import load_data, load_policy, run

    training_args.max_length = None  # truncating vision rows would cut image tokens
    model, processor = load_policy(model_args, training_args.trust_remote_code)
    dataset = load_data(script_args)
    trainer = SFTTrainer(
        model=model,
        args=training_args,
        train_dataset=dataset[script_args.dataset_train_split],
        processing_class=processor,
        peft_config=get_peft_config(model_args),
    )
    return run(trainer, script_args, training_args)


def main(argv: list[str] | None = None):
    from trl import ScriptArguments, SFTConfig

    from longwriter_v.training.common import parse

    return train(*parse(ScriptArguments, SFTConfig, argv))


if __name__ == "__main__":
    main()
