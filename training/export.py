"""Write SFT or DPO datasets from finished writer runs, streaming (only ranked pairs keep the
documents' text until the end), with every row checked first and a card recording provenance."""

import json
import statistics
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from longwriter_v.evals.metrics import count_words
from longwriter_v.training.rows import RowError, check, ranked_pairs, segment_pairs, sft_row
from longwriter_v.training.traces import Trace

FORMATS = ("disk", "parquet", "jsonl")


@dataclass
class Options:
    kind: str  # "sft" or "dpo"
    layout: str = "messages"  # SFT: "messages" or "prompt-completion"
    pairs: str = "segments"  # DPO: "segments", "ranked" or "both"
    score: str = "length"  # ranked pairs: "length", "judge" or "both"
    min_margin: float = 5.0
    judge: dict[str, float] | None = None  # trace id -> 0..100 quality score
    max_length: int | None = None  # tokens, counted with `processor`
    processor: str | None = None
    keep_long: bool = False


@dataclass
class Summary:
    runs: int = 0
    unfinished: int = 0
    rows: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason -> rows
    too_long: int = 0
    words: list[int] = field(default_factory=list)
    models: set[str] = field(default_factory=set)
    prompt_styles: set[str] = field(default_factory=set)

    def table(self) -> list[tuple[str, str]]:
        rows = [
            ("runs read", self.runs),
            ("unfinished runs passed over", self.unfinished),
            ("rows written", self.rows),
            ("rows over max_length", self.too_long),
            *((f"rejected: {reason}", n) for reason, n in self.rejected.items()),
        ]
        if self.words:
            rows.append(("document words (mean)", round(statistics.mean(self.words))))
        return [(name, str(value)) for name, value in rows]


def features(options: Options):
    from datasets import Features, Image, List, Value

    block = {"type": Value("string"), "text": Value("string")}
    turns = List({"role": Value("string"), "content": List(block)})
    if options.kind == "dpo":
        columns = ["prompt", "chosen", "rejected"]
    elif options.layout == "messages":
        columns = ["messages"]
    else:
        columns = ["prompt", "completion"]
    return Features({**{c: turns for c in columns}, "images": List(Image())})


class TokenCounter:
    """Tokens a row takes through a checkpoint's processor as training sees it, image tokens
    included."""

    def __init__(self, source: str):
        from longwriter_v.training.common import training_processor

        self.processor = training_processor(source)

    def __call__(self, row: dict) -> int:
        import io

        from PIL import Image

        images = [Image.open(io.BytesIO(cell["bytes"])) for cell in row["images"]] or None
        endings = [row[k] for k in ("messages", "completion", "chosen", "rejected") if k in row]
        counts = []
        for ending in endings:
            turns = ending if "messages" in row else [*row["prompt"], *ending]
            text = self.processor.apply_chat_template(turns, tokenize=False)
            counts.append(len(self.processor(text=[text], images=images)["input_ids"][0]))
        return max(counts)


def rows(
    states: Iterator[tuple[str, dict]], options: Options, summary: Summary, tick=lambda: None
) -> Iterator[dict]:
    """Checked rows from (id, state) pairs; counts everything in `summary`."""
    count = TokenCounter(options.processor) if options.max_length and options.processor else None
    for row in _raw_rows(_traces(states, summary, tick), options):
        try:
            if isinstance(row, RowError):
                raise row
            check(row)
        except RowError as e:
            summary.rejected[str(e)] += 1
            continue
        if count and count(row) > options.max_length:
            summary.too_long += 1
            if not options.keep_long:
                continue
        summary.rows += 1
        yield row


def _traces(states, summary: Summary, tick) -> Iterator[Trace]:
    for trace_id, state in states:
        summary.runs += 1
        tick()
        trace = Trace.of(trace_id, state)
        if trace is None:
            summary.unfinished += 1
            continue
        summary.words.append(count_words(trace.document))
        summary.models.update(_model_name(m) for m in trace.models)
        summary.prompt_styles.add(trace.report.get("prompt_style", "default"))
        yield trace


