"""`longwriter-v eval <benchmark>`: run a benchmark as a resumable graph run;
`longwriter-v eval compare`: put runs (and the paper's rows) side by side."""

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

from rich import progress as rp
from rich.console import Console
from rich.markdown import Markdown

from longwriter_v.cli.checkpoints import open_checkpointer
from longwriter_v.evals.benchmarks import BENCHMARKS, benchmark
from longwriter_v.evals.report import compare, ruler_plot
from longwriter_v.graphs.context import WriterContext
from longwriter_v.graphs.evaluation import EvalContext, compile_evaluation
from longwriter_v.models.factory import preflight


def add_eval(sub) -> None:
    p = sub.add_parser("eval", help="evaluate a model, captions + a model, or the writer graph")
    kinds = p.add_subparsers(dest="benchmark", required=True)
    for name in BENCHMARKS:
        _add_benchmark(kinds.add_parser(name, help=f"run {name}"))
    c = kinds.add_parser("compare", help="put several runs side by side")
    c.add_argument("runs", nargs="+", type=Path, help="run folders (or their report.json)")
    c.add_argument("--paper", action="store_true", help="add the paper's published rows")
    c.add_argument("--out", type=Path, help="write the comparison (and plot) here")


def _add_benchmark(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", required=True, help="model spec under test (writer: its model)")
    p.add_argument("--method", choices=("vlm", "caption_llm"), default="vlm")
    p.add_argument("--graph", choices=("writer",), help="evaluate the writer graph instead")
    p.add_argument("--context", help="writer settings as JSON or @file.json (with --graph)")
    p.add_argument("--caption-model", help="captioning model of caption_llm")
    p.add_argument("--judge", help="judge model spec, or 'none' (default: the benchmark's)")
    p.add_argument("--data", help="dataset: hub id, folder, parquet or JSONL (default: its own)")
    p.add_argument("--limit", type=int, help="evaluate only the first N examples")
    p.add_argument("--concurrency", type=int, default=4, help="examples generated at once")
    p.add_argument("--temperature", type=float)
    p.add_argument("--top-p", dest="top_p", type=float)
    p.add_argument("--max-tokens", dest="max_tokens", type=int)
    p.add_argument("--length-formula", choices=("paper", "released"), default="paper")
    p.add_argument("--label", help="name of this run in tables")
    p.add_argument("--out", type=Path, required=True, help="run folder: results, reports")
    p.add_argument("--no-progress", action="store_true")


def eval_context(args) -> EvalContext:
    """Turn the command line into the evaluation's context, refusing inconsistent flags."""
    if args.context and not args.graph:
        raise ValueError("--context sets writer settings: use it with --graph writer")
    writer = {}
    if args.context:
        text = Path(args.context[1:]).read_text() if args.context.startswith("@") else args.context
        writer = json.loads(text)
        WriterContext.from_dict(writer)  # unknown keys fail here, by name
    given = {
        k: getattr(args, k)
        for k in ("caption_model", "judge", "temperature", "top_p", "max_tokens", "label")
        if getattr(args, k) is not None
    }
    return EvalContext(
        target=args.target,
        method="writer" if args.graph else args.method,
        writer_context=writer,
        concurrency=args.concurrency,
        length_formula=args.length_formula,
        out=str(args.out),
        **given,
    )


def check_models(ctx: EvalContext, name: str) -> None:
    """Fail before any work when a model this run needs cannot be used."""
    bench = benchmark(name)
    specs = {ctx.target}
    if ctx.method == "caption_llm" and bench.multimodal:
        specs.add(ctx.caption_model)
    if ctx.method == "writer":
        writer = WriterContext.from_dict({"model": ctx.target} | ctx.writer_context)
        specs |= {writer.model_for(s) for s in ("caption", "outline", "writer", "reviser")}
    if judge := ctx.judge_for(bench):
        specs.add(judge)
    for spec in sorted(specs):
        preflight(spec)


class EvalProgress:
    """Counts of generated and judged examples, failures and cost so far."""

    def __init__(self, console: Console, enabled: bool):
        self.bar = rp.Progress(
            rp.TextColumn("{task.description}"),
            rp.BarColumn(),
            rp.MofNCompleteColumn(),
            rp.TextColumn("{task.fields[note]}"),
            console=console,
            disable=not enabled,
        )
        self.tasks: dict[str, rp.TaskID] = {}
        self.failed = {"generated": 0, "judged": 0}
        self.cost = 0.0

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        self.bar.__exit__(*exc)

    def start(self, total: int, generated: int = 0) -> None:
        """Show the bars for `total` examples, `generated` of them already done."""
        for name in ("generated", "judged"):
            done = generated if name == "generated" else 0
            self.tasks[name] = self.bar.add_task(name, total=total, completed=done, note="")

    def update(self, mode: str, event: dict) -> None:
        if mode == "updates" and "load" in event:
            self.start(len(event["load"]["examples"]))
        elif mode == "custom" and event.get("event") in self.failed:
            name = event["event"]
            self.failed[name] += event["status"] == "error"
            self.cost += event["cost"]
            note = f"failed {self.failed[name]} | ${self.cost:.4f} so far"
            self.bar.update(self.tasks[name], advance=1, note=note)


def thread_of(name: str, data: str | None, limit: int | None, ctx: EvalContext) -> str:
    """The checkpoint thread of this exact run: an unfinished one is resumed."""
    payload = json.dumps([name, data, limit, ctx.__dict__], sort_keys=True, default=str)
    return "eval-" + hashlib.sha256(payload.encode()).hexdigest()[:16]


async def run_eval(args, console: Console) -> int:
    """Run (or resume) one evaluation; exit 1 when examples failed and a rerun would retry them."""
    from langgraph.store.sqlite.aio import AsyncSqliteStore

    ctx = eval_context(args)
    check_models(ctx, args.benchmark)
    args.out.mkdir(parents=True, exist_ok=True)
    run_input = {"benchmark": args.benchmark, "data": args.data, "limit": args.limit}
    config = {"configurable": {"thread_id": thread_of(args.benchmark, args.data, args.limit, ctx)}}
    async with (
        AsyncSqliteStore.from_conn_string(str(args.out / "results.sqlite")) as store,
        open_checkpointer(str(args.out / "checkpoints.sqlite")) as saver,
    ):
        await store.setup()
        graph = compile_evaluation(checkpointer=saver, store=store)
        state = await graph.aget_state(config)
        with EvalProgress(console, enabled=not args.no_progress) as progress:
            if state.next:
                left = ", ".join(f"{n} x {node}" for node, n in Counter(state.next).items())
                console.print(f"resuming the unfinished run: {left} left")
                run_input = None
                if total := len(state.values.get("examples") or []):
                    progress.start(total, total - state.next.count("generate"))
            async for mode, event in graph.astream(
                run_input,
                config,
                context=ctx,
                stream_mode=["updates", "custom"],
                durability="sync",  # a step is minutes of model time: save it before the next
            ):
                progress.update(mode, event)
        values = (await graph.aget_state(config)).values
    console.print(Markdown(Path(values["files"][1]).read_text()))
    console.print("wrote " + ", ".join(values["files"]))
    counts = values["report"]["counts"]
    return 1 if counts["failed"] or counts["judge_failed"] else 0


def run_compare(args, console: Console) -> int:
    reports = [json.loads((r / "report.json" if r.is_dir() else r).read_text()) for r in args.runs]
    text = compare(reports, paper=args.paper)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        if not any(r["judge"] for r in reports):
            plot = ruler_plot(reports, args.out.with_suffix(".png"))
            console.print(f"wrote {plot}")
        console.print(f"wrote {args.out}")
    console.print(Markdown(text))
    return 0
