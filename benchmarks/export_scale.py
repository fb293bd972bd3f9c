"""Export at scale: rows/s and peak memory of SFT and DPO export from a JSONL of final states.

    python -m benchmarks.export_scale --runs 10000

Each synthetic run is shaped like a real one: 4 slide images (distinct files), a 4-section
~2,000-word document with 2 revised sections (so 3 cumulative DPO pairs). Every export runs in a
fresh process so its peak resident memory is its own. That peak includes the pages of the Arrow
files datasets maps while copying them out; the anonymous (heap) memory left at the end shows
what the process itself holds.
"""

import argparse
import json
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from tests.conftest import draw_slide

WORDS = "the harbour light falls on boats and nets while the market wakes " * 40


def synthetic_states(path: Path, runs: int, images: Path) -> None:
    slides = []
    for k in range(1, 5):
        file = draw_slide(images / f"slide{k}.png", k)
        ref = {"index": k, "source": file.name, "sha256": f"{k:064x}", "file": str(file)}
        slides.append(ref | {"mime": "image/png", "width": 320, "height": 240})
    with open(path, "w") as lines:
        for run in range(runs):
            sections = [
                {"index": i, "text": f"## Part {i}\n\n{WORDS}", "words": 480} for i in range(1, 5)
            ]
            revisions = [
                {"index": i, "round": 1, "action": "expand", "budget": 500,
                 "before": WORDS[:300], "after": sections[i - 1]["text"], "words_before": 60,
                 "words_after": 480}
                for i in (2, 4)
            ]  # fmt: skip
            outline = [{"index": i, "title": f"Part {i}", "points": [], "images": [i], "words": 500}
                       for i in range(1, 5)]  # fmt: skip
            state = {
                "thread_id": f"run-{run}",
                "instruction": f"Write a 2000-word lecture on these slides (run {run})",
                "image_refs": slides,
                "outline": outline,
                "sections": sections,
                "revisions": revisions,
                "document": "\n\n".join(s["text"] for s in sections),
                "report": {"length_score": 96.0, "prompt_style": "default",
                           "usage": {"rows": [{"model": "openai:gpt-4o"}]}},
            }  # fmt: skip
            lines.write(json.dumps(state) + "\n")


def _export(kind: str, states: Path, out: Path, queue) -> None:
    from longwriter_v.training.export import Options, export
    from longwriter_v.training.traces import read_states

    start = time.perf_counter()
    summary = export(read_states(states=states), out, Options(kind=kind))
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    written = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**20
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    anon = int(status.get("RssAnon", "0 kB").split()[0]) / 1024  # heap, not mapped files
    rate = round(summary.rows / seconds, 1)
    figures = {"kind": kind, "rows": summary.rows, "seconds": round(seconds, 2)}
    memory = {"peak_rss_mib": round(peak_mib), "anon_rss_mib_at_end": round(anon)}
    queue.put(figures | {"rows_per_s": rate, **memory, "written_mib": round(written)})


def measure(runs: int) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        synthetic_states(tmp / "states.jsonl", runs, tmp)
        context = multiprocessing.get_context("spawn")
        for kind in ("sft", "dpo"):
            queue = context.Queue()
            process = context.Process(
                target=_export, args=(kind, tmp / "states.jsonl", tmp / kind, queue)
            )
            process.start()
            results.append({"runs": runs} | queue.get())
            process.join()
    return results


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rows = [row for runs in args.runs for row in measure(runs)]
    keys = ["runs", "kind", "rows", "seconds", "rows_per_s", "peak_rss_mib",
            "anon_rss_mib_at_end", "written_mib"]  # fmt: skip
    print("| " + " | ".join(keys) + " |\n" + "|---" * len(keys) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
