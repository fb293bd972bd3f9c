"""The CLI as a user runs it: a subprocess, a SQLite checkpoint, a kill and a resume."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from longwriter_v.graphs.writer import compile_writer
from tests.fakes import Writer
from tests.stub_openai import StubOpenAI


def cli(*args, tmp_path, **kw):
    env = os.environ | {"LONGWRITER_V_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("OPENAI_API_KEY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "longwriter_v.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def write_args(tmp_path, stub, slides, thread):
    return [
        "write",
        "Write a 1200-word lecture script for these slides",
        "--images",
        *slides,
        "--model",
        f"openai:stub@{stub.base_url}",
        "--db",
        str(tmp_path / "runs.sqlite"),
        "--cache",
        str(tmp_path / "captions.sqlite"),
        "--thread",
        thread,
        "--no-progress",
        "--out",
        str(tmp_path / "doc.md"),
    ]


async def saved_sections(db, thread) -> int:
    async with AsyncSqliteSaver.from_conn_string(str(db)) as saver:
        state = await compile_writer(checkpointer=saver).aget_state(
            {"configurable": {"thread_id": thread}}
        )
    return len(state.values.get("sections") or [])


@pytest.mark.slow
async def test_killed_run_resumes_without_regenerating_finished_work(tmp_path, slides):
    with StubOpenAI(Writer(n_sections=6), delay_s=0.3) as stub:
        proc = cli(*write_args(tmp_path, stub, slides, "t1"), tmp_path=tmp_path)
        deadline = time.time() + 60
        while stub.stages().count("write") < 3 and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = stub.stages()
        done = await saved_sections(tmp_path / "runs.sqlite", "t1")
        assert before.count("caption") == 4 and 2 <= done < 6

        proc = cli(*write_args(tmp_path, stub, slides, "t1"), tmp_path=tmp_path)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        resumed = stub.stages()[len(before) :]
        assert "caption" not in resumed and "outline" not in resumed
        assert resumed.count("write") == 6 - done
        assert "resuming thread t1" in err
        report = json.loads((tmp_path / "doc.report.json").read_text())
        assert report["length_score"] > 90 and len(report["sections"]) == 6
        print(
            f"\nresume saved {len(before) - before.count('write') + done} model calls "
            f"({done} sections, 4 captions, 1 outline); made {len(resumed)}"
        )


def test_without_a_reachable_model_it_fails_at_once(tmp_path):
    start = time.time()
    proc = cli("write", "Write 100 words", "--db", str(tmp_path / "r.sqlite"), tmp_path=tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "OPENAI_API_KEY" in err and "[local]" in err
    proc = cli(
        "write",
        "Write 100 words",
        "--model",
        "openai:x@http://127.0.0.1:9/v1",
        "--db",
        str(tmp_path / "r.sqlite"),
        tmp_path=tmp_path,
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "no OpenAI-compatible server answers" in err
    assert time.time() - start < 30


def test_a_missing_image_is_named(tmp_path):
    with StubOpenAI() as stub:
        proc = cli(
            "write",
            "Write 100 words",
            "--images",
            str(tmp_path / "nope.png"),
            "--model",
            f"openai:stub@{stub.base_url}",
            "--db",
            str(tmp_path / "r.sqlite"),
            "--no-progress",
            tmp_path=tmp_path,
        )
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "nope.png: no such file" in err


def test_a_finished_thread_prints_its_document_again(tmp_path, slides):
    with StubOpenAI(Writer(n_sections=2)) as stub:
        args = write_args(tmp_path, stub, slides[:1], "t2")
        first = cli(*args, tmp_path=tmp_path)
        assert first.wait(timeout=120) == 0
        calls = len(stub.requests)
        again = cli(*args, tmp_path=tmp_path)
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0 and "already finished" in err and len(stub.requests) == calls
