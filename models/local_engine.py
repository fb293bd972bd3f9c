"""One loaded checkpoint per process, serving every caller from one worker thread.

Callers submit requests; the worker gathers those that arrive together and share sampling
settings into one batched `generate` (left padding), streams each row to its own streamer, and
resolves each request's future with its text and token counts.
"""

import contextlib
import importlib.util
import queue
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForImageTextToText,
    AutoTokenizer,
    StoppingCriteria,
    StoppingCriteriaList,
)
from transformers.generation.streamers import BaseStreamer

from longwriter_v.models.factory import ModelConfigError
from longwriter_v.models.local_messages import Prompt
from longwriter_v.models.local_spec import LoadOptions
from longwriter_v.models.qwen_processor import load_processor, qwen_vl_utils

VISION_TYPES = ("qwen2_5_vl", "qwen2_vl")
BATCH_WINDOW_S = 0.005  # how long the worker waits for companions before generating
PREPARE_WAIT_S = 0.2  # how long it waits, at most, for callers still reading their images


@dataclass(frozen=True)
class Sampling:
    """Generation settings; requests with equal settings and no seed may share a batch."""

    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = 0  # 0: no top-k cut
    max_new_tokens: int = 8192
    repetition_penalty: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def generate_kwargs(self) -> dict:
        kwargs = {
            "max_new_tokens": self.max_new_tokens,
            "repetition_penalty": self.repetition_penalty,
        }
        if self.temperature > 0:
            sample = {"temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k}
            return kwargs | {"do_sample": True} | sample
        return kwargs | {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}


@dataclass
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    finish_reason: str  # "stop" (end of turn or a stop sequence) or "length"


@dataclass(eq=False)
class Request:
    prompt: Prompt
    sampling: Sampling
    streamer: BaseStreamer | None = None
    future: Future = field(default_factory=Future)
    cancelled: bool = False

    def cancel(self) -> None:
        """Stop generating for this request (its batch companions go on)."""
        self.cancelled = True


class RowStreamers(BaseStreamer):
    """Hand each row's new tokens to that request's own streamer (prompts are never streamed)."""

    def __init__(self, streamers: list[BaseStreamer | None]):
        self.streamers = streamers
        self.stepped = False  # whether any new token went out

    def put(self, value: torch.Tensor) -> None:
        if value.dim() == 2:  # generate() first hands over the prompts
            return
        self.stepped = True
        for i, streamer in enumerate(self.streamers):
            if streamer is not None:
                streamer.put(value[i : i + 1])

    def end(self) -> None:
        """generate() calls this too early for us; the engine ends the rows itself."""

    def close(self) -> None:
        for streamer in self.streamers:
            if streamer is not None:
                streamer.end()


class Cancelled(StoppingCriteria):
    """Finish the rows whose requests were cancelled."""

    def __init__(self, batch: list[Request]):
        self.batch = batch

    def __call__(self, input_ids: torch.Tensor, scores, **kwargs) -> torch.Tensor:
        flags = [r.cancelled or r.future.cancelled() for r in self.batch]
        return torch.tensor(flags, dtype=torch.bool, device=input_ids.device)


class Engine:
    """A loaded model, its processor or tokenizer, and the worker thread that runs it."""

    def __init__(self, options: LoadOptions):
        self.options = options
        self.model, self.processor, self.vision = load(options)
        self.tokenizer = self.processor.tokenizer if self.vision else self.processor
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.enders = self._enders()
        self.batch_sizes: Counter[int] = Counter()  # batch size -> how many generate calls
        self._queue: queue.SimpleQueue[Request] = queue.SimpleQueue()
        self._pending: deque[Request] = deque()
        self._preparing = 0
        self._count_lock = threading.Lock()
        threading.Thread(target=self._serve, name=f"lw-{options.model}", daemon=True).start()

    @contextlib.contextmanager
    def preparing(self):
        """Mark a caller that is building a request, so the worker waits to batch it."""
        with self._count_lock:
            self._preparing += 1
        try:
            yield
        finally:
            with self._count_lock:
                self._preparing -= 1

    def submit(self, prompt: Prompt, sampling: Sampling, streamer=None) -> Request:
        request = Request(prompt, sampling, streamer)
        self._queue.put(request)
        return request

    def _enders(self) -> set[int]:
        ids = self.model.generation_config.eos_token_id
        ids = [ids] if isinstance(ids, int) else list(ids or [])
        return {*ids, self.tokenizer.eos_token_id, self.tokenizer.pad_token_id} - {None}

    def _serve(self) -> None:
        while True:
            self._run(self._next_batch())

    def _next_batch(self) -> list[Request]:
        if not self._pending:
            self._pending.append(self._queue.get())
        start = time.monotonic()
        while len(self._pending) < self.options.max_batch:
            limit = PREPARE_WAIT_S if self._preparing else BATCH_WINDOW_S
            wait = start + limit - time.monotonic()
            if wait <= 0:
                break
            with contextlib.suppress(queue.Empty):
                self._pending.append(self._queue.get(timeout=min(wait, 0.002)))
        first = self._pending.popleft()
        batch = [first]
        if first.sampling.seed is not None:
            return batch
        for request in list(self._pending):
            if len(batch) == self.options.max_batch:
                break
            if request.sampling == first.sampling:
                batch.append(request)
                self._pending.remove(request)
        return batch

    def _run(self, batch: list[Request]) -> None:
        batch = [r for r in batch if not (r.cancelled or r.future.cancelled())]
        if not batch:
            return
        streams = RowStreamers([r.streamer for r in batch])
        try:
            results = self._generate(batch, streams)
        except Exception as e:
            if len(batch) > 1 and not streams.stepped:  # e.g. out of memory: retry one by one,
                for request in batch:  # so one bad request fails alone
                    self._run([request])
                return
            results = [e] * len(batch)
        streams.close()
        for request, result in zip(batch, results, strict=True):
            with contextlib.suppress(InvalidStateError):  # the caller gave up meanwhile
                if isinstance(result, Exception):
                    request.future.set_exception(result)
                else:
                    request.future.set_result(result)

    def _generate(self, batch: list[Request], streams: RowStreamers) -> list[Completion]:
        inputs = self.encode([r.prompt for r in batch])
        sampling = batch[0].sampling
        if sampling.seed is not None:
            torch.manual_seed(sampling.seed)
        stops = {"stop_strings": list(sampling.stop), "tokenizer": self.tokenizer}
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                **sampling.generate_kwargs(),
                **(stops if sampling.stop else {}),
                pad_token_id=self.tokenizer.pad_token_id,
                streamer=streams if any(streams.streamers) else None,
                stopping_criteria=StoppingCriteriaList([Cancelled(batch)]),
            )
        self.batch_sizes[len(batch)] += 1
        return self._decode(batch, inputs, output)

    def encode(self, prompts: list[Prompt]):
        if self.vision:
            texts = [
                self.processor.apply_chat_template(
                    p.conversation, tokenize=False, add_generation_prompt=True
                )
                for p in prompts
            ]
            images = [image for p in prompts for image in p.images] or None
            inputs = self.processor(text=texts, images=images, padding=True, return_tensors="pt")
        else:
            texts = [
                self.tokenizer.apply_chat_template(
                    p.conversation, tokenize=False, add_generation_prompt=True
                )
                for p in prompts
            ]
            inputs = self.tokenizer(
                texts, padding=True, return_tensors="pt", add_special_tokens=False
            )
        return inputs.to(self.model.device)

    def _decode(self, batch: list[Request], inputs, output: torch.Tensor) -> list[Completion]:
        new = output[:, inputs["input_ids"].shape[1] :].tolist()
        results = []
        for i, (request, ids) in enumerate(zip(batch, new, strict=True)):
            end = next((k for k, t in enumerate(ids) if t in self.enders), None)
            kept = ids if end is None else ids[: end + 1]
            text, hit = cut_at_stop(
                self.tokenizer.decode(kept, skip_special_tokens=True), request.sampling.stop
            )
            results.append(
                Completion(
                    text=text,
                    input_tokens=int(inputs["attention_mask"][i].sum()),
                    output_tokens=len(kept),
                    finish_reason="stop" if end is not None or hit else "length",
                )
            )
        return results


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """Text before the earliest stop sequence, and whether one was found."""
    cuts = [i for s in stop if (i := text.find(s)) >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


def load(options: LoadOptions):
    """Load (model, processor or tokenizer, is_vision) as the options ask, ready to generate."""
    cuda = torch.cuda.is_available()
    kwargs = {
        "dtype": _dtype(options.dtype, cuda),
        "attn_implementation": _attention(options, cuda),
    }
    if cuda or options.device_map != "auto":
        kwargs["device_map"] = options.device_map
    model, processor, vision = load_pretrained(
        options.source,
        options.min_pixels,
        options.max_pixels,
        hub={"trust_remote_code": options.trust_remote_code},
        name=f"transformers:{options.model} ({options.source})",
        **kwargs,
    )
    if vision:
        qwen_vl_utils()  # imported here, once, before callers read images from many threads
    return model.eval(), processor, vision


def load_pretrained(
    source: str, min_pixels: int, max_pixels: int, hub: dict, name: str = "", **model_kwargs
):
    """(model, processor or tokenizer, is_vision) for a Qwen2(.5)-VL or text causal LM
    checkpoint; `hub` goes to every from_pretrained, `model_kwargs` to the model's; errors
    call it `name`."""
    name = name or source
    try:
        config = AutoConfig.from_pretrained(source, **hub)
    except (OSError, ValueError) as e:
        raise ModelConfigError(
            f"cannot load {name}: {e}. Give a directory holding a checkpoint, or a hub id "
            f"this machine can fetch (download it first with `hf download {source}`; add "
            "trust_remote_code=true for custom code models)"
        ) from e
    vision = hasattr(config, "vision_config")
    if vision and config.model_type not in VISION_TYPES:
        raise ModelConfigError(
            f"{name} is a {config.model_type} model; images are read with Qwen2-VL/Qwen2.5-VL "
            "only. Serve it with vLLM and use openai:<name>@<base_url>"
        )
    model_class = AutoModelForImageTextToText if vision else AutoModelForCausalLM
    model = model_class.from_pretrained(source, **model_kwargs, **hub)
    if vision:
        processor = load_processor(source, min_pixels, max_pixels, **hub)
    else:
        processor = AutoTokenizer.from_pretrained(source, **hub)
    return model, processor, vision


def _dtype(name: str, cuda: bool) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if cuda else torch.float32
    return getattr(torch, name)


def _attention(options: LoadOptions, cuda: bool) -> str:
    if options.attn != "auto":
        return options.attn
    return "flash_attention_2" if cuda and importlib.util.find_spec("flash_attn") else "sdpa"


_ENGINES: dict[LoadOptions, Engine] = {}
_LOCK = threading.Lock()


def engine_for(options: LoadOptions) -> Engine:
    """The process's engine for these load options, loading it on first use."""
    with _LOCK:
        if options not in _ENGINES:
            _ENGINES[options] = Engine(options)
        return _ENGINES[options]
