"""The writer graph driven by scripted models: every path, every bad input."""

import json
import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.types import Command
from typing_extensions import TypedDict

from longwriter_v.models.factory import ModelConfigError
from longwriter_v.nodes.errors import InputError
from longwriter_v.nodes.length import delivery_ratio
from tests.fakes import Writer


def config():
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


async def run(graph, payload, context, cfg=None, **kw):
    cfg = cfg or config()
    await graph.ainvoke(payload, cfg, context=context, **kw)
    return (await graph.aget_state(cfg)), cfg


def stages(model):
    return [c["stage"] for c in model.calls]


async def test_sequential_mode_sees_all_previous_text_and_only_its_images(
    writer_graph, scripted, slides
):
    spec, model = scripted(Writer(n_sections=3))
    state, _ = await run(
        writer_graph,
        {"instruction": "Write a 600-word talk on these slides", "images": slides},
        {"model": spec},
    )
    v = state.values
    assert stages(model) == ["caption"] * 4 + ["outline", "write", "write", "write"]
    assert v["required_words"] == 600 and sum(p["words"] for p in v["outline"]) == 600
    writes = [c for c in model.calls if c["stage"] == "write"]
    assert [c["images"] for c in writes] == [2, 1, 1]  # image k goes to section k % 3
    assert (
        v["sections"][0]["text"] in writes[1]["text"]
        and v["sections"][1]["text"] in writes[2]["text"]
    )
    assert v["report"]["length_score"] > 95 and v["report"]["revisions"] == 0
    assert v["document"].startswith("# A Test Document")


async def test_parallel_mode_fans_out_then_stitches(writer_graph, scripted, slides):
    spec, model = scripted(Writer(n_sections=4))
    state, _ = await run(
        writer_graph,
        {"instruction": "Write 800 words", "images": slides},
        {"model": spec, "mode": "parallel", "concurrency": 2},
    )
    assert sorted(stages(model)) == sorted(
        ["caption"] * 4 + ["outline"] + ["write"] * 4 + ["stitch"]
    )
    writes = [c for c in model.calls if c["stage"] == "write"]
    assert all("Text written so far" not in c["text"] for c in writes)
    sections = state.values["sections"]
    assert all(s["text"].split("\n\n")[1].startswith("Building on this") for s in sections[1:])
    assert state.values["report"]["words"] >= 790


async def test_revise_loop_stops_at_its_bound_and_keeps_pairs(writer_graph, scripted):
    # drafts come out at half their budget, revisions at a tenth of what they ask: even
    # asking for more (the delivery ratio) cannot land them, so the bound must stop it
    spec, model = scripted(
        Writer(n_sections=2, factor=lambda stage, sec, n: 0.5 if stage == "write" else 0.1)
    )
    state, _ = await run(
        writer_graph, {"instruction": "Write 400 words"}, {"model": spec, "max_revise_rounds": 2}
    )
    v = state.values
    assert stages(model).count("revise") == 4  # 2 sections x 2 rounds, never a third
    assert v["revise_round"] == 2 and len(v["revisions"]) == 4
    first = [r for r in v["revisions"] if r["index"] == 1]
    assert [r["round"] for r in first] == [1, 2] and first[0]["after"] == first[1]["before"]
    assert first[0]["action"] == "expand" and first[0]["words_before"] < first[0]["budget"]


async def test_revise_fixes_a_section_that_misses(writer_graph, scripted):
    spec, model = scripted(
        Writer(
            n_sections=3, factor=lambda st, sec, n: 2.0 if (st, sec, n) == ("write", 2, 1) else 1.0
        )
    )
    state, _ = await run(writer_graph, {"instruction": "Write 300 words"}, {"model": spec})
    assert [(c["stage"], c["section"]) for c in model.calls if c["stage"] == "revise"] == [
        ("revise", 2)
    ]
    assert state.values["revisions"][0]["action"] == "condense"
    assert state.values["report"]["length_score"] > 95


async def test_outline_falls_back_to_text_parser_without_tool_calling(writer_graph, scripted):
    spec, model = scripted(Writer(n_sections=2), tool_calling=False)
    state, _ = await run(writer_graph, {"instruction": "Write 500 words"}, {"model": spec})
    assert [s["title"] for s in state.values["outline"]] == ["Part A", "Part B"]
    assert sum(s["words"] for s in state.values["outline"]) == 500


async def test_unreadable_outline_becomes_an_even_plan(writer_graph, scripted):
    def respond(call):
        return "garbage" if call["stage"] == "outline" else Writer()(call)

    spec, _ = scripted(respond, tool_calling=False)
    state, _ = await run(writer_graph, {"instruction": "Write 2400 words"}, {"model": spec})
    assert [s["words"] for s in state.values["outline"]] == [800, 800, 800]


