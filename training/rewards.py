"""Reward functions for GRPO in TRL's signature: `(completions, **columns) -> list[float]`.

Prompts carry their required length in a `required_words` column, or in their text (parsed
with the writer graph's own parser). Rewards are in [0, 1].
"""

import re

from longwriter_v.evals.metrics import count_words, length_score
from longwriter_v.nodes.required_length import parse_required_length


def _text(message) -> str:
    """The text of a completion or prompt, conversational or plain."""
    if isinstance(message, str):
        return message
    turn = message[-1]["content"]
    return turn if isinstance(turn, str) else "".join(b.get("text") or "" for b in turn)


def _required(prompts, columns: dict) -> list[int | None]:
    given = columns.get("required_words") or [None] * len(prompts)
    return [r or parse_required_length(_text(p)) for p, r in zip(prompts, given, strict=True)]


def length_reward(prompts, completions, **columns) -> list[float]:
    """The benchmark's length score S_l of each completion against its required length."""
    return [
        length_score(count_words(_text(c)), r) / 100 if r else 0.0
        for c, r in zip(completions, _required(prompts, columns), strict=True)
    ]


def format_reward(prompts, completions, **columns) -> list[float]:
    """Headings when the piece is long enough to need sections, and no repeated paragraphs."""
    rewards = []
    for c, required in zip(completions, _required(prompts, columns), strict=True):
        text = _text(c)
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        repeated = 1 - len(set(paragraphs)) / len(paragraphs) if paragraphs else 1.0
        wants_headings = (required or 0) >= 1500
        missing = wants_headings and not re.search(r"^#{1,3} \S", text, re.MULTILINE)
        rewards.append(max(0.0, 1.0 - repeated - 0.5 * missing))
    return rewards


JUDGE_PROMPT = (
    "Rate how well the response fulfils the writing request: relevance, accuracy, coherence, "
    "clarity, depth and reading experience. Ignore its length. Be strict. Answer with one "
    "integer from 1 to 10 and nothing else.\n\nRequest:\n{prompt}\n\nResponse:\n{response}"
)


def judge_reward(spec: str):
    """A reward asking any chat model spec for a 1..10 grade (unreadable replies score 0)."""
    from longwriter_v.models.factory import ModelOptions, create_chat_model

    model = create_chat_model(spec, ModelOptions(temperature=0.0, max_tokens=8))

    def reward(prompts, completions, **columns) -> list[float]:
        asks = [
            JUDGE_PROMPT.format(prompt=_text(p), response=_text(c))
            for p, c in zip(prompts, completions, strict=True)
        ]
        replies = model.batch(asks)
        grades = [re.search(r"\b(10|[1-9])\b", r.text) for r in replies]
        return [int(g.group(1)) / 10 if g else 0.0 for g in grades]

    reward.__name__ = "judge_reward"
    return reward
