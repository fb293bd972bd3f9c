"""Benchmark loaders: schemas, required lengths, the image cache, errors naming row and column."""

import json
from pathlib import Path

import pytest

from longwriter_v.evals.benchmarks import BENCHMARKS, benchmark, bucket_of
from longwriter_v.evals.data import DataError, image_cache_dir, load_examples
from tests.bench_data import MM_ROWS, picture, write_mmlongbench, write_ruler

pytest.importorskip("datasets")
MM = BENCHMARKS["mmlongbench-write"]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGWRITER_V_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("form", ["data.parquet", "saved"])
def test_mmlongbench_rows_load_with_lengths_from_l_or_the_question(tmp_path, form):
    examples = load_examples(MM, str(write_mmlongbench(tmp_path / form)))
    assert [e["required_words"] for e in examples] == [1000, 1800, 2500, 3500]
    assert [e["length_source"] for e in examples] == ["question", "question", "L", "L"]
    assert [e["language"] for e in examples] == ["en", "zh", "en", "en"]
    assert [len(e["images"]) for e in examples] == [len(imgs) for _, imgs, _ in MM_ROWS]
    assert [e["id"] for e in examples] == ["0", "1", "2", "3"]
    # picture 1 appears in rows 0 and 3: one file, named by the hash of its bytes
    assert examples[0]["images"][0] == examples[3]["images"][0]
    assert len(list(image_cache_dir().iterdir())) == 6
    assert all(Path(f).parent == image_cache_dir() for e in examples for f in e["images"])


def test_a_changed_row_gets_a_new_key(tmp_path):
    first = load_examples(MM, str(write_mmlongbench(tmp_path / "a.parquet")))
    rows = [MM_ROWS[0], (MM_ROWS[1][0].replace("1800", "1900"), [3], None), *MM_ROWS[2:]]
    second = load_examples(MM, str(write_mmlongbench(tmp_path / "b.parquet", rows)))
    assert first[0]["key"] == second[0]["key"] and first[1]["key"] != second[1]["key"]


def test_ruler_schema_and_limit(tmp_path):
    examples = load_examples(
        BENCHMARKS["longwrite-v-ruler"], str(write_ruler(tmp_path / "r.parquet"))
    )
    assert [e["required_words"] for e in examples] == [500, 500, 1000, 1000, 2000, 2000, 4000, 4000]
    assert [e["id"] for e in examples[:3]] == ["0", "1", "2"]
    assert all(e["length_source"] == "L" for e in examples)
    limited = load_examples(BENCHMARKS["longwrite-v-ruler"], str(tmp_path / "r.parquet"), limit=3)
    assert len(limited) == 3


def test_bundled_text_benchmarks_load_offline():
    lbw = load_examples(BENCHMARKS["longbench-write"])
    ruler = load_examples(BENCHMARKS["longwrite-ruler"])
    assert len(lbw) == 120 and len(ruler) == 48
    assert {e["required_words"] for e in ruler} == {1000, 2000, 5000, 10000, 20000, 30000}
    assert all(e["length_source"] == "L" and e["images"] == [] for e in lbw + ruler)
    assert len({e["task"] for e in lbw}) == 7


def test_jsonl_with_image_paths_relative_to_the_file(tmp_path):
    picture(1).save(tmp_path / "a.png")
    rows = [{"question": "Write 600 words on this", "images": ["a.png"]}]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    [example] = load_examples(MM, str(tmp_path / "d.jsonl"))
    assert example["required_words"] == 600 and Path(example["images"][0]).is_file()


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"question": "", "images": []}], "row 0, column 'question': empty"),
        (
            [{"question": "Write a poem", "images": []}],
            "row 0, column 'L': empty, and the question",
        ),
        (
            [{"question": "Write 10 words", "images": ["gone.png"]}],
            "row 0, column 'images', image 1",
        ),
        ([{"question": "Write 10 words", "images": ["bad.png"]}], "cannot be decoded"),
        ([{"question": "Write 10 words", "images": [], "L": -5}], "row 0, column 'L': -5"),
        ([{"prompt": "Write 10 words", "images": []}], "no column 'question'"),
    ],
)
def test_schema_errors_name_row_and_column(tmp_path, rows, message):
    (tmp_path / "bad.png").write_bytes(b"not an image at all")
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(DataError, match=message.replace("(", r"\(")) as err:
        load_examples(MM, str(tmp_path / "d.jsonl"))
    assert str(tmp_path / "d.jsonl") in str(err.value)


def test_missing_sources_and_names(monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # fail at once, no retries
    with pytest.raises(DataError, match="no such file"):
        load_examples(MM, "/nowhere/data.parquet")
    with pytest.raises(DataError, match="--data DIR"):
        load_examples(MM, "nobody/not-a-dataset-offline")
    with pytest.raises(ValueError, match="valid: mmlongbench-write"):
        benchmark("mmlongbench")


@pytest.mark.parametrize(
    "words, bucket",
    [
        (0, "[0,1500)"),
        (1499, "[0,1500)"),
        (1500, "[1500,2000)"),
        (2999, "[2000,3000)"),
        (3000, "[3000,inf)"),
    ],
)
def test_buckets(words, bucket):
    assert bucket_of(words) == bucket