async def test_longwriter_v_prompt_style_uses_the_text_plan(writer_graph, scripted):
    spec, model = scripted(Writer(n_sections=2))
    state, _ = await run(
        writer_graph,
        {"instruction": "Write 400 words"},
        {"model": spec, "prompt_style": "longwriter_v"},
    )
    outline_call = next(c for c in model.calls if c["stage"] == "outline")
    assert outline_call["tools"] is None and "Word Count:" in outline_call["text"]
    second = [c for c in model.calls if c["stage"] == "write"][1]
    assert (
        "Now write step 2" in second["text"]
        and state.values["sections"][0]["text"] in second["text"]
    )


async def test_review_approve_edit_and_feedback(writer_graph, scripted):
    spec, model = scripted(Writer(n_sections=2))
    ctx = {"model": spec, "review_outline": True}
    cfg = config()
    await writer_graph.ainvoke({"instruction": "Write 400 words"}, cfg, context=ctx)
    state = await writer_graph.aget_state(cfg)
    assert state.next == ("review_outline",)
    assert state.tasks[0].interrupts[0].value["outline"][0]["title"] == "Part A"

    await writer_graph.ainvoke(Command(resume="Add a section on history"), cfg, context=ctx)
    assert stages(model).count("outline") == 2
    assert (
        "Add a section on history" in [c for c in model.calls if c["stage"] == "outline"][1]["text"]
    )

    edited = {
        "title": "Edited",
        "sections": [{"title": "Only", "points": ["all"], "images": [], "words": 1}],
    }
    await writer_graph.ainvoke(
        Command(resume={"action": "edit", "outline": edited}), cfg, context=ctx
    )
    state = await writer_graph.aget_state(cfg)
    assert [p["words"] for p in state.values["outline"]] == [400]
    assert state.values["document"].startswith("# Edited") and stages(model).count("write") == 1

    cfg2 = config()
    await writer_graph.ainvoke({"instruction": "Write 400 words"}, cfg2, context=ctx)
    await writer_graph.ainvoke(Command(resume="approve"), cfg2, context=ctx)
    assert (await writer_graph.aget_state(cfg2)).values["report"]["words"] > 390


async def test_caption_cache_hits_on_a_second_run(writer_graph, scripted, slides):
    spec, model = scripted(Writer(n_sections=2))
    first, _ = await run(
        writer_graph, {"instruction": "Write 300 words", "images": slides}, {"model": spec}
    )
    assert stages(model).count("caption") == 4
    second, _ = await run(
        writer_graph, {"instruction": "Write 300 words", "images": slides}, {"model": spec}
    )
    assert stages(model).count("caption") == 4  # no new caption call
    assert second.values["captions"] == first.values["captions"]
    assert second.values["report"]["cached_calls"] == 4
    assert all(r["node"] != "caption" for r in second.values["report"]["usage"]["rows"])


async def test_skip_captions_sends_images_to_the_planner(writer_graph, scripted, slides):
    spec, model = scripted(Writer(n_sections=2))
    await run(
        writer_graph,
        {"instruction": "Write 300 words", "images": slides},
        {"model": spec, "skip_captions": True},
    )
    assert "caption" not in stages(model)
    assert next(c for c in model.calls if c["stage"] == "outline")["images"] == 4


async def test_stage_models_are_chosen_separately(writer_graph, scripted, slides):
    cap_spec, cap = scripted()
    main_spec, main = scripted(Writer(n_sections=2))
    await run(
        writer_graph,
        {"instruction": "Write 300 words", "images": slides[:1]},
        {"model": main_spec, "caption_model": cap_spec},
    )
    assert stages(cap) == ["caption"] and "caption" not in stages(main)


async def test_token_stream_is_tagged_with_the_section(writer_graph, scripted):
    spec, _ = scripted(Writer(n_sections=3))
    seen: dict[int, str] = {}
    async for chunk, meta in writer_graph.astream(
        {"instruction": "Write 300 words"},
        config(),
        context={"model": spec, "mode": "parallel"},
        stream_mode="messages",
    ):
        if meta.get("lw_stage") == "write":
            seen[meta["lw_section"]] = seen.get(meta["lw_section"], "") + chunk.content
    assert sorted(seen) == [1, 2, 3]
    assert all(text.startswith(f"## Section {i}") for i, text in seen.items())


