"""DPO of an SFT'd Qwen2.5-VL on exported preference pairs, shaped like TRL's dpo.py.

    accelerate launch --config_file training/accelerate/zero3.yaml \
        -m longwriter_v.training.dpo --config training/recipes/dpo-longwriter-v-7b.yaml
"""


def train(script_args, training_args, model_args):
    from trl import DPOTrainer, get_peft_config

    from longwriter_v.training.common import load_data, load_policy, run

    training_args.max_length = None  # truncating vision rows would cut image tokens
    model, processor = load_policy(model_args, training_args.trust_remote_code)
    peft_config = get_peft_config(model_args)
    # The reference is the starting checkpoint, loaded apart (with LoRA: the adapter-free base).
    ref_model = None if peft_config else load_policy(model_args, training_args.trust_remote_code)[0]
    dataset = load_data(script_args)
    trainer = DPOTrainer(
        model=model,
        ref_model=ref_model,
        args=training_args,
        train_dataset=dataset[script_args.dataset_train_split],
        processing_class=processor,
        peft_config=peft_config,
    )
    return run(trainer, script_args, training_args)


def main(argv: list[str] | None = None):
    from trl import DPOConfig, ScriptArguments

    from longwriter_v.training.common import parse

    return train(*parse(ScriptArguments, DPOConfig, argv))


if __name__ == "__main__":
    main()
