"""LongWriter-Zero-style reinforcement learning with TRL's GRPOTrainer: length, format and an
optional judge reward.

    accelerate launch --config_file training/accelerate/zero3.yaml \
        -m longwriter_v.training.grpo --config training/recipes/grpo-length.yaml
"""

from dataclasses import dataclass, field

from trl import ScriptArguments


@dataclass
class RewardArguments(ScriptArguments):
    rewards: list[str] = field(
        default_factory=lambda: ["length", "format"],
        metadata={"help": "rewards to sum: length, format, judge"},
    )
    judge_model: str | None = field(
        default=None, metadata={"help": "model spec for the judge reward, e.g. openai:gpt-4o"}
    )


def reward_functions(args: RewardArguments) -> list:
    from longwriter_v.training.rewards import format_reward, judge_reward, length_reward

    chosen = {"length": length_reward, "format": format_reward}
    if "judge" in args.rewards:
        if not args.judge_model:
            raise ValueError("the judge reward needs --judge_model <model spec>")
        chosen["judge"] = judge_reward(args.judge_model)
    unknown = set(args.rewards) - {"length", "format", "judge"}
    if unknown:
        raise ValueError(f"unknown rewards {sorted(unknown)}; choose from length, format, judge")
    return [chosen[name] for name in args.rewards]


def train(script_args, training_args, model_args):
    from trl import GRPOTrainer

    from longwriter_v.training.common import train_with

    rewards = reward_functions(script_args)
    return train_with(GRPOTrainer, script_args, training_args, model_args, reward_funcs=rewards)


def main(argv: list[str] | None = None):
    from trl import GRPOConfig

    from longwriter_v.training.common import parse

    return train(*parse(RewardArguments, GRPOConfig, argv))


if __name__ == "__main__":
    main()
