"""The benchmark harness: GPT-4o's billing rules, the simulated model, the paper's pipeline,
and the token and call counts of our writer against it (deterministic; no timings asserted)."""

import asyncio
import time

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from benchmarks.billing import PER_MESSAGE, REPLY_PRIMING, billed_input, image_tokens, text_tokens
from benchmarks.paper_pipeline import paper_pipeline
from benchmarks.pipeline_speed import SCENARIOS, draw_images, run_pipeline
from benchmarks.sim_model import SimSettings, sim_model
from longwriter_v.models.factory import ModelConfigError
from longwriter_v.nodes.images import ImagePolicy, load_image
from longwriter_v.nodes.llm import image_blocks


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGWRITER_V_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize(
    "size, detail, tokens",
    [
        ((1024, 1024), "high", 85 + 170 * 4),  # short side to 768: 768x768, 2x2 tiles
        ((2048, 4096), "high", 85 + 170 * 6),  # fit 2048: 1024x2048, then 768x1536: 2x3
        ((1280, 720), "high", 85 + 170 * 6),  # short side under 768 stays: 3x2 tiles
        ((300, 200), "high", 85 + 170),  # small images are not enlarged
        ((4096, 8192), "low", 85),
    ],
)
def test_gpt4o_image_tokens_follow_the_published_formula(size, detail, tokens):
    assert image_tokens(*size, detail) == tokens


def test_billed_input_counts_text_images_and_message_overhead(tmp_path):
    from tests.conftest import draw_slide

    ref = load_image(
        1,
        str(draw_slide(tmp_path / "s.png", 1, size=(1024, 1024))),
        ImagePolicy.for_files([str(tmp_path / "s.png")]),
        1_048_576,
    )
    prompt = [
        SystemMessage("Be brief."),
        HumanMessage([*image_blocks([ref]), {"type": "text", "text": "Describe it."}]),
    ]
    text, images = billed_input(prompt)
    assert images == 765
    assert text == REPLY_PRIMING + 2 * PER_MESSAGE + text_tokens("Be brief.") + text_tokens(
        "Describe it."
    )


async def test_the_simulated_model_is_reproducible_and_records_its_calls():
    prompt = [SystemMessage("irrelevant"), HumanMessage("Aim for about 300 words")]
    a = sim_model("t-a?scale=0&mu=-0.5&sigma=0.3&seed=4")
    b = sim_model("t-b?scale=0&mu=-0.5&sigma=0.3&seed=4")
    assert a is sim_model("t-a?scale=0&mu=-0.5&sigma=0.3&seed=4")  # one per spec
    first, second = await a.ainvoke(prompt), await b.ainvoke(prompt)
    assert first.text == second.text and first.usage_metadata == second.usage_metadata
    assert a.calls[0]["out"] == first.usage_metadata["output_tokens"] > 0
    with pytest.raises(ModelConfigError, match="valid"):
        SimSettings.parse("speed=3")
    with pytest.raises(ModelConfigError, match="tps"):
        SimSettings.parse("tps=fast")


async def test_the_rate_limit_holds_requests_back():
    model = sim_model("t-rpm?scale=0.01&ttft=0&tps=1e9&prefill=1e9&rpm=2")  # window 0.6 s
    start = time.monotonic()
    await asyncio.gather(*(model.ainvoke("hi") for _ in range(3)))
    assert time.monotonic() - start >= 0.55  # the third waited for the window
    assert sorted(c["start"] for c in model.calls)[2] - min(c["start"] for c in model.calls) >= 0.55


async def test_the_paper_pipeline_resends_every_image_and_all_text_so_far(tmp_path):
    scenario = SCENARIOS[2]  # 4 images, 3000 words: 4 sections
    images = draw_images(tmp_path, scenario)
    model = sim_model("t-paper?scale=0")
    document = await paper_pipeline(model, scenario.instruction, images, scenario.required_words)
    assert [c["stage"] for c in model.calls] == ["outline"] + ["write"] * 4
    assert {c["image_in"] for c in model.calls} == {4 * 765}  # 800x800 -> 765 tokens, each call
    texts = [c["text_in"] for c in model.calls[1:]]
    assert texts == sorted(texts) and texts[-1] - texts[0] > 2000  # the text so far grows
    assert document.count("## Part") == 4


async def test_our_writer_bills_a_fraction_of_the_paper_pipeline_on_the_16_slide_deck(tmp_path):
    scenario = SCENARIOS[0]
    images = draw_images(tmp_path, scenario)
    rows = {
        p: await run_pipeline(scenario, p, images, "scale=0", concurrency=16)
        for p in ("baseline", "sequential", "parallel")
    }
    base = rows["baseline"]["input_tokens"]
    assert rows["parallel"]["input_tokens"] <= 0.35 * base
    assert rows["sequential"]["input_tokens"] <= 1.0 * base
    assert rows["parallel"]["calls"] == 16 + 1 + 12 + 1  # captions, outline, sections, stitch
    assert all(r["S_l"] > 99 for r in rows.values())
