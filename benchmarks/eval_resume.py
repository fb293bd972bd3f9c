"""Evaluation overhead and resume: LongBench-Write (120 prompts, judged) with instant scripted
target and judge, run into a SQLite store, then run again.

    python -m benchmarks.eval_resume [--concurrency 8]

The models answer at once, so the first run measures the graph, the store writes, word
counting and the report; the rerun must make no model call at all.
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from langchain_core.messages import AIMessage
from langgraph.store.sqlite.aio import AsyncSqliteStore

from longwriter_v.evals.judge import DIMENSIONS
from longwriter_v.graphs.evaluation import EvalContext, compile_evaluation
from longwriter_v.models.factory import register_backend
from tests.fakes import ScriptedChatModel, prose


def judge_reply(call) -> AIMessage:
    args = {"Analysis": "fine"} | {d: 4 for d in DIMENSIONS}
    return AIMessage("", tool_calls=[{"name": "JudgeScores", "args": args, "id": "j"}])


async def measure(concurrency: int) -> list[dict]:
    target = ScriptedChatModel(respond=lambda call: prose(800))
    judge = ScriptedChatModel(respond=judge_reply)
    register_backend("bench", lambda rest, options: {"target": target, "judge": judge}[rest])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncSqliteStore.from_conn_string(str(Path(tmp) / "results.sqlite")) as store:
            await store.setup()
            graph = compile_evaluation(store=store)
            ctx = EvalContext(
                target="bench:target", judge="bench:judge", concurrency=concurrency, out=tmp
            )
            for run in ("first", "rerun"):
                calls = len(target.calls) + len(judge.calls)
                start = time.perf_counter()
                out = await graph.ainvoke({"benchmark": "longbench-write"}, context=ctx)
                elapsed = time.perf_counter() - start
                rows.append(
                    {
                        "run": run,
                        "examples": out["report"]["counts"]["examples"],
                        "seconds": round(elapsed, 3),
                        "ms_per_example": round(1000 * elapsed / 120, 2),
                        "model_calls": len(target.calls) + len(judge.calls) - calls,
                    }
                )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--concurrency", type=int, default=8)
    args = p.parse_args()
    rows = asyncio.run(measure(args.concurrency))
    print("| run | examples | s | ms/example | model calls |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['run']} | {r['examples']} | {r['seconds']} | {r['ms_per_example']} "
            f"| {r['model_calls']} |"
        )


if __name__ == "__main__":
    main()
