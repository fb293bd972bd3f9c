"""`longwriter-v eval` as a user runs it: reports, a comparison, a kill and a resume."""

import json
import signal
import time

import pytest
from langgraph.store.sqlite import SqliteStore

from longwriter_v.cli.main import GRAPHS
from tests.bench_data import write_ruler
from tests.conftest import ROOT
from tests.stub_openai import StubOpenAI
from tests.test_cli import cli

pytest.importorskip("datasets")


def eval_args(tmp_path, stub, out, *extra):
    return [
        "eval",
        "longwrite-v-ruler",
        "--data",
        str(tmp_path / "ruler.parquet"),
        "--target",
        f"openai:stub@{stub.base_url}",
        "--out",
        str(tmp_path / out),
        "--no-progress",
        *extra,
    ]


def stored_ids(db) -> set[str]:
    with SqliteStore.from_conn_string(str(db)) as store:
        items = store.search(("eval", "longwrite-v-ruler"), limit=100)
        return {i.value["id"] for i in items if i.value.get("status") == "ok"}


@pytest.mark.slow
def test_eval_writes_reports_and_compare_puts_runs_side_by_side(tmp_path):
    write_ruler(tmp_path / "ruler.parquet")
    with StubOpenAI() as stub:
        for out, extra in (
            ("a", ["--label", "A"]),
            ("b", ["--label", "B", "--length-formula", "released"]),
        ):
            proc = cli(*eval_args(tmp_path, stub, out, *extra), tmp_path=tmp_path)
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["counts"]["generated"] == 8 and report["label"] == "A"
    assert (tmp_path / "a" / "ruler.png").exists() and "mean S_l" in err
    proc = cli(
        "eval",
        "compare",
        str(tmp_path / "a"),
        str(tmp_path / "b"),
        "--out",
        str(tmp_path / "cmp.md"),
        tmp_path=tmp_path,
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    text = (tmp_path / "cmp.md").read_text()
    assert "| A |" in text and "| B |" in text and "different length formulas" in text
    assert (tmp_path / "cmp.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_a_killed_evaluation_never_pays_twice_for_finished_examples(tmp_path):
    write_ruler(tmp_path / "ruler.parquet")
    questions = {str(i): q for i, q in enumerate(_ruler_questions(tmp_path))}
    with StubOpenAI(delay_s=0.4) as stub:
        proc = cli(*eval_args(tmp_path, stub, "run", "--concurrency", "1"), tmp_path=tmp_path)
        db, deadline = tmp_path / "run" / "results.sqlite", time.time() + 60
        while time.time() < deadline and (not db.exists() or len(stored_ids(db)) < 3):
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = len(stub.requests)
        done = stored_ids(db)
        assert 3 <= len(done) < 8

        proc = cli(*eval_args(tmp_path, stub, "run", "--concurrency", "1"), tmp_path=tmp_path)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        resumed = [body["messages"][-1]["content"] for _, body in stub.requests[before:]]
    assert "resuming the unfinished run" in err
    assert len(resumed) == 8 - len(done)
    asked = json.dumps(resumed, ensure_ascii=False)
    assert not any(json.dumps(questions[i], ensure_ascii=False)[1:-1] in asked for i in done)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["counts"]["generated"] == 8


def _ruler_questions(tmp_path) -> list[str]:
    import datasets

    return datasets.load_dataset(
        "parquet", data_files=str(tmp_path / "ruler.parquet"), split="train"
    )["question"]


def test_langgraph_json_serves_what_the_cli_serves():
    assert json.loads((ROOT / "langgraph.json").read_text())["graphs"] == GRAPHS


def test_eval_refuses_bad_flags_by_name(tmp_path):
    proc = cli(
        "eval",
        "mmlongbench-write",
        "--target",
        "nope:x",
        "--out",
        str(tmp_path / "o"),
        tmp_path=tmp_path,
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "unknown model spec 'nope:x'" in err
    proc = cli(
        "eval",
        "longwrite-ruler",
        "--target",
        "openai:x@http://127.0.0.1:9/v1",
        "--context",
        "{}",
        "--out",
        str(tmp_path / "o"),
        tmp_path=tmp_path,
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "use it with --graph writer" in err
