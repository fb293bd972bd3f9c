"""A benchmark run as a graph: load -> one generation per example (Send) -> score -> aggregate.

Every finished generation and judgement goes to the LangGraph store (SQLite from the CLI,
the server's store under `langgraph dev`), keyed by run configuration and example, as soon
as it exists: a rerun pays only for what is missing or failed.
"""

import asyncio
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, NotRequired, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore
from langgraph.types import Command, Send

from longwriter_v.evals.benchmarks import Benchmark, benchmark
from longwriter_v.evals.data import Example, load_examples
from longwriter_v.evals.judge import (
    JUDGE_MAX_TOKENS,
    JUDGE_TEMPERATURE,
    JUDGE_TRIES,
    JUDGE_VERSION,
    judge,
)
from longwriter_v.evals.metrics import count_words
from longwriter_v.evals.report import markdown, ruler_plot, summarize
from longwriter_v.evals.targets import Method, Target, generate, image_refs, writer_context
from longwriter_v.graphs.context import DEFAULT_MODEL
from longwriter_v.models.pricing import ledger
from longwriter_v.nodes.llm import concurrency_gate


@dataclass(kw_only=True)
class EvalContext:
    """Settings of one evaluation. Unset generation settings take the benchmark's (the paper's)."""

    target: str = field(
        default_factory=lambda: os.environ.get("LONGWRITER_V_MODEL") or DEFAULT_MODEL,
        metadata={"description": "Model spec under test (for method writer: the writer's model)."},
    )
    method: Method = field(
        default="vlm",
        metadata={
            "description": "vlm: the model sees the images; caption_llm: caption_model "
            "describes them and the target writes from text only; writer: the writer graph."
        },
    )
    caption_model: str = field(
        default="openai:gpt-4o-2024-08-06",
        metadata={"description": "Captioning model of the caption_llm method."},
    )
    writer_context: dict = field(
        default_factory=dict, metadata={"description": "Writer graph settings (method writer)."}
    )
    judge: str | None = field(
        default=None,
        metadata={"description": "Judge model spec; unset: the benchmark's; 'none': no judge."},
    )
    temperature: float | None = field(
        default=None, metadata={"description": "Sampling temperature."}
    )
    top_p: float | None = field(default=None, metadata={"description": "Nucleus sampling top_p."})
    max_tokens: int | None = field(default=None, metadata={"description": "Most new tokens."})
    concurrency: int = field(default=4, metadata={"description": "Examples generated at once."})
    length_formula: Literal["paper", "released"] = field(
        default="paper",
        metadata={"description": "paper: eq. 6 of the paper; released: the released code's."},
    )
    out: str = field(default="runs/eval", metadata={"description": "Folder for the reports."})
    label: str | None = field(default=None, metadata={"description": "Name of this run in tables."})

    def target_for(self, bench: Benchmark) -> Target:
        return Target(
            spec=self.target,
            method=self.method,
            caption_model=self.caption_model,
            writer_context=self.writer_context,
            temperature=bench.temperature if self.temperature is None else self.temperature,
            top_p=bench.top_p if self.top_p is None else self.top_p,
            max_tokens=bench.max_tokens if self.max_tokens is None else self.max_tokens,
        )

    def judge_for(self, bench: Benchmark) -> str | None:
        return None if self.judge == "none" else self.judge or bench.judge

    def check(self, bench: Benchmark) -> None:
        """Refuse settings that would fail every example, before any model call."""
        if self.method not in ("vlm", "caption_llm", "writer"):
            raise ValueError(f"method={self.method!r}: use vlm, caption_llm or writer")
        if self.length_formula not in ("paper", "released"):
            raise ValueError(f"length_formula={self.length_formula!r}: use paper or released")
        if self.method == "writer":
            writer_context(self.target_for(bench))  # unknown writer settings fail here


class EvalInput(TypedDict):
    benchmark: str
    data: NotRequired[str | None]  # hub id, folder or file; default: the benchmark's own
    limit: NotRequired[int | None]


class EvalOutput(TypedDict):
    report: dict
    files: list[str]


class EvalState(EvalInput, total=False):
    config_key: str
    judge_key: str | None
    examples: list[Example]
    report: dict
    files: list[str]


class ExampleTask(TypedDict):
    benchmark: str
    config_key: str
    judge_key: str | None
    example: Example


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def config_key(bench: Benchmark, target: Target) -> str:
    """Key of everything that shapes a generation; the judge and length formula are not in it."""
    return digest({"benchmark": bench.name, **asdict(target)})


def judge_key(spec: str | None) -> str | None:
    if spec is None:
        return None
    return digest([spec, JUDGE_TEMPERATURE, JUDGE_MAX_TOKENS, JUDGE_TRIES, JUDGE_VERSION])


def generations(task) -> tuple:
    return ("eval", task["benchmark"], task["config_key"], "generation")


def judgements(task) -> tuple:
    return ("eval", task["benchmark"], task["config_key"], "judgement", task["judge_key"])


def settings(runtime: Runtime[EvalContext]) -> EvalContext:
    ctx = runtime.context
    if ctx is None:
        return EvalContext()
    return EvalContext(**ctx) if isinstance(ctx, dict) else ctx


def store_of(runtime: Runtime) -> BaseStore:
    if runtime.store is None:
        raise RuntimeError(
            "the evaluation graph needs a store for its results: compile it with "
            "compile_evaluation(store=...) or run it under `langgraph dev`"
        )
    return runtime.store


