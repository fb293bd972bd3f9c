"""The evaluation graph end to end with scripted targets and judges: exact aggregates, the
judge's retry and refusal rules, resuming without paying twice, caption_llm without images."""

import re

import pytest
from langchain_core.messages import AIMessage
from langgraph.store.memory import InMemoryStore

from longwriter_v.evals.judge import DIMENSIONS, judge
from longwriter_v.graphs.evaluation import EvalContext, compile_evaluation
from tests.bench_data import MM_ROWS, write_mmlongbench, write_ruler
from tests.fakes import Writer, prose

pytest.importorskip("datasets")

# Words each MMLongBench fixture row gets from the fake target, and the judge's score for it.
WORDS = {0: 1000, 1: 900, 2: 5000, 3: 3500}  # required 1000, 1800, 2500, 3500
JUDGE_SCORE = {0: 4, 1: 5, 2: 3, 3: "refuse"}


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGWRITER_V_CACHE_DIR", str(tmp_path / "cache"))


def row_of(text: str) -> int:
    return next(i for i, (q, _, _) in enumerate(MM_ROWS) if q in text)


def scores(n: int) -> dict:
    return {"Analysis": "Solid but plain."} | {d: n for d in DIMENSIONS}


def tool_reply(args: dict) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": "JudgeScores", "args": args, "id": "j1"}])


def fake_target(call) -> str:
    return prose(WORDS[row_of(call["text"])])


def fake_judge(call):
    verdict = JUDGE_SCORE[row_of(call["text"])]
    if verdict == "refuse":
        return AIMessage("", additional_kwargs={"refusal": "I can't help with that."})
    return tool_reply(scores(verdict))


async def run(store, data, benchmark="mmlongbench-write", **context):
    graph = compile_evaluation(store=store)
    return await graph.ainvoke(
        {"benchmark": benchmark, "data": str(data)}, context=EvalContext(**context)
    )


async def test_full_evaluation_gives_exactly_the_expected_aggregates(tmp_path, scripted):
    target, target_model = scripted(fake_target)
    judge_spec, judge_model = scripted(fake_judge)
    data = write_mmlongbench(tmp_path / "mm.parquet")
    out = await run(
        InMemoryStore(), data, target=target, judge=judge_spec, out=str(tmp_path / "out")
    )
    report = out["report"]
    # S_l: 1000/1000 -> 100; 900 of 1800 -> 100*(1-(2-1)/2) = 50; 5000 of 2500 -> 100*(1-1/3);
    # row 3 is refused by the judge and leaves both means. S_q: (6n-6)*25/6 for n = 4, 5, 3.
    s_l = (100 + 50 + 100 * (1 - 1 / 3)) / 3
    s_q = (75 + 100 + 50) / 3
    assert report["overall"]["S_l"] == pytest.approx(s_l)
    assert report["overall"]["S_q"] == pytest.approx(s_q)
    assert report["overall"]["S"] == pytest.approx((s_l + s_q) / 2)
    assert report["overall"]["n"] == 3
    buckets = report["buckets"]
    assert (buckets["[0,1500)"]["S_l"], buckets["[0,1500)"]["S_q"]) == (100, 75)
    assert (buckets["[1500,2000)"]["S_l"], buckets["[1500,2000)"]["S_q"]) == (50, 100)
    assert buckets["[2000,3000)"]["S_l"] == pytest.approx(200 / 3)
    assert buckets["[3000,inf)"] == {"n": 0, "S_l": None, "n_judged": 0, "S_q": None, "S": None}
    assert report["counts"] == {
        "examples": 4,
        "generated": 4,
        "failed": 0,
        "judged": 3,
        "refused": 1,
        "judge_failed": 0,
    }
    assert report["length_formula"] == "paper" and report["temperature"] == 0.6
    assert len(target_model.calls) == 4 and len(judge_model.calls) == 4
    # vlm: the target saw the images of each row; the judge saw them too
    assert sorted(c["images"] for c in target_model.calls) == sorted(len(i) for _, i, _ in MM_ROWS)
    assert sorted(c["images"] for c in judge_model.calls) == sorted(len(i) for _, i, _ in MM_ROWS)
    md = (tmp_path / "out" / "report.md").read_text()
    assert "length score formula: `paper`" in md and f"| {(s_l + s_q) / 2:.1f} |" in md


