"""A simulated chat model for benchmarks (not for tests of behaviour): it takes as long as a
hosted model would, bills what OpenAI would bill, and writes a controlled number of words.

Spec: `sim:<name>?ttft=0.5&tps=80&prefill=4000&rpm=0&scale=0.05&mu=0&sigma=0&seed=0&detail=high`
- time: ttft + input tokens / prefill + output tokens / tps simulated seconds, slept for
  `scale` real seconds each (0.05: a 100 s run takes 5 s);
- rpm: requests per (simulated) minute, 0 for no limit;
- length: a request for B words gets round(B * f) words, f = exp(N(mu, sigma)) drawn from a
  seed fixed by (seed, stage, section, attempt), so every run is reproducible.
One instance per spec name, whatever the call options, so its `calls` cover a whole run.
"""

import asyncio
import math
import random
import re
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, fields
from urllib.parse import parse_qsl

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from benchmarks.billing import billed_input, text_tokens
from longwriter_v.models.factory import ModelConfigError, register_backend
from longwriter_v.nodes.outline_parse import section_count
from tests.fakes import classify, last_text, prose

_REQUIRED = re.compile(r"(?:totalling|Required length:) (\d+) words")
_IMAGES = re.compile(r"comes with (\d+) images")
_BUDGET = re.compile(r"about (\d+) words")


@dataclass(frozen=True)
class SimSettings:
    ttft: float = 0.5
    tps: float = 80.0
    prefill: float = 4000.0
    rpm: int = 0
    scale: float = 0.05
    mu: float = 0.0
    sigma: float = 0.0
    seed: int = 0
    detail: str = "high"
    caption_words: int = 150

    @classmethod
    def parse(cls, query: str) -> "SimSettings":
        kinds = {f.name: f.type for f in fields(cls)}
        values = {}
        for key, value in parse_qsl(query):
            if key not in kinds:
                raise ModelConfigError(f"sim option {key!r} is unknown; valid: {sorted(kinds)}")
            try:
                values[key] = kinds[key](value)
            except ValueError as e:
                raise ModelConfigError(f"sim option {key}={value!r}: {e}") from e
        return cls(**values)


def _system(messages: list[BaseMessage]) -> str:
    first = messages[0]
    return first.content if first.type == "system" and isinstance(first.content, str) else ""


class SimChatModel(BaseChatModel):
    """See the module docstring. `calls` records stage, section, tokens and timing per call."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    settings: SimSettings
    calls: list[dict] = Field(default_factory=list)
    lock: object = Field(default_factory=threading.Lock)
    starts: deque = Field(default_factory=deque)

    @property
    def _llm_type(self) -> str:
        return "simulated"

    def factor(self, stage: str, section, attempt: int) -> float:
        s = self.settings
        key = f"{s.seed}:{stage}:{section}:{attempt}".encode()
        return math.exp(random.Random(zlib.crc32(key)).gauss(s.mu, s.sigma))

    def reply(self, stage: str, section, text: str, attempt: int) -> str:
        """The text a model would write for this call, at the simulated length."""
        if stage == "caption":
            return prose(self.settings.caption_words)
        if stage == "outline":
            return self.outline(text)
        if stage in ("write", "revise"):
            budget = int(_BUDGET.search(text).group(1))
            words = max(1, round(budget * self.factor(stage, section, attempt)))
            return prose(words, heading=f"Part {section}")
        if stage == "stitch":
            seams = re.findall(r"START OF SECTION (\d+):", text)
            return "\n".join(f"[[{i}]]\n{prose(60, start=7)}" for i in seams)
        return "ok"

    @staticmethod
    def outline(text: str) -> str:
        """A plan of the usual section count; images dealt out to sections in order."""
        required = int(_REQUIRED.search(text).group(1))
        found = _IMAGES.search(text)
        n_images = int(found.group(1)) if found else 0
        n = section_count(required)
        images: list[list[int]] = [[] for _ in range(n)]
        for k in range(n_images):
            images[k * n // max(1, n_images)].append(k + 1)
        lines = ["Title: A Simulated Document"]
        for i in range(n):
            budget = required // n + (required % n if i == n - 1 else 0)
            listed = ", ".join(map(str, images[i])) or "none"
            lines += [f"Section {i + 1}: Part {i + 1} | {budget} words | images: {listed}"]
            lines += [f"- point {i + 1}"]
        return "\n".join(lines)

    def _prepare(self, messages: list[BaseMessage]) -> tuple[AIMessage, dict]:
        stage, section = classify(_system(messages), last_text(messages).strip())
        with self.lock:
            attempt = 1 + sum(c["stage"] == stage and c["section"] == section for c in self.calls)
            record = {"stage": stage, "section": section, "attempt": attempt}
            self.calls.append(record)
        text = self.reply(stage, section, last_text(messages), attempt)
        text_in, image_in = billed_input(messages, self.settings.detail)
        out = text_tokens(text)
        s = self.settings
        seconds = s.ttft + (text_in + image_in) / s.prefill + out / s.tps
        record |= {"text_in": text_in, "image_in": image_in, "out": out, "seconds": seconds}
        usage = {
            "input_tokens": text_in + image_in,
            "output_tokens": out,
            "total_tokens": text_in + image_in + out,
        }
        return AIMessage(text, usage_metadata=usage), record

    def _admit_after(self) -> float:
        """Real seconds to wait before the next request fits the rate limit (and book it)."""
        s = self.settings
        if not s.rpm:
            return 0.0
        window, now = 60 * s.scale, time.monotonic()
        with self.lock:
            while self.starts and self.starts[0] <= now - window:
                self.starts.popleft()
            wait = 0.0
            if len(self.starts) >= s.rpm:
                wait = self.starts[-s.rpm] + window - now
            self.starts.append(now + wait)
            return max(0.0, wait)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        message, record = self._prepare(messages)
        time.sleep(self._admit_after())
        record["start"] = time.monotonic()
        time.sleep(record["seconds"] * self.settings.scale)
        record["end"] = time.monotonic()
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        message, record = await asyncio.to_thread(self._prepare, messages)
        await asyncio.sleep(self._admit_after())
        record["start"] = time.monotonic()
        await asyncio.sleep(record["seconds"] * self.settings.scale)
        record["end"] = time.monotonic()
        return ChatResult(generations=[ChatGeneration(message=message)])


_SIMS: dict[str, SimChatModel] = {}


def sim_model(rest: str, options=None) -> SimChatModel:
    """The factory's `sim:` backend: one model per spec, whatever the call options."""
    if rest not in _SIMS:
        _, _, query = rest.partition("?")
        _SIMS[rest] = SimChatModel(settings=SimSettings.parse(query))
    return _SIMS[rest]


register_backend("sim", sim_model)
