"""Graph overhead: a 12-section, 10,000-word writer run with an instant scripted model.

    python -m benchmarks.writer_overhead [--runs 5]

The model answers at once, so the time measured is LangGraph's and ours: scheduling,
state merging, checkpoint writes, prompt building and word counting.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from longwriter_v.graphs.writer import compile_writer
from longwriter_v.models.factory import register_backend
from tests.fakes import ScriptedChatModel, Writer

INSTRUCTION = "Write a 10000-word lecture script for this course"


async def one_run(graph, mode: str) -> tuple[float, int]:
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    start = time.perf_counter()
    steps = 0
    async for _ in graph.astream(
        {"instruction": INSTRUCTION},
        cfg,
        stream_mode="updates",
        context={"model": "scripted:instant", "mode": mode},
    ):
        steps += 1
    elapsed = time.perf_counter() - start
    report = (await graph.aget_state(cfg)).values["report"]
    assert len(report["sections"]) == 12 and report["words"] >= 9990
    return elapsed, steps


async def measure(runs: int) -> list[dict]:
    model = ScriptedChatModel(respond=Writer(n_sections=12))
    register_backend("scripted", lambda rest, options: model)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncSqliteSaver.from_conn_string(str(Path(tmp) / "bench.sqlite")) as sqlite:
            for saver_name, saver in (("memory", InMemorySaver()), ("sqlite", sqlite)):
                graph = compile_writer(checkpointer=saver)
                for mode in ("sequential", "parallel"):
                    await one_run(graph, mode)  # warm-up
                    times, steps = zip(
                        *[await one_run(graph, mode) for _ in range(runs)], strict=True
                    )
                    median = statistics.median(times)
                    rows.append(
                        {
                            "checkpointer": saver_name,
                            "mode": mode,
                            "run_ms": median * 1e3,
                            "node_steps": steps[0],
                            "ms_per_step": median * 1e3 / steps[0],
                        }
                    )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    from benchmarks.__main__ import overhead_table

    print(overhead_table(asyncio.run(measure(p.parse_args().runs))))


if __name__ == "__main__":
    main()