async def test_released_formula_is_applied_by_name_without_new_calls(tmp_path, scripted):
    target, target_model = scripted(fake_target)
    judge_spec, judge_model = scripted(fake_judge)
    data, store = write_mmlongbench(tmp_path / "mm.parquet"), InMemoryStore()
    await run(store, data, target=target, judge=judge_spec, out=str(tmp_path / "a"))
    out = await run(
        store,
        data,
        target=target,
        judge=judge_spec,
        length_formula="released",
        out=str(tmp_path / "b"),
    )
    # swapped penalties: too short loses a third per missing multiple, too long half
    assert out["report"]["overall"]["S_l"] == pytest.approx((100 + 100 * (2 / 3) + 50) / 3)
    assert out["report"]["length_formula"] == "released"
    assert len(target_model.calls) == 4 and len(judge_model.calls) == 4


async def test_judge_retries_invalid_json_then_records_a_refusal(scripted):
    replies = iter(['{"Analysis": "ok", "Relevance": 4', "I'm sorry, but I can't grade this."])
    spec, model = scripted(lambda call: next(replies), tool_calling=False)
    verdict = await judge(spec, "Write 100 words", "Some text.", [])
    assert verdict["status"] == "refused" and verdict["attempts"] == 2 and verdict["scores"] is None
    assert len(model.calls) == 2


async def test_judge_retries_out_of_range_scores_up_to_five_times(scripted):
    bad = scores(4) | {"Clarity": 7}
    replies = iter(
        [tool_reply(bad), tool_reply(scores(4) | {"Accuracy": 0}), tool_reply(scores(2))]
    )
    spec, _ = scripted(lambda call: next(replies))
    verdict = await judge(spec, "Write 100 words", "Some text.", [])
    assert verdict["status"] == "ok" and verdict["attempts"] == 3
    assert verdict["scores"] == {d: 2 for d in DIMENSIONS}

    spec, model = scripted(lambda call: tool_reply(bad))
    verdict = await judge(spec, "Write 100 words", "Some text.", [])
    assert verdict["status"] == "error" and len(model.calls) == 5 and "Clarity" in verdict["error"]


async def test_a_failed_example_is_recorded_and_retried_on_the_next_run(tmp_path, scripted):
    failing = {"on": True}

    def flaky(call):
        if failing["on"] and row_of(call["text"]) == 2:
            raise RuntimeError("server fell over")
        return fake_target(call)

    target, target_model = scripted(flaky)
    judge_spec, judge_model = scripted(fake_judge)
    data, store = write_mmlongbench(tmp_path / "mm.parquet"), InMemoryStore()
    out = await run(store, data, target=target, judge=judge_spec, out=str(tmp_path / "o"))
    assert out["report"]["counts"]["failed"] == 1
    [failed] = [r for r in out["report"]["examples"] if r["status"] == "error"]
    assert failed["id"] == "2" and "server fell over" in failed["error"]
    assert "rerun the same command" in (tmp_path / "o" / "report.md").read_text()
    calls, judged = len(target_model.calls), len(judge_model.calls)

    failing["on"] = False
    out = await run(store, data, target=target, judge=judge_spec, out=str(tmp_path / "o"))
    assert out["report"]["counts"]["failed"] == 0
    assert len(target_model.calls) == calls + 1  # only the failed example
    assert len(judge_model.calls) == judged + 1  # only its new generation is judged


async def test_a_new_judge_rejudges_without_regenerating(tmp_path, scripted):
    target, target_model = scripted(fake_target)
    first, _ = scripted(fake_judge)
    second, second_model = scripted(lambda call: tool_reply(scores(5)))
    data, store = write_mmlongbench(tmp_path / "mm.parquet"), InMemoryStore()
    await run(store, data, target=target, judge=first, out=str(tmp_path / "o"))
    out = await run(store, data, target=target, judge=second, out=str(tmp_path / "o"))
    assert len(target_model.calls) == 4 and len(second_model.calls) == 4
    assert out["report"]["overall"]["S_q"] == 100 and out["report"]["counts"]["refused"] == 0


