"""Length metrics with exactly the semantics of the LongBench-Write family of benchmarks."""

import re
from typing import Literal

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"\b[a-zA-Z]+\b")

LengthFormula = Literal["paper", "released"]


def count_words(text: str) -> int:
    """Count words as the benchmarks do: one per CJK ideograph plus one per Latin-letter word.

    Digits and mixed tokens count nothing ("GPT4o" is 0, "don't" is 2).
    """
    return len(_CJK.findall(text)) + len(_LATIN_WORD.findall(text))


def length_score(output_words: int, required_words: int, formula: LengthFormula = "paper") -> float:
    """Score an output length against the required one, 0..100.

    `paper` is eq. 6 of the LongWriter-V paper: too long loses a third per extra
    multiple, too short loses half per missing multiple. `released` is the
    formula as the released LongWriter-V evaluation code computes it (the two
    penalties swapped), offered so published numbers can be compared.
    """
    if formula not in ("paper", "released"):
        raise ValueError(f"unknown length formula {formula!r}: use 'paper' or 'released'")
    o, r = max(output_words, 2), max(required_words, 2)
    long_div, short_div = (3, 2) if formula == "paper" else (2, 3)
    if o > r:
        return 100 * max(0.0, 1 - (o / r - 1) / long_div)
    return 100 * max(0.0, 1 - (r / o - 1) / short_div)
