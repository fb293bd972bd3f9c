"""The OpenAI path for real, over HTTP, against the stub server on 127.0.0.1."""

import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from longwriter_v.graphs.writer import compile_writer
from longwriter_v.models.factory import ModelConfigError, preflight
from longwriter_v.models.retry import model_retry_policy
from tests.stub_openai import StubOpenAI, call_of


@pytest.fixture
def stub():
    with StubOpenAI() as server:
        yield server


def graph(policy):
    return compile_writer(
        checkpointer=InMemorySaver(),
        image_policy=policy,
        retry=model_retry_policy(max_attempts=3, initial_interval=0.05),
    )


async def test_images_travel_as_image_url_parts_and_tokens_stream(stub, policy, slides):
    context = {"model": f"openai:stub@{stub.base_url}", "mode": "parallel"}
    chunks = 0
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    g = graph(policy)
    async for mode, event in g.astream(
        {"instruction": "Write 300 words", "images": slides[:2]},
        cfg,
        context=context,
        stream_mode=["messages", "updates"],
    ):
        chunks += mode == "messages" and event[1].get("lw_stage") == "write"
    caption_bodies = [b for stage, b in stub.requests if stage == "caption"]
    assert len(caption_bodies) == 2
    for body in caption_bodies:
        parts = body["messages"][-1]["content"]
        assert [p["type"] for p in parts] == ["image_url", "text"]
        assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
        assert body["stream"] is True  # the messages stream mode streams every call
    assert chunks > 50  # word by word, over SSE
    report = (await g.aget_state(cfg)).values["report"]
    assert report["usage"]["input_tokens"] > 0 and report["words"] >= 290


async def test_rate_limit_then_server_error_are_retried(stub, policy):
    stub.failures = [(429, {"Retry-After": "0.1"}), (500, {})]
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    g = graph(policy)
    await g.ainvoke(
        {"instruction": "Write 200 words"}, cfg, context={"model": f"openai:stub@{stub.base_url}"}
    )
    assert stub.attempts == len(stub.requests) + 2
    assert (await g.aget_state(cfg)).values["report"]["words"] >= 190


async def test_node_retry_policy_retries_when_the_client_does_not(stub, policy):
    stub.failures = [(503, {}), (429, {"Retry-After": "0"})]
    cfg = {"configurable": {"thread_id": uuid.uuid4().hex}}
    await graph(policy).ainvoke(
        {"instruction": "Write 200 words"},
        cfg,
        context={"model": f"openai:stub@{stub.base_url}", "max_retries": 0},
    )
    assert stub.attempts == len(stub.requests) + 2


async def test_a_client_error_is_not_retried(stub, policy):
    import openai

    stub.failures = [(400, {})]
    with pytest.raises(openai.BadRequestError):
        await graph(policy).ainvoke(
            {"instruction": "Write 200 words"},
            {"configurable": {"thread_id": "x"}},
            context={"model": f"openai:stub@{stub.base_url}"},
        )
    assert stub.attempts == 1


async def test_vllm_route_serves_longwriter_v_by_name_within_its_image_limit(policy, slides):
    """`vllm serve THU-KEG/LongWriter-V-7B --limit-mm-per-prompt '{"image": 2}'`, as a stub."""
    import openai

    name = "THU-KEG/LongWriter-V-7B"
    with StubOpenAI(served=name, max_images=2) as vllm:
        spec = f"openai:{name}@{vllm.base_url}"
        preflight(spec)
        await graph(policy).ainvoke(
            {"instruction": "Write 600 words", "images": slides},
            {"configurable": {"thread_id": uuid.uuid4().hex}},
            context={"model": spec},
        )
        assert {body["model"] for _, body in vllm.requests} == {name}
        assert max(call_of(body)["images"] for _, body in vllm.requests) <= 2
        # Without captions the planner sees every image at once: 4 exceed a limit of 2.
        with pytest.raises(openai.BadRequestError, match="At most 2 image"):
            await graph(policy).ainvoke(
                {"instruction": "Write 600 words", "images": slides},
                {"configurable": {"thread_id": uuid.uuid4().hex}},
                context={"model": spec, "skip_captions": True},
            )
        with pytest.raises(ModelConfigError, match="serves THU-KEG/LongWriter-V-7B, not lw7b"):
            preflight(f"openai:lw7b@{vllm.base_url}")
