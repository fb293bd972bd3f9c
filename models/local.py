"""In-process LongWriter-V / Qwen2.5-VL (or text-only causal LM) as a LangChain chat model.

Spec: `transformers:<hub id, local directory or alias>[?option=value&...]`, e.g.
`transformers:longwriter-v-7b?dtype=bfloat16&max_batch=4`. Every model object naming the same
checkpoint and load options shares one loaded copy (see local_engine).
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from longwriter_v.models.factory import ModelConfigError, ModelOptions
from longwriter_v.models.local_engine import (
    Completion,
    Engine,
    Request,
    Sampling,
    cut_at_stop,
    engine_for,
)
from longwriter_v.models.local_messages import to_prompt
from longwriter_v.models.local_spec import ALIASES, LoadOptions, parse_local_spec

CALL_OPTIONS = ("temperature", "top_p", "top_k", "max_tokens", "repetition_penalty", "seed")


class LocalChatModel(BaseChatModel):
    """A Qwen2.5-VL checkpoint (LongWriter-V or any other) or a text causal LM, run in-process."""

    model: str = Field(description="hub id, local directory, or longwriter-v-7b[-dpo]/-72b")
    dtype: str = Field("auto", description="auto (bf16 on GPU, fp32 on CPU), bfloat16, ...")
    device_map: str = Field("auto", description="accelerate device map; CPU when no GPU")
    attn: str = Field("auto", description="auto (flash_attention_2 if installed, else sdpa)")
    min_pixels: int = Field(50176, description="smallest image area after resizing")
    max_pixels: int = Field(1048576, description="largest image area after resizing")
    trust_remote_code: bool = False
    max_batch: int = Field(8, description="concurrent requests generated in one batch")
    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = Field(0, description="0 turns the top-k cut off")
    max_tokens: int = Field(8192, description="most new tokens per reply")
    repetition_penalty: float = 1.0
    stop: list[str] | None = None
    seed: int | None = Field(None, description="fixes sampling; seeded calls are not batched")

    @property
    def _llm_type(self) -> str:
        return "longwriter-v-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model} | self._sampling(None, {}).__dict__

    def load_options(self) -> LoadOptions:
        return LoadOptions(
            **{name: getattr(self, name) for name in LoadOptions.__dataclass_fields__}
        )

    @property
    def engine(self) -> Engine:
        """The shared loaded checkpoint (loaded on first use)."""
        return engine_for(self.load_options())

    def warm_up(self) -> None:
        """Load the checkpoint now, so a bad spec fails before any work starts."""
        _ = self.engine

    def _sampling(self, stop: list[str] | None, kwargs: dict) -> Sampling:
        unknown = set(kwargs) - set(CALL_OPTIONS)
        if unknown:
            raise TypeError(
                f"{self._llm_type} takes {', '.join(CALL_OPTIONS)} per call; "
                f"got {', '.join(sorted(unknown))}"
            )
        value = {name: kwargs.get(name, getattr(self, name)) for name in CALL_OPTIONS}
        return Sampling(
            temperature=value["temperature"],
            top_p=value["top_p"],
            top_k=value["top_k"],
            max_new_tokens=value["max_tokens"],
            repetition_penalty=value["repetition_penalty"],
            stop=tuple(stop if stop is not None else self.stop or ()),
            seed=value["seed"],
        )

    def _submit(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict, streamer=None
    ) -> Request:
        sampling = self._sampling(stop, kwargs)
        engine = self.engine
        with engine.preparing():
            prompt = to_prompt(
                messages,
                vision=engine.vision,
                min_pixels=self.min_pixels,
                max_pixels=self.max_pixels,
                model=self.model,
            )
            return engine.submit(prompt, sampling, streamer)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._submit(messages, stop, kwargs)
        try:
            return self._result(request.future.result())
        finally:
            request.cancel()

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = await asyncio.to_thread(self._submit, messages, stop, kwargs)
        try:
            return self._result(await asyncio.wrap_future(request.future))
        finally:
            request.cancel()

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.engine.tokenizer, skip_special_tokens=True)
        request = self._submit(messages, stop, kwargs, streamer)
        held = StopFilter(request.sampling.stop)
        try:
            for text in streamer:
                if piece := held.feed(text):
                    yield self._chunk(piece, run_manager)
            completion = request.future.result()
        finally:
            request.cancel()
        yield self._last_chunk(held.flush(), completion)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        from transformers import AsyncTextIteratorStreamer

        engine = await asyncio.to_thread(lambda: self.engine)
        streamer = AsyncTextIteratorStreamer(engine.tokenizer, skip_special_tokens=True)
        request = await asyncio.to_thread(self._submit, messages, stop, kwargs, streamer)
        held = StopFilter(request.sampling.stop)
        try:
            async for text in streamer:
                if piece := held.feed(text):
                    chunk = self._chunk(piece)
                    if run_manager:
                        await run_manager.on_llm_new_token(piece, chunk=chunk)
                    yield chunk
            completion = await asyncio.wrap_future(request.future)
        finally:
            request.cancel()
        yield self._last_chunk(held.flush(), completion)

    def _chunk(self, text: str, run_manager=None) -> ChatGenerationChunk:
        chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
        if run_manager:
            run_manager.on_llm_new_token(text, chunk=chunk)
        return chunk

    def _last_chunk(self, text: str, completion: Completion) -> ChatGenerationChunk:
        message = AIMessageChunk(
            content=text,
            usage_metadata=_usage(completion),
            response_metadata=self._metadata(completion),
            chunk_position="last",
        )
        return ChatGenerationChunk(message=message)

    def _result(self, completion: Completion) -> ChatResult:
        message = AIMessage(
            content=completion.text,
            usage_metadata=_usage(completion),
            response_metadata=self._metadata(completion),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _metadata(self, completion: Completion) -> dict:
        return {
            "model_name": self.model,
            "model_provider": "transformers",
            "finish_reason": completion.finish_reason,
        }


def _usage(completion: Completion) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        total_tokens=completion.input_tokens + completion.output_tokens,
    )


class StopFilter:
    """Streams text up to the first stop sequence, holding back a tail that may begin one."""

    def __init__(self, stop: tuple[str, ...]):
        self.stop, self.buffer, self.hit = stop, "", False

    def feed(self, text: str) -> str:
        if self.hit:
            return ""
        self.buffer += text
        before, self.hit = cut_at_stop(self.buffer, self.stop)
        if self.hit:
            self.buffer = ""
            return before
        hold = max(
            (k for s in self.stop for k in range(1, len(s)) if self.buffer.endswith(s[:k])),
            default=0,
        )
        ready, self.buffer = (
            self.buffer[: len(self.buffer) - hold],
            self.buffer[len(self.buffer) - hold :],
        )
        return ready

    def flush(self) -> str:
        rest, self.buffer = ("" if self.hit else self.buffer), ""
        return rest


def create(rest: str, options: ModelOptions) -> LocalChatModel:
    """The model factory's `transformers:` backend."""
    load = parse_local_spec(rest)
    source = Path(load.source).expanduser()
    if load.model.lower() not in ALIASES and _looks_like_path(load.source) and not source.is_dir():
        raise ModelConfigError(
            f"transformers:{rest} names the directory {source}, which does not exist; "
            "give a directory holding a checkpoint or a hub id such as THU-KEG/LongWriter-V-7B"
        )
    return LocalChatModel(
        **{name: getattr(load, name) for name in LoadOptions.__dataclass_fields__},
        temperature=options.temperature,
        max_tokens=options.max_tokens,
        **({"top_p": options.top_p} if options.top_p is not None else {}),
    )


def _looks_like_path(source: str) -> bool:
    return source.startswith(("/", ".", "~")) or source.count("/") > 1
