"""The writer graph end to end on the in-process backend: every stage on the tiny Qwen2.5-VL."""

import uuid

import pytest

pytest.importorskip("torch")


async def test_every_stage_runs_on_the_local_model_and_streams_per_section(
    writer_graph, tiny_qwen, slides
):
    spec = f"transformers:{tiny_qwen}?min_pixels=3136&max_pixels=50176"
    context = {
        "model": spec,
        "mode": "parallel",
        "max_tokens": 24,
        "max_revise_rounds": 1,
        "max_image_pixels": 50176,
    }
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    streamed: dict[int, list[str]] = {}
    async for chunk, meta in writer_graph.astream(
        {"instruction": "Write a 1600-word essay on these slides.", "images": slides[:2]},
        cfg,
        context=context,
        stream_mode="messages",
    ):
        if meta.get("lw_stage") == "write":
            streamed.setdefault(meta["lw_section"], []).append(chunk.content)
    state = (await writer_graph.aget_state(cfg)).values
    report = state["report"]

    # The junk the random weights write is no plan: the outline falls back to an even plan.
    assert [p["index"] for p in state["outline"]] == [1, 2]
    assert sorted(streamed) == [1, 2]
    assert all(len(pieces) > 2 and "".join(pieces) for pieces in streamed.values())
    rows = {r["node"]: r for r in report["usage"]["rows"]}
    assert set(rows) >= {"caption", "outline", "write", "revise"}
    assert rows["caption"]["calls"] == 2 and rows["write"]["calls"] == 2
    assert all(
        r["model"] == spec and r["input_tokens"] > r["output_tokens"] > 0 for r in rows.values()
    )
    assert report["revise_rounds"] == 1
