"""The in-process backend on the tiny Qwen2.5-VL: images, sharing, batching, streaming, errors."""

import asyncio
import base64
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("torch")

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage  # noqa: E402

from longwriter_v.models import local_engine  # noqa: E402
from longwriter_v.models.factory import ModelConfigError, ModelOptions, create_chat_model  # noqa: E402
from longwriter_v.models.local import LocalChatModel, StopFilter  # noqa: E402
from longwriter_v.models.local_engine import Sampling  # noqa: E402
from longwriter_v.models.local_messages import LocalInputError, to_prompt  # noqa: E402
from longwriter_v.models.local_spec import LoadOptions, parse_local_spec  # noqa: E402
from tests.conftest import draw_slide  # noqa: E402


def data_url(path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def ask(*images, text="Describe the slides.") -> HumanMessage:
    return HumanMessage(
        [
            *({"type": "image_url", "image_url": {"url": i}} for i in images),
            {"type": "text", "text": text},
        ]
    )


@pytest.fixture
def model(tiny_qwen) -> LocalChatModel:
    return LocalChatModel(
        model=str(tiny_qwen), max_tokens=12, temperature=0, min_pixels=3136, max_pixels=50176
    )


def prompt_images(message):
    return to_prompt([message], vision=True, min_pixels=3136, max_pixels=50176, model="t").images


def image_tokens(engine, message) -> tuple[int, int, int]:
    """(image pad tokens in the input, tokens the processor's grid asks for, input length)."""
    prompt = to_prompt([message], vision=True, min_pixels=3136, max_pixels=50176, model="tiny")
    inputs = engine.encode([prompt])
    merge = engine.processor.image_processor.merge_size
    expected = int((inputs["image_grid_thw"].prod(dim=1) // merge**2).sum())
    found = int((inputs["input_ids"] == engine.model.config.image_token_id).sum())
    return found, expected, inputs["input_ids"].shape[1]


@pytest.mark.parametrize("count", [1, 2])
def test_image_tokens_match_the_processor_grid(model, tmp_path, count):
    paths = [draw_slide(tmp_path / f"s{i}.png", i, size=(320 + 80 * i, 240)) for i in range(count)]
    message = ask(*(str(p) for p in paths))
    found, expected, length = image_tokens(model.engine, message)
    assert (
        expected == sum(image.size[0] * image.size[1] for image in prompt_images(message)) // 28**2
    )
    assert found == expected > 0
    assert model.invoke([message]).usage_metadata["input_tokens"] == length


def test_every_image_form_reaches_the_model(model, tmp_path):
    png = draw_slide(tmp_path / "s.png", 1)
    b64 = base64.b64encode(png.read_bytes()).decode()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        blocks = [
            {"type": "image_url", "image_url": {"url": data_url(png)}},
            {"type": "image_url", "image_url": f"file://{png}"},
            {
                "type": "image_url",
                "image_url": {"url": f"http://127.0.0.1:{server.server_port}/s.png"},
            },
            {"type": "image", "base64": b64, "mime_type": "image/png"},
            {"type": "image", "source_type": "base64", "data": b64, "mime_type": "image/png"},
            {"type": "image", "url": str(png)},
        ]
        prompt = to_prompt(
            [HumanMessage([*blocks, "What do they show?"])],
            vision=True,
            min_pixels=3136,
            max_pixels=50176,
            model="tiny",
        )
    finally:
        server.shutdown()
    assert len(prompt.images) == len(blocks)
    assert len({image.size for image in prompt.images}) == 1  # the same picture, fitted alike
    assert prompt.conversation[0]["content"][-1] == {"type": "text", "text": "What do they show?"}


def test_roles_and_turns_follow_the_chat_template(model):
    history = [
        SystemMessage("You write long essays."),
        HumanMessage("Plan it."),
        AIMessage("1. Harbour 2. Market"),
        HumanMessage("Now write part one."),
    ]
    prompt = to_prompt(history, vision=True, min_pixels=3136, max_pixels=50176, model="tiny")
    text = model.engine.processor.apply_chat_template(
        prompt.conversation, tokenize=False, add_generation_prompt=True
    )
    order = [
        "system\nYou write long essays.",
        "user\nPlan it.",
        "assistant\n1. Harbour 2. Market",
        "user\nNow write part one.",
        "<|im_start|>assistant\n",
    ]
    position = 0
    for part in order:  # each turn appears, in order
        position = text.index(part, position) + len(part)
    assert text.endswith("<|im_start|>assistant\n")
    assert text.count("You are a helpful assistant.") == 0  # our system turn replaced the default


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda d: str(d / "missing.png"),
            r"image 1 of the request \(.*missing\.png\) does not exist",
        ),
        (
            lambda d: _write(d / "broken.png", b"not a png"),
            r"image 1 .*broken\.png.*cannot be read",
        ),
        (
            lambda d: "data:image/png;base64,AAAA",
            r"image 1 .*data URL of 26 characters.*cannot be read",
        ),
    ],
)
def test_bad_images_name_the_input(model, tmp_path, make, match):
    with pytest.raises(LocalInputError, match=match):
        model.invoke([ask(make(tmp_path))])


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_text_model_writes_and_refuses_images(tiny_text_lm, tmp_path):
    text_model = LocalChatModel(model=str(tiny_text_lm), max_tokens=8, temperature=0)
    reply = text_model.invoke([SystemMessage("Be brief."), HumanMessage("Hello")])
    assert reply.usage_metadata["output_tokens"] > 0
    assert not text_model.engine.vision
    with pytest.raises(LocalInputError, match="text-only model and cannot read the 1 image"):
        text_model.invoke([ask(str(draw_slide(tmp_path / "s.png", 1)))])


