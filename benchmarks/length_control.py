"""Length control: a simulated writer that misses every budget by a log-normal factor, with
the revise loop off and on; mean S_l of the final documents over many runs.

    python -m benchmarks.length_control [--runs 50] [--median 0.6] [--sigma 0.4]

`--median` is the writer's typical words-delivered per word-asked (models asked for long
sections mostly fall short), `--sigma` the spread of the log-normal. Runs are instant.
"""

import argparse
import asyncio
import logging
import math
from statistics import mean

from langgraph.checkpoint.memory import InMemorySaver

from benchmarks.sim_model import sim_model
from longwriter_v.graphs.writer import compile_writer

INSTRUCTION = "Write a 10000-word essay on the history of the printing press"


async def one_run(graph, seed: int, median: float, sigma: float, rounds: int) -> dict:
    spec = f"sim:lc-{rounds}-{seed}?scale=0&mu={math.log(median)}&sigma={sigma}&seed={seed}"
    out = await graph.ainvoke(
        {"instruction": INSTRUCTION},
        {"configurable": {"thread_id": spec}},
        context={"model": spec, "mode": "parallel", "concurrency": 16, "max_revise_rounds": rounds},
    )
    report = out["report"]
    return {
        "S_l": report["length_score"],
        "revisions": report["revisions"],
        "calls": len(sim_model(spec.partition(":")[2]).calls),
    }


async def measure(runs: int, median: float, sigma: float) -> list[dict]:
    graph = compile_writer(checkpointer=InMemorySaver())
    rows = []
    for label, rounds in (("revise off", 0), ("revise on (2 rounds)", 2)):
        results = [await one_run(graph, seed, median, sigma, rounds) for seed in range(runs)]
        rows.append(
            {
                "setting": label,
                "runs": runs,
                "mean_S_l": mean(r["S_l"] for r in results),
                "min_S_l": min(r["S_l"] for r in results),
                "mean_revisions": mean(r["revisions"] for r in results),
                "mean_calls": mean(r["calls"] for r in results),
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| setting | runs | mean S_l | min S_l | revisions per run | calls per run |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setting']} | {r['runs']} | {r['mean_S_l']:.1f} | {r['min_S_l']:.1f} "
            f"| {r['mean_revisions']:.1f} | {r['mean_calls']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--median", type=float, default=0.6)
    p.add_argument("--sigma", type=float, default=0.4)
    args = p.parse_args()
    logging.disable(logging.WARNING)
    print(table(asyncio.run(measure(args.runs, args.median, args.sigma))))


if __name__ == "__main__":
    main()
