import pytest

from longwriter_v.evals.metrics import count_words, length_score


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The quick brown fox", 4),
        ("GPT4o", 0),
        ("don't", 2),
        ("2024 was 12% better", 2),
        ("你好世界", 4),
        ("中文 and English 混合", 6),
        ("中文abc", 2),  # no word boundary between an ideograph and Latin letters
        ("", 0),
    ],
)
def test_count_words_follows_the_benchmark(text, expected):
    assert count_words(text) == expected


@pytest.mark.parametrize(
    "o, r, paper, released",
    [
        (3000, 3000, 100.0, 100.0),
        (1500, 3000, 50.0, 100 * (1 - 1 / 3)),
        (6000, 3000, 100 * (1 - 1 / 3), 50.0),
        (12000, 3000, 0.0, 0.0),
        (0, 10, 0.0, 0.0),  # floored at 2 words: r/o = 5
    ],
)
def test_length_score_both_formulas(o, r, paper, released):
    assert length_score(o, r) == pytest.approx(paper)
    assert length_score(o, r, "released") == pytest.approx(released)


def test_unknown_formula_is_rejected():
    with pytest.raises(ValueError, match="paper"):
        length_score(1, 1, "other")
