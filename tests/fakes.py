"""A scripted chat model for tests: answers by stage, records every call, streams tokens."""

import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from longwriter_v.nodes import prompts

VOCAB = [
    "river",
    "light",
    "stone",
    "paper",
    "window",
    "garden",
    "market",
    "winter",
    "signal",
    "harbor",
    "letter",
    "engine",
    "forest",
    "bridge",
    "morning",
    "silver",
    "theory",
    "canvas",
    "orbit",
    "meadow",
]


def prose(words: int, heading: str | None = None, start: int = 0) -> str:
    """Return text with exactly `words` countable words (plus the heading's), in paragraphs."""
    body = [VOCAB[(start + i) % len(VOCAB)] for i in range(words)]
    paras = [" ".join(body[i : i + 60]) + "." for i in range(0, len(body), 60)]
    return "\n\n".join(([f"## {heading}"] if heading else []) + paras)


def last_text(messages: list[BaseMessage]) -> str:
    content = messages[-1].content
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))


def _system_text(messages: list[BaseMessage]) -> str:
    first = messages[0]
    return first.content if first.type == "system" and isinstance(first.content, str) else ""


def classify(system: str, user: str) -> tuple[str, int | None]:
    """Tell a call's stage and section from its prompts (as a real server would see them)."""
    starts = {
        prompts.CAPTION_SYSTEM[:40]: "caption",
        prompts.OUTLINE_SYSTEM[:40]: "outline",
        prompts.WRITE_SYSTEM[:40]: "write",
        prompts.REVISE_SYSTEM[:40]: "revise",
        prompts.STITCH_SYSTEM[:40]: "stitch",
    }
    stage = next((v for k, v in starts.items() if system.startswith(k)), None)
    if stage is None:
        stage = (
            "outline"
            if user.startswith(prompts.LONGWRITER_PLAN_USER[:30])
            else "write"
            if user.startswith(prompts.LONGWRITER_WRITE_USER[:30])
            else "unknown"
        )
    found = (
        re.search(r"Your section: (\d+) of", user)
        or re.search(r"Now write step (\d+)", user)
        or re.search(r"## Section (\d+)", user)
    )
    return stage, int(found.group(1)) if found and stage in ("write", "revise") else None


def count_images(messages: list[BaseMessage]) -> int:
    return sum(
        1
        for m in messages
        if isinstance(m.content, list)
        for b in m.content
        if isinstance(b, dict) and b.get("type") in ("image", "image_url")
    )


class Call(dict):
    """One recorded call: stage, section, message list, image count."""


class ScriptedChatModel(BaseChatModel):
    """Answers each call with `respond(call)`; `call` holds stage, section, prompt and tools."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    respond: Callable[[Call], AIMessage | str]
    tool_calling: bool = True
    calls: list[Call] = Field(default_factory=list)
    lock: Any = Field(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        if not self.tool_calling:
            raise NotImplementedError("this scripted model has no tool calling")
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _answer(self, messages, run_manager, tools) -> AIMessage:
        stage, section = classify(_system_text(messages), last_text(messages))
        call = Call(
            stage=stage,
            section=section,
            messages=messages,
            tools=tools,
            text=last_text(messages),
            images=count_images(messages),
        )
        with self.lock:
            self.calls.append(call)
        reply = self.respond(call)
        message = AIMessage(reply) if isinstance(reply, str) else reply
        prompt_chars = sum(len(str(m.content)) for m in messages)
        message.usage_metadata = {
            "input_tokens": prompt_chars // 4,
            "output_tokens": len(str(message.content).split()) + 1,
            "total_tokens": prompt_chars // 4 + len(str(message.content).split()) + 1,
        }
        return message

    def _generate(
        self, messages, stop=None, run_manager: CallbackManagerForLLMRun | None = None, **kwargs
    ) -> ChatResult:
        message = self._answer(messages, run_manager, kwargs.get("tools"))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _chunks(self, message: AIMessage) -> Iterator[ChatGenerationChunk]:
        if message.tool_calls:
            calls = [
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": 0}
                for c in message.tool_calls
            ]
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="", tool_call_chunks=calls, usage_metadata=message.usage_metadata
                )
            )
            return
        pieces = re.findall(r"\S+\s*", str(message.content)) or [""]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content=piece, usage_metadata=message.usage_metadata if last else None
                )
            )

    def _stream(
        self, messages, stop=None, run_manager=None, **kwargs
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._answer(messages, run_manager, kwargs.get("tools"))):
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        message = self._answer(messages, run_manager, kwargs.get("tools"))
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs):
        for chunk in self._chunks(self._answer(messages, run_manager, kwargs.get("tools"))):
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


BUDGET = re.compile(r"about (\d+) words")
SECTION = re.compile(r"^Section (\d+): (.+?) \|", re.MULTILINE)


class Writer:
    """A plausible writer world: captions, an outline of `n_sections`, sections near budget.

    `factor(stage, section, attempt)` scales the words written, to simulate misses.
    """

    def __init__(self, n_sections: int = 3, factor=None, images_per_section: int = 1):
        self.n_sections = n_sections
        self.factor = factor or (lambda stage, section, attempt: 1.0)
        self.attempts: dict[tuple[str, int], int] = {}
        self.images_per_section = images_per_section

    def outline_args(self, n_images: int) -> dict:
        sections = []
        for i in range(self.n_sections):
            imgs = [k + 1 for k in range(n_images) if k % self.n_sections == i]
            sections.append(
                {
                    "title": f"Part {chr(65 + i)}",
                    "points": [f"point {i}"],
                    "images": imgs,
                    "words": 100,
                }
            )
        return {"title": "A Test Document", "sections": sections}

    def __call__(self, call: Call) -> AIMessage | str:
        stage, text = call["stage"], call["text"]
        if stage == "caption":
            return "A slide with a chart of rising numbers and the title Quarterly Review."
        if stage == "outline":
            n_images = len(re.findall(r"^Image \d+:", text, re.MULTILINE)) or call["images"]
            args = self.outline_args(n_images)
            if call["tools"]:
                return AIMessage("", tool_calls=[{"name": "Outline", "args": args, "id": "call-1"}])
            lines = [f"Title: {args['title']}"]
            for i, s in enumerate(args["sections"], 1):
                imgs = ", ".join(map(str, s["images"])) or "none"
                lines += [
                    f"Section {i}: {s['title']} | {s['words']} words | images: {imgs}",
                    f"- {s['points'][0]}",
                ]
            return "\n".join(lines)
        if stage == "stitch":
            heads = re.findall(r"START OF SECTION (\d+):\n(.*)", text)
            return "\n".join(f"[[{i}]]\nBuilding on this, {head}" for i, head in heads)
        if stage in ("write", "revise"):
            key = (stage, call["section"])
            self.attempts[key] = self.attempts.get(key, 0) + 1
            budget = int(BUDGET.search(text).group(1))
            words = max(1, round(budget * self.factor(stage, call["section"], self.attempts[key])))
            return prose(words, heading=f"Section {call['section']}")
        return "ok"
