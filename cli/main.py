"""`longwriter-v`: write a long document from images (resumable), serve the graphs, export
finished runs as training data, or run a benchmark."""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from langgraph.cache.sqlite import SqliteCache
from langgraph.types import Command
from rich.console import Console
from rich.markup import escape

from longwriter_v.cli.checkpoints import open_checkpointer
from longwriter_v.cli.evaluate import add_eval, run_compare, run_eval
from longwriter_v.cli.export import add_export, run_export
from longwriter_v.cli.progress import Progress, summary_table
from longwriter_v.evals.data import DataError
from longwriter_v.graphs.context import WriterContext
from longwriter_v.graphs.writer import compile_writer
from longwriter_v.models.factory import ModelConfigError, preflight
from longwriter_v.nodes.errors import InputError
from longwriter_v.nodes.images import ImagePolicy, default_cache_dir

NO_MODEL_HELP = (
    "No usable model. Configure one of:\n"
    "  export OPENAI_API_KEY=...                      (then --model openai:gpt-4o)\n"
    "  --model openai:<name>@http://host:8000/v1      (vLLM or any OpenAI-compatible server)\n"
    "  --model transformers:THU-KEG/LongWriter-V-7B   (local checkpoint; "
    "pip install 'longwriter-v[local]')"
)
# What `serve` and the repository's langgraph.json serve (a test keeps the two equal).
GRAPHS = {
    "writer": {
        "path": "longwriter_v.graphs.writer:graph",
        "description": "LongWriter-Agent-V: caption the images, plan an outline with a word "
        "budget per section, write each section, check lengths with the benchmark's word "
        "counter, revise what misses, assemble.",
    },
    "evaluation": {
        "path": "longwriter_v.graphs.evaluation:graph",
        "description": "A benchmark run (MMLongBench-Write, LongWrite-V-Ruler, LongBench-Write, "
        "LongWrite-Ruler): load, generate per example, judge, aggregate; results kept in the "
        "store so reruns pay only for what is missing.",
    },
}
CONTEXT_FLAGS = (
    "model",
    "caption_model",
    "outline_model",
    "writer_model",
    "reviser_model",
    "mode",
    "temperature",
    "max_tokens",
    "concurrency",
    "tolerance",
    "max_revise_rounds",
    "language",
    "prompt_style",
    "default_words",
)


def _add_write(sub) -> None:
    p = sub.add_parser("write", help="write a long document from an instruction and images")
    p.add_argument("instruction", nargs="?", help="the writing request (omit when resuming)")
    p.add_argument("--images", nargs="*", default=[], help="image files, http(s) URLs or data URLs")
    p.add_argument(
        "--target-words", type=int, help="required length (default: from the instruction)"
    )
    p.add_argument("--out", type=Path, help="write the document here (default: stdout)")
    p.add_argument("--thread", help="thread id; an unfinished thread resumes where it stopped")
    p.add_argument(
        "--db", default="runs.sqlite", help="SQLite file or postgres:// URL (checkpoints)"
    )
    p.add_argument(
        "--cache",
        default=str(default_cache_dir().parent / "cache.sqlite"),
        help="SQLite file of cached captions, shared by all runs",
    )
    p.add_argument("--review", action="store_true", help="pause to review the outline")
    p.add_argument(
        "--answer", help="answer to an outline review: approve, feedback text, or @edited.json"
    )
    p.add_argument("--skip-captions", action="store_true", help="do not caption images")
    p.add_argument("--no-progress", action="store_true", help="no live progress display")
    for flag in CONTEXT_FLAGS:
        field = WriterContext.__dataclass_fields__[flag]
        p.add_argument(
            "--" + flag.replace("_", "-"),
            dest=flag,
            type=type(field.default) if isinstance(field.default, int | float) else str,
            help=field.metadata.get("description"),
        )


