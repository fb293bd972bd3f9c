from hypothesis import given
from hypothesis import strategies as st

from longwriter_v.nodes.outline_parse import even_outline, parse_outline_text, rebalance, to_plans


@given(st.lists(st.integers(-10, 5000), min_size=1, max_size=30), st.integers(1, 40000))
def test_rebalance_sums_exactly(budgets, total):
    result = rebalance(budgets, total)
    assert sum(result) == total and len(result) == len(budgets)


def test_rebalance_keeps_proportions():
    assert rebalance([400, 300, 300], 2000) == [800, 600, 600]


def test_text_parser_reads_our_format_and_the_papers():
    text = (
        "Title: Slides\nSection 1: Intro | 400 words | images: 1, 3\n- a\n- b\n"
        "Section 2: Body | 300 words | images: none\n"
        "Paragraph 3 - Main Point: Wrap up the deck - Word Count: 250 words\n"
    )
    outline = parse_outline_text(text, n_images=2)
    assert outline.title == "Slides"
    assert [s.words for s in outline.sections] == [400, 300, 250]
    assert outline.sections[0].images == [1]  # image 3 does not exist
    assert outline.sections[0].points == ["a", "b"]
    assert outline.sections[2].title == "Wrap up the deck"


def test_garbage_gives_none_and_the_even_plan_covers_every_image():
    assert parse_outline_text("ĠĠ<|im_end|> xx", 3) is None
    plans = to_plans(even_outline("", 10000, 16), 10000, 16)
    assert len(plans) == 12 and sum(p["words"] for p in plans) == 10000
    assert sorted(i for p in plans for i in p["images"]) == list(range(1, 17))