def test_one_load_per_checkpoint_across_models_and_threads(tiny_qwen, monkeypatch):
    loads = []
    real = local_engine.load
    monkeypatch.setattr(local_engine, "load", lambda o: loads.append(o) or real(o))
    spec = f"transformers:{tiny_qwen}?max_batch=3"  # load options no other test uses
    models = [create_chat_model(spec, ModelOptions(temperature=t)) for t in (0.1, 0.5, 0.9)]
    threads = [threading.Thread(target=lambda m=m: m.engine) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
    assert len({id(m.engine) for m in models}) == 1


async def test_concurrent_calls_share_a_batch_and_match_solo_greedy_output(model):
    prompts = [f"Write about harbour number {i}." for i in range(4)]
    solo = [(await model.ainvoke(p)).content for p in prompts]
    before = model.engine.batch_sizes.copy()
    together = await asyncio.gather(*(model.ainvoke(p) for p in prompts))
    sizes = model.engine.batch_sizes - before
    assert sum(size * n for size, n in sizes.items()) == 4
    assert max(sizes) > 1
    assert [r.content for r in together] == solo


async def test_a_failing_request_fails_alone_not_its_batch(model, monkeypatch):
    engine = model.engine
    real, sizes = engine.encode, []

    def encode(prompts):
        sizes.append(len(prompts))
        if any("BOOM" in str(p.conversation) for p in prompts):
            raise RuntimeError("CUDA out of memory (simulated)")
        return real(prompts)

    monkeypatch.setattr(engine, "encode", encode)
    good, bad = await asyncio.gather(
        model.ainvoke("Write about the harbour."), model.ainvoke("BOOM"), return_exceptions=True
    )
    assert sizes == [2, 1, 1]  # the batch failed, then each ran alone
    assert isinstance(bad, RuntimeError) and "out of memory" in str(bad)
    assert good.usage_metadata["output_tokens"] > 0


async def test_event_loop_keeps_running_while_the_model_generates(model):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    reply = await model.ainvoke("Write a long story.", max_tokens=200)
    task.cancel()
    assert reply.usage_metadata["output_tokens"] > 0
    assert ticks > 10


def test_seed_makes_sampling_repeatable(model):
    first = model.invoke("Hello", temperature=1.0, seed=7, max_tokens=24).content
    again = model.invoke("Hello", temperature=1.0, seed=7, max_tokens=24).content
    other = model.invoke("Hello", temperature=1.0, seed=8, max_tokens=24).content
    assert first == again != other


def test_stop_sequences_cut_invoke_and_stream_alike(model):
    full = model.invoke("Hello", max_tokens=40).content
    stop = full[12:15]
    expected = full[: full.index(stop)]
    assert model.invoke("Hello", max_tokens=40, stop=[stop]).content == expected
    streamed = "".join(c.content for c in model.stream("Hello", max_tokens=40, stop=[stop]))
    assert streamed == expected


def test_stream_carries_usage_once_and_length_finish(model):
    chunks = list(model.stream("Hello", max_tokens=10))
    with_usage = [c for c in chunks if c.usage_metadata]
    assert len(with_usage) == 1 and with_usage[0] is chunks[-1]
    assert chunks[-1].usage_metadata["output_tokens"] == 10
    assert chunks[-1].response_metadata["finish_reason"] == "length"


def test_cancelled_request_stops_early(model):
    from transformers import TextIteratorStreamer

    engine = model.engine
    streamer = TextIteratorStreamer(engine.tokenizer)
    prompt = to_prompt(
        [HumanMessage("Hi")], vision=True, min_pixels=3136, max_pixels=50176, model="t"
    )
    request = engine.submit(prompt, Sampling(temperature=0, max_new_tokens=2000), streamer)
    next(iter(streamer))
    request.cancel()
    assert request.future.result(timeout=60).output_tokens < 2000


def test_unknown_call_option_is_refused(model):
    with pytest.raises(TypeError, match="takes temperature, top_p.*got beam_width"):
        model.invoke("Hello", beam_width=4)


def test_stop_filter_holds_back_a_partial_stop():
    held = StopFilter(("END",))
    assert [held.feed(t) for t in ["abc E", "N", "D tail"]] == ["abc ", "", ""]
    assert held.flush() == ""
    held = StopFilter(("END",))
    assert held.feed("abc EN") == "abc " and held.flush() == "EN"


def test_spec_options_aliases_and_errors(tmp_path):
    spec = parse_local_spec(
        "LongWriter-V-7B-DPO?dtype=bfloat16&max_pixels=802816&trust_remote_code=true"
    )
    assert spec.source == "THU-KEG/LongWriter-V-7B-DPO"
    assert (spec.dtype, spec.max_pixels, spec.trust_remote_code) == ("bfloat16", 802816, True)
    assert parse_local_spec("Qwen/Qwen2.5-VL-7B-Instruct") == LoadOptions(
        "Qwen/Qwen2.5-VL-7B-Instruct"
    )
    for rest, match in [
        ("m?beams=2", "unknown option 'beams'.*known: dtype"),
        ("m?dtype=int4", "dtype='int4' is not one of"),
        ("m?max_batch=x", "max_batch .* must be an integer"),
        ("m?min_pixels=9&max_pixels=4", "min_pixels <= max_pixels"),
    ]:
        with pytest.raises(ModelConfigError, match=match):
            parse_local_spec(rest)
    with pytest.raises(ModelConfigError, match="does not exist"):
        create_chat_model(f"transformers:{tmp_path}/nowhere")


def test_unreadable_checkpoint_names_the_fix(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelConfigError, match="cannot load transformers:.*hf download"):
        LocalChatModel(model=str(tmp_path / "empty")).invoke("Hello")


def test_throughput_benchmark_runs_on_the_tiny_model(tmp_path):
    from benchmarks.local_throughput import main

    out = tmp_path / "figures.json"
    result = main(["--size", "tiny", "--tokens", "8", "--concurrency", "2", "--out", str(out)])
    wrapper = result["wrapper"]
    assert wrapper["input_tokens"] > 4 * 4  # four slides' image tokens and the instruction
    assert 0 < wrapper["output_tokens"] <= 8 and wrapper["ttft_s"] > 0
    assert out.exists() and result["vllm"] is None  # vLLM is not installed here
