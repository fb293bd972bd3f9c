"""Load a benchmark's rows as examples: checked, with images written once by content hash."""

import hashlib
import io
from pathlib import Path
from typing import Literal, TypedDict

from PIL import Image, UnidentifiedImageError

from longwriter_v.evals.benchmarks import Benchmark
from longwriter_v.nodes.images import default_cache_dir, unique_tmp
from longwriter_v.nodes.llm import document_language
from longwriter_v.nodes.required_length import parse_required_length


class DataError(ValueError):
    """A dataset cannot be used; the message names the source, row and column, and the fix."""


class Example(TypedDict):
    key: str  # the id plus a hash of the content: a changed row is a new example
    id: str
    question: str
    images: list[str]  # files in the benchmark image cache
    required_words: int
    length_source: Literal["L", "question"]
    task: str | None
    language: Literal["en", "zh"]


def image_cache_dir() -> Path:
    """Where benchmark images are written, once each, named by their sha256."""
    return default_cache_dir().parent / "benchmark-images"


def open_rows(bench: Benchmark, source: str | None):
    """Open the rows of `source` (default: the benchmark's own) as a `datasets.Dataset`.

    A source is a Hugging Face dataset id, a folder (`save_to_disk` output or data files), or
    a parquet / JSONL file with the benchmark's columns.
    """
    try:
        import datasets
    except ImportError as e:
        raise DataError("benchmarks need: pip install 'longwriter-v[eval]'") from e
    source = source or bench.source
    path = Path(source).expanduser()
    if path.is_dir():
        if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
            ds = datasets.load_from_disk(str(path))
            return ds[bench.split] if isinstance(ds, datasets.DatasetDict) else ds
        return datasets.load_dataset(str(path), split=bench.split)
    if path.suffix in (".parquet", ".jsonl", ".json"):
        if not path.is_file():
            raise DataError(f"dataset {source}: no such file; check the path")
        kind = "parquet" if path.suffix == ".parquet" else "json"
        return datasets.load_dataset(kind, data_files=str(path), split="train")
    try:
        return datasets.load_dataset(source, split=bench.split)
    except Exception as e:  # noqa: BLE001 - hub, network and format errors alike
        raise DataError(
            f"dataset {source}: could not be loaded ({type(e).__name__}: {e}). Without network, "
            f"download it elsewhere (huggingface-cli download --repo-type dataset {source} "
            "--local-dir DIR) and pass --data DIR"
        ) from e


def _raw_images(ds):
    """Keep image columns undecoded: the original bytes are hashed and written as they are."""
    import datasets

    feature = ds.features.get("images")
    inner = getattr(feature, "feature", None)
    if isinstance(inner, datasets.Image) and inner.decode:
        return ds.cast_column("images", datasets.List(datasets.Image(decode=False)))
    return ds


def _image_bytes(value, base: Path | None, where: str) -> bytes:
    if isinstance(value, Image.Image):
        buffer = io.BytesIO()
        value.save(buffer, "PNG")
        return buffer.getvalue()
    if isinstance(value, dict) and value.get("bytes"):
        return value["bytes"]
    path = value.get("path") if isinstance(value, dict) else value
    if not isinstance(path, str) or not path:
        raise DataError(f"{where}: not an image, an image file path or image bytes")
    file = Path(path) if Path(path).is_absolute() or base is None else base / path
    if not file.is_file():
        raise DataError(f"{where}: image file {file} does not exist; check the path")
    return file.read_bytes()


def store_image(data: bytes, where: str, cache: Path) -> str:
    """Check that `data` decodes as an image and write it once under its sha256."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = (probe.format or "png").lower()
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise DataError(f"{where}: cannot be decoded as an image ({e}); fix or drop the row") from e
    target = cache / f"{hashlib.sha256(data).hexdigest()}.{fmt}"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = unique_tmp(target)
        tmp.write_bytes(data)
        tmp.replace(target)
    return str(target)


def _length(value, question: str, where: str) -> tuple[int, str]:
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DataError(f"{where}: {value!r} is not a positive whole number of words")
        return value, "L"
    if parsed := parse_required_length(question):
        return parsed, "question"
    raise DataError(f"{where}: empty, and the question states no length; fill the column")


def to_example(row: dict, index: int, bench: Benchmark, base: Path | None, cache: Path) -> Example:
    """Check one row and turn it into an example."""
    where = f"row {index}"
    question = row.get(bench.question_column)
    if not isinstance(question, str) or not question.strip():
        raise DataError(f"{where}, column '{bench.question_column}': empty or not text")
    images = row.get("images") or []
    if not isinstance(images, list):
        raise DataError(f"{where}, column 'images': expected a list of images")
    files = [
        store_image(
            _image_bytes(v, base, f"{where}, column 'images', image {k + 1}"),
            f"{where}, column 'images', image {k + 1}",
            cache,
        )
        for k, v in enumerate(images)
    ]
    required, length_source = _length(
        row.get(bench.length_column), question, f"{where}, column '{bench.length_column}'"
    )
    ident = str(row["id"]) if row.get("id") is not None else str(index)
    content = "\n".join([question, str(required), *(Path(f).stem for f in files)])
    task = row.get(bench.task_column) if bench.task_column else None
    return Example(
        key=f"{ident}-{hashlib.sha256(content.encode()).hexdigest()[:12]}",
        id=ident,
        question=question,
        images=files,
        required_words=required,
        length_source=length_source,
        task=str(task) if task is not None else None,
        language=document_language(question, "auto"),
    )


def load_examples(
    bench: Benchmark, source: str | None = None, limit: int | None = None
) -> list[Example]:
    """Load, check and cache the first `limit` rows (all by default) of a benchmark."""
    ds = _raw_images(open_rows(bench, source))
    shown = source or bench.source
    required = [bench.question_column] + (["images"] if bench.multimodal else [])
    if missing := [c for c in required if c not in ds.column_names]:
        raise DataError(
            f"dataset {shown}: no column {missing[0]!r} (it has {', '.join(ds.column_names)})"
        )
    if len(ds) == 0:
        raise DataError(f"dataset {shown}: no rows")
    path = Path(shown).expanduser()
    base = path if path.is_dir() else path.parent if path.exists() else None
    if limit is not None:
        ds = ds.select(range(min(limit, len(ds))))
    cache = image_cache_dir()
    examples = []
    for index, row in enumerate(ds):
        try:
            examples.append(to_example(row, index, bench, base, cache))
        except DataError as e:
            raise DataError(f"dataset {shown}: {e}") from None
    return examples
