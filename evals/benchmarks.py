"""The four long-writing benchmarks: where their data lives, how they are generated and scored."""

from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
BUCKETS = ((0, 1500), (1500, 2000), (2000, 3000), (3000, None))


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: its default data source, columns and the paper's generation settings."""

    name: str
    source: str  # Hugging Face dataset id, or a bundled JSONL file
    question_column: str
    length_column: str
    multimodal: bool
    judge: str | None  # default judge spec; None for the Ruler benchmarks (length only)
    temperature: float
    max_tokens: int
    top_p: float = 0.95
    split: str = "train"
    task_column: str | None = None

    @property
    def ruler(self) -> bool:
        return self.judge is None


BENCHMARKS = {
    b.name: b
    for b in (
        Benchmark(
            name="mmlongbench-write",
            source="THU-KEG/MMLongBench-Write",
            question_column="question",
            length_column="L",
            multimodal=True,
            judge="openai:gpt-4o-2024-08-06",
            temperature=0.6,
            max_tokens=8192,
            task_column="task",
        ),
        Benchmark(
            name="longwrite-v-ruler",
            source="THU-KEG/LongWrite-V-Ruler",
            question_column="question",
            length_column="L",
            multimodal=True,
            judge=None,
            temperature=0.9,
            max_tokens=8192,
        ),
        # Text-only predecessors. 32768 new tokens, as LongWriter generated them, so that
        # the 20,000- and 30,000-word requests can be met at all.
        Benchmark(
            name="longbench-write",
            source=str(DATA_DIR / "longbench_write.jsonl"),
            question_column="prompt",
            length_column="length",
            multimodal=False,
            judge="openai:gpt-4o-2024-05-13",
            temperature=0.6,
            max_tokens=32768,
            task_column="type",
        ),
        Benchmark(
            name="longwrite-ruler",
            source=str(DATA_DIR / "longwrite_ruler.jsonl"),
            question_column="prompt",
            length_column="length",
            multimodal=False,
            judge=None,
            temperature=0.9,
            max_tokens=32768,
            task_column="type",
        ),
    )
}


def benchmark(name: str) -> Benchmark:
    """Return a benchmark by name, or fail naming the valid ones."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise ValueError(f"unknown benchmark {name!r}; valid: {', '.join(BENCHMARKS)}") from None


def bucket_of(required_words: int) -> str:
    """Name the required-length bucket a sample falls in, e.g. '[1500,2000)'."""
    for low, high in BUCKETS:
        if high is None or required_words < high:
            return bucket_name(low, high)
    raise AssertionError("unreachable: the last bucket is open")


def bucket_name(low: int, high: int | None) -> str:
    return f"[{low},{high})" if high is not None else f"[{low},inf)"
