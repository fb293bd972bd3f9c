"""All of issue 6's measurements in one process: the writer against the paper's pipeline,
graph overhead, and length control. Prints the tables and writes them as JSON.

    python -m benchmarks [--out bench.json] [--scale 0.05] [--runs 50]
"""

import argparse
import asyncio
import json
import logging
from pathlib import Path

from benchmarks import length_control, pipeline_speed, writer_overhead


def overhead_table(rows: list[dict]) -> str:
    lines = ["| checkpointer | mode | run ms | node steps | ms/step |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['checkpointer']} | {r['mode']} | {r['run_ms']:.1f} | {r['node_steps']} "
            f"| {r['ms_per_step']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("bench.json"))
    p.add_argument("--scale", type=float, default=0.05, help="real seconds per simulated second")
    p.add_argument("--concurrency", type=int, default=16, help="the writer's concurrency")
    p.add_argument("--runs", type=int, default=50, help="runs per length-control setting")
    args = p.parse_args()
    logging.disable(logging.WARNING)
    results = {
        "pipelines": asyncio.run(pipeline_speed.measure(args.scale, args.concurrency)),
        "graph_overhead": asyncio.run(writer_overhead.measure(5)),
        "length_control": asyncio.run(length_control.measure(args.runs, 0.6, 0.4)),
        "settings": vars(args) | {"out": str(args.out)},
    }
    print("Pipelines (simulated GPT-4o; seconds are simulated)\n")
    print(pipeline_speed.table(results["pipelines"]))
    print("\nGraph overhead (instant model, 12 sections, 10,000 words)\n")
    print(overhead_table(results["graph_overhead"]))
    print("\nLength control (words delivered per word asked ~ log-normal, median 0.6, sigma 0.4)\n")
    print(length_control.table(results["length_control"]))
    args.out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