async def test_checkpoints_hold_references_not_pixels(scripted, slides, policy):
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from longwriter_v.graphs.writer import compile_writer

    spec, _ = scripted(Writer(n_sections=1))
    async with AsyncSqliteSaver.from_conn_string(":memory:") as saver:
        graph = compile_writer(checkpointer=saver, image_policy=policy)
        state, _ = await run(
            graph, {"instruction": "Write 100 words", "images": slides}, {"model": spec}
        )
    dumped = json.dumps(state.values, default=str)
    assert "base64" not in dumped and len(dumped) < 20_000
    assert {r["sha256"] for r in state.values["image_refs"]} and state.values["image_refs"][0][
        "file"
    ]


@pytest.mark.parametrize(
    "payload, context, error, match",
    [
        ({"instruction": "  "}, {}, InputError, "instruction is empty"),
        ({"instruction": "x", "images": ["/nope/missing.png"]}, {}, InputError, "not allowed"),
        ({"instruction": "x", "images": "a.png"}, {}, InputError, "list"),
        ({"instruction": "x", "target_words": -5}, {}, InputError, "target_words"),
        ({"instruction": "x"}, {"model": "gpt-4o"}, ModelConfigError, "valid forms"),
        (
            {"instruction": "x"},
            {"model": "vertex:gemini"},
            ModelConfigError,
            "openai:<model>@<base_url>",
        ),
    ],
)
async def test_bad_input_fails_with_a_clear_error(writer_graph, payload, context, error, match):
    with pytest.raises(error, match=match):
        await writer_graph.ainvoke(payload, config(), context=context)


async def test_missing_and_corrupt_images_fail_in_the_graph(writer_graph, tmp_path):
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(InputError, match="missing.png: no such file"):
        await writer_graph.ainvoke(
            {"instruction": "x", "images": [str(tmp_path / "missing.png")]}, config()
        )
    with pytest.raises(InputError, match="corrupt.jpg: cannot be decoded"):
        await writer_graph.ainvoke(
            {"instruction": "x", "images": [str(tmp_path / "corrupt.jpg")]}, config()
        )


async def test_embedded_as_a_subgraph_uses_the_parents_checkpointer(scripted, policy):
    from longwriter_v.graphs.writer import compile_writer

    class Parent(TypedDict, total=False):
        instruction: str
        document: str
        report: dict

    writer = compile_writer(image_policy=policy)
    assert writer.checkpointer is None
    parent = StateGraph(Parent)
    parent.add_node("writer", writer)
    parent.add_edge(START, "writer")
    app = parent.compile(checkpointer=InMemorySaver())
    spec, _ = scripted(Writer(n_sections=2))
    cfg = config()
    out = await app.ainvoke({"instruction": "Write 200 words"}, cfg, context={"model": spec})
    assert out["report"]["words"] >= 190
    history = [s async for s in app.aget_state_history(cfg)]
    assert len(history) > 2


async def test_a_model_that_writes_short_everywhere_is_asked_for_more(writer_graph, scripted):
    # every call delivers 60% of what it asks: the first revision asks for budget / 0.6
    spec, model = scripted(Writer(n_sections=4, factor=lambda stage, sec, n: 0.6))
    state, _ = await run(writer_graph, {"instruction": "Write 400 words"}, {"model": spec})
    v = state.values
    assert v["delivery_ratio"] == pytest.approx(0.61)  # 60 words + the heading's 1, per 100
    assert [r["asked"] for r in v["revisions"]] == [164] * 4 and v["revise_round"] == 1
    assert v["report"]["length_score"] > 95  # 4 x 100 words, one revision round


def test_delivery_ratio_ignores_isolated_misses():
    plans = [{"index": i, "words": 100} for i in (1, 2, 3, 4)]
    state = {
        "outline": plans,
        "sections": [
            {"index": i, "words": w} for i, w in zip((1, 2, 3, 4), (100, 50, 100, 50), strict=True)
        ],
        "revisions": [],
    }
    assert delivery_ratio(state, 0.2) == 1.0  # 2 of 4 short: not most of them
    state["sections"][0]["words"] = 70
    assert delivery_ratio(state, 0.2) == pytest.approx(0.6)  # 3 of 4 short: median of ratios
    state["revisions"] = [
        {
            "index": 2,
            "round": 1,
            "budget": 100,
            "asked": 160,
            "words_before": 50,
            "words_after": 150,
        }
    ]
    state["sections"][1]["words"] = 150  # the first draft (50) counts, and the revision (150/160)
    assert delivery_ratio(state, 0.2) == pytest.approx(0.7)  # median of .5 .5 .7 .94 1
