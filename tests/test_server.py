"""`langgraph dev` serves the writer from langgraph.json; the SDK drives a run end to end."""

import os
import signal
import socket
import subprocess
import time

import httpx
import pytest
from langgraph_sdk import get_client

from longwriter_v.cli.main import langgraph_cli
from tests.conftest import ROOT
from tests.fakes import Writer
from tests.stub_openai import StubOpenAI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    workdir = tmp_path / "server"
    workdir.mkdir()
    env = os.environ | {
        "LONGWRITER_V_IMAGE_DIRS": str(tmp_path),
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "1",
        "LONGWRITER_V_CACHE_DIR": str(tmp_path / "cache"),
    }
    proc = subprocess.Popen(
        [
            langgraph_cli(),
            "dev",
            "--no-browser",
            "--no-reload",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--config",
            str(ROOT / "langgraph.json"),
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if httpx.get(url + "/ok", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("langgraph dev did not start: " + proc.stdout.read().decode()[-2000:])
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.mark.slow
async def test_sdk_runs_the_writer_through_langgraph_dev(server, slides, tmp_path):
    client = get_client(url=server)
    assistants = await client.assistants.search(graph_id="writer")
    assert assistants and assistants[0]["graph_id"] == "writer"
    with StubOpenAI(Writer(n_sections=3)) as stub:
        thread = await client.threads.create()
        context = {"model": f"openai:stub@{stub.base_url}", "mode": "parallel"}
        modes, sections = set(), set()
        async for part in client.runs.stream(
            thread["thread_id"],
            "writer",
            context=context,
            input={"instruction": "Write a 600-word talk", "images": slides[:2]},
            stream_mode=["updates", "custom", "messages-tuple"],
        ):
            modes.add(part.event)
            if part.event == "custom" and part.data.get("event") == "section_written":
                sections.add(part.data["index"])
        state = await client.threads.get_state(thread["thread_id"])
        assert {"updates", "custom", "messages"} <= modes
        assert sections == {1, 2, 3}
        assert state["values"]["report"]["words"] >= 590
        assert state["values"]["document"].startswith("# A Test Document")
        assert stub.stages().count("caption") == 2

        # A path outside the operator's allowed folders is refused by the served graph.
        outside = await client.threads.create()
        await client.runs.wait(
            outside["thread_id"],
            "writer",
            context=context,
            input={"instruction": "Write 100 words", "images": ["/etc/hostname"]},
            raise_error=False,
        )
        runs = await client.runs.list(outside["thread_id"])
        assert runs[0]["status"] == "error"
        assert stub.stages().count("caption") == 2


@pytest.mark.slow
async def test_the_evaluation_graph_runs_from_studio_with_the_servers_store(server, tmp_path):
    client = get_client(url=server)
    with StubOpenAI() as stub:
        context = {"target": f"openai:stub@{stub.base_url}", "out": str(tmp_path / "eval")}
        run_input = {"benchmark": "longwrite-ruler", "limit": 2}
        events = []
        for _ in range(2):  # the second run finds both generations in the server's store
            thread = await client.threads.create()
            async for part in client.runs.stream(
                thread["thread_id"],
                "evaluation",
                input=run_input,
                context=context,
                stream_mode=["custom"],
            ):
                if part.event == "custom" and part.data["event"] == "generated":
                    events.append(part.data["status"])
        state = await client.threads.get_state(thread["thread_id"])
    assert events == ["ok", "ok", "stored", "stored"] and len(stub.requests) == 2
    assert state["values"]["report"]["counts"]["generated"] == 2
    assert (tmp_path / "eval" / "ruler.png").exists()