def load(state: EvalState, runtime: Runtime[EvalContext]) -> dict:
    """Load and check the benchmark's examples; fix the keys that results are stored under."""
    ctx = settings(runtime)
    bench = benchmark(state["benchmark"])
    ctx.check(bench)
    limit = state.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit={limit!r}: give a positive whole number of examples")
    examples = load_examples(bench, state.get("data"), limit)
    return {
        "examples": examples,
        "config_key": config_key(bench, ctx.target_for(bench)),
        "judge_key": judge_key(ctx.judge_for(bench)),
    }


def fan_out(state: EvalState) -> list[Send]:
    keys = {k: state[k] for k in ("benchmark", "config_key", "judge_key")}
    return [Send("generate", ExampleTask(example=e, **keys)) for e in state["examples"]]


async def generate_one(task: ExampleTask, runtime: Runtime[EvalContext]) -> Command:
    """Generate one example's response unless a finished one is stored; store the outcome."""
    ctx = settings(runtime)
    store, example = store_of(runtime), task["example"]
    stored = await store.aget(generations(task), example["key"])
    if stored and stored.value["status"] == "ok":
        runtime.stream_writer({"event": "generated", "status": "stored", "cost": 0.0})
        return Command(goto=Send("score", task))
    async with concurrency_gate(ctx.concurrency, "examples"):
        started = time.monotonic()
        try:
            text, records = await generate(
                example, ctx.target_for(benchmark(task["benchmark"])), store
            )
            record = {"status": "ok", "output": text, "words": count_words(text), "error": None}
        except Exception as e:  # noqa: BLE001 - recorded, reported and retried on the next run
            record = {
                "status": "error",
                "output": "",
                "words": 0,
                "error": f"{type(e).__name__}: {e}",
            }
            records = []
    usage = ledger(records)
    record |= {"id": example["id"], "usage": usage, "seconds": round(time.monotonic() - started, 3)}
    await store.aput(generations(task), example["key"], record)
    runtime.stream_writer(
        {"event": "generated", "status": record["status"], "cost": usage["cost_usd"] or 0.0}
    )
    return Command(goto=Send("score", task))


async def score(task: ExampleTask, runtime: Runtime[EvalContext]) -> dict:
    """Judge one finished generation unless a verdict (scores or a refusal) is stored."""
    ctx = settings(runtime)
    store, example = store_of(runtime), task["example"]
    bench = benchmark(task["benchmark"])
    spec = ctx.judge_for(bench)
    generation = await store.aget(generations(task), example["key"])
    if spec is None or generation is None or generation.value["status"] != "ok":
        runtime.stream_writer({"event": "judged", "status": "skipped", "cost": 0.0})
        return {}
    stored = await store.aget(judgements(task), example["key"])
    if stored and stored.value["status"] in ("ok", "refused"):
        runtime.stream_writer({"event": "judged", "status": "stored", "cost": 0.0})
        return {}
    async with concurrency_gate(ctx.concurrency, "judgements"):
        try:
            images = await image_refs(example["images"]) if bench.multimodal else []
            verdict = await judge(spec, example["question"], generation.value["output"], images)
        except Exception as e:  # noqa: BLE001 - recorded and retried on the next run
            verdict = {"status": "error", "error": f"{type(e).__name__}: {e}", "scores": None}
            verdict |= {"attempts": 0, "reply": "", "usage": ledger([])}
    await store.aput(judgements(task), example["key"], verdict)
    runtime.stream_writer(
        {
            "event": "judged",
            "status": verdict["status"],
            "cost": verdict["usage"]["cost_usd"] or 0.0,
        }
    )
    return {}


async def aggregate(state: EvalState, runtime: Runtime[EvalContext]) -> dict:
    """Read every example's stored results and write report.json, report.md (and ruler.png)."""
    ctx = settings(runtime)
    store, bench = store_of(runtime), benchmark(state["benchmark"])
    target, judge_spec = ctx.target_for(bench), ctx.judge_for(bench)
    results = {}
    for e in state["examples"]:
        task = {k: state[k] for k in ("benchmark", "config_key", "judge_key")}
        gen = await store.aget(generations(task), e["key"])
        verdict = await store.aget(judgements(task), e["key"]) if judge_spec else None
        results[e["key"]] = {
            "generation": gen.value if gen else None,
            "judgement": verdict.value if verdict else None,
        }
    meta = {
        "benchmark": bench.name,
        "label": ctx.label or f"{target.spec} ({target.method})",
        "config_key": state["config_key"],
        "judge": judge_spec,
        **asdict(target),
        "target": target.spec,
    }
    report = summarize(meta, state["examples"], results, ctx.length_formula, judge_spec is not None)
    files = await asyncio.to_thread(write_reports, report, Path(ctx.out))
    return {"report": report, "files": files}


def write_reports(report: dict, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    files = [str(out / "report.json"), str(out / "report.md")]
    if not report["judge"] and report["ruler"]:
        files.append(str(ruler_plot([report], out / "ruler.png")))
    return files


def build_evaluation() -> StateGraph:
    g = StateGraph(
        EvalState, context_schema=EvalContext, input_schema=EvalInput, output_schema=EvalOutput
    )
    g.add_node("load", load)
    g.add_node("generate", generate_one, destinations=("score",))
    g.add_node("score", score)
    g.add_node("aggregate", aggregate)
    g.add_edge(START, "load")
    g.add_conditional_edges("load", fan_out, ["generate"])
    g.add_edge("score", "aggregate")
    g.add_edge("aggregate", END)
    return g


def compile_evaluation(checkpointer=None, store: BaseStore | None = None):
    """Compile the evaluation; `store` keeps the per-example results (required outside a server)."""
    return build_evaluation().compile(
        checkpointer=checkpointer, store=store, name="longwriter-v-eval"
    )


graph = compile_evaluation()