def _add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve the graphs for LangGraph Studio (langgraph dev)")
    p.add_argument("--port", type=int, default=2024)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument(
        "--image-dir",
        action="append",
        default=[],
        help="folder whose images clients may name by path (repeatable)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="longwriter-v", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    _add_write(sub)
    _add_serve(sub)
    add_export(sub)
    add_eval(sub)
    return p


def run_context(args) -> WriterContext:
    """Collect the per-run settings given on the command line (others keep their defaults)."""
    given = {k: getattr(args, k) for k in CONTEXT_FLAGS if getattr(args, k) is not None}
    given |= {"review_outline": args.review, "skip_captions": args.skip_captions}
    return WriterContext(**given)


def read_answer(answer: str | None, outline: dict, console: Console):
    """Turn --answer (or an interactive reply) into the outline review's resume value."""
    if answer is None and sys.stdin.isatty():
        console.print_json(data=outline)
        answer = console.input("approve, feedback text, or @edited.json: ")
    if answer is None:
        return None
    if answer.startswith("@"):
        return {"action": "edit", "outline": json.loads(Path(answer[1:]).read_text())}
    return answer


async def write(args, console: Console) -> int:
    ctx = run_context(args)
    for spec in {ctx.model_for(s) for s in ("caption", "outline", "writer", "reviser")}:
        preflight(spec)
    thread = args.thread or uuid.uuid4().hex
    config = {"configurable": {"thread_id": thread}}
    policy = ImagePolicy.for_files(
        [s for s in args.images if "://" not in s and not s.startswith("data:")]
    )
    Path(args.cache).parent.mkdir(parents=True, exist_ok=True)
    async with open_checkpointer(args.db) as saver:
        graph = compile_writer(
            checkpointer=saver, cache=SqliteCache(path=args.cache), image_policy=policy
        )
        state = await graph.aget_state(config)
        if state.values.get("document") and not state.next:
            console.print(f"thread {thread} is already finished; printing its document")
            return finish(state.values, args, console)
        if state.next:
            interrupts = [i for t in state.tasks for i in t.interrupts]
            if interrupts:
                value = read_answer(args.answer, interrupts[0].value, console)
                if value is None:
                    return awaiting_review(console, thread)
                run_input = Command(resume=value)
            else:
                run_input = None
            console.print(f"resuming thread {thread} at {', '.join(state.next)}")
        else:
            if not args.instruction:
                raise InputError("instruction is missing: give it as the first argument")
            run_input = {
                "instruction": args.instruction,
                "images": args.images,
                "target_words": args.target_words,
            }
            console.print(f"thread {thread} (resume with --thread {thread} --db {args.db})")
        with Progress(console, enabled=not args.no_progress) as progress:
            async for mode, event in graph.astream(
                run_input,
                config,
                context=ctx,
                stream_mode=["updates", "custom"],
                durability="sync",  # each step is saved before the next starts: a kill loses none
            ):
                progress.update(mode, event)
        state = await graph.aget_state(config)
        if state.next:
            return awaiting_review(console, thread)
        return finish(state.values, args, console)


def awaiting_review(console: Console, thread: str) -> int:
    """Tell how to answer a pending outline review; exit code 3 means 'waiting for you'."""
    console.print(
        f"the outline awaits review; rerun with --thread {thread} "
        "--answer approve|'<feedback>'|@edited.json"
    )
    return 3


def finish(values: dict, args, console: Console) -> int:
    """Write the document and its report, print the summary."""
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(values["document"], encoding="utf-8")
        args.out.with_suffix(".report.json").write_text(json.dumps(values["report"], indent=2))
        console.print(f"wrote {args.out} and {args.out.with_suffix('.report.json')}")
    else:
        sys.stdout.write(values["document"] + "\n")
    console.print(summary_table(values["report"]))
    return 0


def langgraph_cli() -> str:
    """Return the `langgraph` CLI installed beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "langgraph"
    return str(beside) if beside.exists() else "langgraph"


def serve(args) -> int:
    """Run `langgraph dev` on a generated config that points at the installed graphs."""
    workdir = Path(tempfile.mkdtemp(prefix="longwriter-v-serve-"))
    config = {"dependencies": ["."], "graphs": GRAPHS}
    (workdir / "langgraph.json").write_text(json.dumps(config))
    env = dict(os.environ)
    if args.image_dir:
        env["LONGWRITER_V_IMAGE_DIRS"] = os.pathsep.join(
            str(Path(d).resolve()) for d in args.image_dir
        )
    cmd = [
        langgraph_cli(),
        "dev",
        "--no-browser",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--config",
        str(workdir / "langgraph.json"),
    ]
    return subprocess.call(cmd, cwd=workdir, env=env)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)
    if args.command == "serve":
        return serve(args)
    if args.command == "export":
        return run_export(args, console)
    if args.command == "eval" and args.benchmark == "compare":
        return run_compare(args, console)
    try:
        if args.command == "eval":
            return asyncio.run(run_eval(args, console))
        return asyncio.run(write(args, console))
    except ModelConfigError as e:
        console.print(f"[red]model error:[/] {escape(str(e))}\n{escape(NO_MODEL_HELP)}")
        return 2
    except (InputError, DataError, ValueError) as e:  # bad input or settings, named in `e`
        console.print(f"[red]input error:[/] {escape(str(e))}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