def _raw_rows(traces: Iterator[Trace], options: Options) -> Iterator[dict | RowError]:
    """Rows, or the RowError that kept a run's rows from being built."""
    kept = []  # ranking needs every document of an instruction at hand (text, not pixels)
    for trace in traces:
        if options.kind == "sft":
            yield from _built(lambda t=trace: [sft_row(t, options.layout)])
            continue
        if options.pairs != "ranked":
            yield from _built(lambda t=trace: list(segment_pairs(t)))
        if options.pairs != "segments":
            kept.append(trace)
    if kept:
        yield from _built(
            lambda: list(ranked_pairs(kept, options.score, options.min_margin, options.judge))
        )


def _built(build) -> list[dict | RowError]:
    try:
        return build()
    except RowError as e:
        return [e]


def _model_name(spec: str) -> str:
    """A model spec without its server address (no machine details leave in a dataset)."""
    return spec.split("@", 1)[0]


def export(
    states: Iterator[tuple[str, dict]],
    out: Path,
    options: Options,
    fmt: str = "disk",
    push_to_hub: str | None = None,
    tick=lambda: None,
) -> Summary:
    """Write the dataset to `out` (and the Hub), with README.md as its card."""
    from datasets import Dataset
    from datasets.exceptions import DatasetGenerationError

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    summary = Summary()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as cache:
        try:
            dataset = Dataset.from_generator(
                rows,
                features=features(options),
                cache_dir=cache,
                fingerprint=uuid.uuid4().hex,
                gen_kwargs={"states": states, "options": options, "summary": summary, "tick": tick},
            )
        except (DatasetGenerationError, ValueError) as e:  # datasets cannot build zero rows
            if summary.rows:
                raise
            raise ValueError(f"no rows to write ({_said(summary)})") from e
        if fmt == "disk":
            dataset.save_to_disk(str(out / "data"))
        elif fmt == "parquet":
            dataset.to_parquet(str(out / "data.parquet"))
        else:
            _write_jsonl(dataset, out)
        card = dataset_card(options, summary)
        (out / "README.md").write_text(card)
        if push_to_hub:
            from huggingface_hub import DatasetCard

            dataset.push_to_hub(push_to_hub)
            DatasetCard(card).push_to_hub(push_to_hub, repo_type="dataset")
    return summary


def _said(summary: Summary) -> str:
    return ", ".join(f"{name}: {value}" for name, value in summary.table())


def _write_jsonl(dataset, out: Path) -> None:
    """Rows as JSON lines; images as files under images/, named by content hash."""
    from datasets import Image, List

    (out / "images").mkdir(exist_ok=True)
    with open(out / "data.jsonl", "w", encoding="utf-8") as lines:
        for row in dataset.cast_column("images", List(Image(decode=False))):
            for cell in row["images"]:
                image = out / "images" / cell["path"]
                if not image.exists():  # named by content hash: one file per distinct image
                    image.write_bytes(cell["bytes"])
            row["images"] = [f"images/{cell['path']}" for cell in row["images"]]
            lines.write(json.dumps(row, ensure_ascii=False) + "\n")


def dataset_card(options: Options, summary: Summary) -> str:
    """A Hub dataset card: what the rows are, where they came from, and their statistics."""
    from importlib.metadata import version

    words = summary.words or [0]
    meta = {
        "kind": options.kind,
        "layout": options.layout if options.kind == "sft" else f"preference ({options.pairs})",
        "graph": f"longwriter-v {version('longwriter-v')}",
        "models": sorted(summary.models),
        "prompt_styles": sorted(summary.prompt_styles),
        "runs": summary.runs,
        "rows": summary.rows,
        "document_words": {
            "mean": round(statistics.mean(words)),
            "median": round(statistics.median(words)),
            "min": min(words),
            "max": max(words),
        },
    }
    if options.kind == "dpo" and options.pairs != "segments":
        meta["ranking"] = {"score": options.score, "min_margin": options.min_margin}
    return (
        "---\ntask_categories:\n- image-text-to-text\ntags:\n- longwriter-v\n- trl\n---\n\n"
        f"# LongWriter-V {options.kind.upper()} data\n\n"
        "Exported from finished runs of the LongWriter-V writer graph, in the layout TRL "
        f"trains on ({'messages' if options.kind == 'sft' else 'prompt/chosen/rejected'} "
        "with an `images` column).\n\n"
        f"```json\n{json.dumps(meta, indent=2, ensure_ascii=False)}\n```\n"
    )