async def test_caption_llm_sends_no_image_to_the_writer(tmp_path, scripted):
    captioner, caption_model = scripted(lambda call: "A photo of a harbour at dusk.")
    target, target_model = scripted(fake_target)
    data = write_mmlongbench(tmp_path / "mm.parquet")
    out = await run(
        InMemoryStore(),
        data,
        target=target,
        method="caption_llm",
        caption_model=captioner,
        judge="none",
        out=str(tmp_path / "o"),
    )
    assert out["report"]["counts"]["generated"] == 4, out["report"]["examples"]
    assert [c["images"] for c in target_model.calls] == [0, 0, 0, 0]
    assert all(c["images"] == 1 for c in caption_model.calls)
    # picture 1 is in rows 0 and 3 (both English): captioned once; 6 distinct pictures
    assert len(caption_model.calls) == 6
    travel = next(c for c in target_model.calls if row_of(c["text"]) == 0)
    assert travel["text"].count("A photo of a harbour at dusk.") == 2
    assert re.search(r"Image 2: A photo", travel["text"])


async def test_ruler_reports_lengths_per_required_length_and_a_plot(tmp_path, scripted):
    target, _ = scripted(
        lambda call: prose(min(int(re.search(r"(\d+)", call["text"]).group(1)), 1000))
    )
    data = write_ruler(tmp_path / "r.parquet")
    out = await run(
        InMemoryStore(), data, "longwrite-v-ruler", target=target, out=str(tmp_path / "o")
    )
    report = out["report"]
    assert report["judge"] is None and report["temperature"] == 0.9
    assert [(r["required_words"], r["mean_words"]) for r in report["ruler"]] == [
        (500, 500),
        (1000, 1000),
        (2000, 1000),
        (4000, 1000),
    ]
    # 1000 words where 2000 and 4000 are required: r/o = 2 and 4, too short by paper eq. 6
    assert [r["S_l"] for r in report["ruler"]] == [100, 100, 50, 0]
    png = tmp_path / "o" / "ruler.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and str(png) in out["files"]


async def test_the_writer_graph_is_a_target(tmp_path, scripted):
    spec, model = scripted()  # the scripted writer world: captions, outline, sections
    data = write_mmlongbench(tmp_path / "mm.parquet", rows=MM_ROWS[:1])
    out = await run(
        InMemoryStore(),
        data,
        target=spec,
        method="writer",
        writer_context={"mode": "parallel", "max_revise_rounds": 1},
        judge="none",
        out=str(tmp_path / "o"),
    )
    [row] = out["report"]["examples"]
    assert row["status"] == "ok" and row["words"] > 0
    stages = [c["stage"] for c in model.calls]
    assert stages.count("caption") == 2 and "outline" in stages and "stitch" in stages
    assert out["report"]["usage"]["generation"]["calls"] == len(model.calls)


async def test_an_interrupted_writer_example_resumes_inside_its_subgraph(tmp_path, scripted):
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    spec, model = scripted(Writer(n_sections=4))
    data = write_mmlongbench(tmp_path / "mm.parquet", rows=MM_ROWS[:1])
    context = EvalContext(target=spec, method="writer", judge="none", out=str(tmp_path / "o"))
    config = {"configurable": {"thread_id": "t"}}
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        graph = compile_evaluation(checkpointer=saver, store=InMemoryStore())
        run_input = {"benchmark": "mmlongbench-write", "data": str(data)}
        with pytest.raises(KeyboardInterrupt):  # stopped once section 2 is being written
            async for _ in graph.astream(
                run_input, config, context=context, subgraphs=True, durability="sync"
            ):
                if [c["stage"] for c in model.calls].count("write") == 2:
                    raise KeyboardInterrupt
        before = len(model.calls)
        assert (await graph.aget_state(config)).next == ("generate",)
        out = await graph.ainvoke(None, config, context=context)
    resumed = [(c["stage"], c["section"]) for c in model.calls[before:]]
    # no caption or outline again; the writer goes on from the section it was on or the next
    assert resumed in ([("write", 2), ("write", 3), ("write", 4)], [("write", 3), ("write", 4)])
    assert out["report"]["counts"]["generated"] == 1


@pytest.mark.parametrize(
    "context, message",
    [
        ({"method": "chat"}, "method='chat'"),
        ({"length_formula": "swapped"}, "use paper or released"),
        ({"method": "writer", "writer_context": {"review_outline": True}}, "nobody answers"),
        ({"method": "writer", "writer_context": {"modes": "parallel"}}, "unknown context keys"),
    ],
)
async def test_bad_settings_fail_before_any_call(tmp_path, scripted, context, message):
    target, model = scripted(fake_target)
    data = write_mmlongbench(tmp_path / "mm.parquet")
    with pytest.raises(ValueError, match=message):
        await run(InMemoryStore(), data, target=target, judge="none", **context)
    assert model.calls == []
