"""Our writer against the paper's pipeline on the same simulated GPT-4o: wall time, billed
tokens, calls, S_l, and the critical-path limit of parallel mode.

    python -m benchmarks.pipeline_speed [--scale 0.05] [--concurrency 16]

Every pipeline of a scenario runs in this process, one after another, on its own simulated
model with the same settings. Times are simulated seconds: real seconds / scale.
"""

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from langgraph.cache.memory import InMemoryCache
from langgraph.checkpoint.memory import InMemorySaver
from PIL import Image, ImageDraw

from benchmarks.paper_pipeline import paper_pipeline
from benchmarks.sim_model import sim_model
from longwriter_v.evals.metrics import count_words, length_score
from longwriter_v.graphs.writer import compile_writer
from longwriter_v.nodes.images import ImagePolicy

PIPELINES = ("baseline", "sequential", "parallel")


@dataclass(frozen=True)
class Scenario:
    name: str
    instruction: str
    n_images: int
    size: tuple[int, int]
    required_words: int


SCENARIOS = (
    Scenario(
        "deck-16",
        "Write a 10000-word lecture script for this 16-slide deck",
        16,
        (1280, 720),
        10000,
    ),
    Scenario(
        "review-1", "Write a 1500-word review of the film on this poster", 1, (800, 1200), 1500
    ),
    Scenario(
        "story-4", "Write a 3000-word story from these four comic panels", 4, (800, 800), 3000
    ),
)


def draw_images(folder: Path, scenario: Scenario) -> list[str]:
    """Distinct pictures of the scenario's size (their pixels do not matter, their size does)."""
    files = []
    for i in range(scenario.n_images):
        image = Image.new("RGB", scenario.size, (20 * i % 255, 120, 200))
        ImageDraw.Draw(image).text((40, 40), f"{scenario.name} image {i + 1}", fill="white")
        path = folder / f"{scenario.name}-{i + 1}.png"
        image.save(path)
        files.append(str(path))
    return files


def critical_path(calls: list[dict]) -> float:
    """Captions (in parallel) + outline + the longest section + stitching, simulated seconds."""

    def longest(stage: str) -> float:
        return max((c["seconds"] for c in calls if c["stage"] == stage), default=0.0)

    return longest("caption") + longest("outline") + longest("write") + longest("stitch")


async def run_pipeline(
    scenario: Scenario, pipeline: str, images: list[str], query: str, concurrency: int
) -> dict:
    spec = f"sim:{scenario.name}-{pipeline}-{time.monotonic_ns()}?{query}"
    model = sim_model(spec.partition(":")[2])
    graph = compile_writer(  # compiled once per process in real use: not timed
        checkpointer=InMemorySaver(),
        cache=InMemoryCache(),
        image_policy=ImagePolicy.for_files(images),
    )
    start = time.perf_counter()
    if pipeline == "baseline":
        document = await paper_pipeline(
            model, scenario.instruction, images, scenario.required_words
        )
    else:
        out = await graph.ainvoke(
            {"instruction": scenario.instruction, "images": images},
            {"configurable": {"thread_id": spec}},
            context={"model": spec, "mode": pipeline, "concurrency": concurrency},
        )
        document = out["document"]
    wall = (time.perf_counter() - start) / (model.settings.scale or 1.0)  # scale 0: real s
    calls = model.calls
    return {
        "scenario": scenario.name,
        "pipeline": pipeline,
        "wall_s": wall,
        "calls": len(calls),
        "input_tokens": sum(c["text_in"] + c["image_in"] for c in calls),
        "image_tokens": sum(c["image_in"] for c in calls),
        "output_tokens": sum(c["out"] for c in calls),
        "S_l": length_score(count_words(document), scenario.required_words),
        "critical_path_s": critical_path(calls),
    }


async def measure(scale: float, concurrency: int) -> list[dict]:
    query = f"scale={scale}"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in SCENARIOS:
            images = draw_images(Path(tmp), scenario)
            by = {p: await run_pipeline(scenario, p, images, query, concurrency) for p in PIPELINES}
            base = by["baseline"]
            for row in by.values():
                row["wall_vs_baseline"] = row["wall_s"] / base["wall_s"]
                row["input_vs_baseline"] = row["input_tokens"] / base["input_tokens"]
            by["parallel"]["wall_vs_critical_path"] = (
                by["parallel"]["wall_s"] / by["parallel"]["critical_path_s"]
            )
            rows += by.values()
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| scenario | pipeline | wall s | x baseline | calls | input tokens (images) "
        "| x baseline | output tokens | S_l | wall / critical path |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        crit = "-"
        if r["pipeline"] == "parallel":
            crit = f"{r['wall_vs_critical_path']:.2f} (limit {r['critical_path_s']:.1f} s)"
        lines.append(
            f"| {r['scenario']} | {r['pipeline']} | {r['wall_s']:.1f} "
            f"| {r['wall_vs_baseline']:.2f} "
            f"| {r['calls']} | {r['input_tokens']:,} ({r['image_tokens']:,}) "
            f"| {r['input_vs_baseline']:.2f} | {r['output_tokens']:,} | {r['S_l']:.1f} "
            f"| {crit} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=0.05, help="real seconds per simulated second")
    p.add_argument("--concurrency", type=int, default=16, help="the writer's concurrency")
    args = p.parse_args()
    logging.disable(logging.WARNING)  # the simulated model has no structured output: expected
    print(table(asyncio.run(measure(args.scale, args.concurrency))))


if __name__ == "__main__":
    main()
