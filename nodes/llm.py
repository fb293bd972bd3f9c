"""Calling a stage's model: build it from the run context, attach images, record usage."""

import asyncio
import re
import weakref
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from longwriter_v.graphs.context import WriterContext
from longwriter_v.graphs.state import Usage
from longwriter_v.models.factory import ModelOptions, create_chat_model
from longwriter_v.nodes.images import ImageRef, encoded
from longwriter_v.nodes.prompts import LANGUAGE_RULE

Stage = Literal["caption", "outline", "writer", "reviser"]
_CJK = re.compile(r"[\u4e00-\u9fff]")


def document_language(instruction: str, setting: str) -> Literal["en", "zh"]:
    """Resolve the document language: the setting, or Chinese when the request has CJK text."""
    if setting in ("en", "zh"):
        return setting
    return "zh" if len(_CJK.findall(instruction)) >= 2 else "en"


def language_rule(language: str) -> str:
    """Return the sentence that fixes the output language."""
    return LANGUAGE_RULE[language]


def chat_model(ctx: WriterContext, stage: Stage, max_tokens: int | None = None) -> BaseChatModel:
    """Return the (shared) chat model a stage uses under this run's settings."""
    options = ModelOptions(
        temperature=ctx.temperature,
        max_tokens=max_tokens or ctx.max_tokens,
        timeout_s=ctx.request_timeout_s,
        max_retries=ctx.max_retries,
    )
    return create_chat_model(ctx.model_for(stage), options)


def image_blocks(refs: list[ImageRef]) -> list[dict]:
    """Turn stored image references into LangChain standard image content blocks."""
    return [{"type": "image", "base64": encoded(r["file"]), "mime_type": r["mime"]} for r in refs]


def messages(system: str, user: str, images: list[ImageRef] = ()) -> list[BaseMessage]:
    """Build a system (when given) + user turn; images come before the text, in order."""
    content = [*image_blocks(list(images)), {"type": "text", "text": user}] if images else user
    return ([SystemMessage(system)] if system else []) + [HumanMessage(content)]


def usage(message: AIMessage, node: str, spec: str, run: str | None = None) -> Usage:
    """Record the tokens a reply cost (zero where the backend reports none)."""
    meta = message.usage_metadata or {}
    record = Usage(
        node=node,
        model=spec,
        input_tokens=meta.get("input_tokens", 0),
        output_tokens=meta.get("output_tokens", 0),
    )
    if run is not None:
        record["run"] = run
    return record


async def generate(
    model: BaseChatModel, prompt: list[BaseMessage], *, stage: str, section: int | None = None
) -> AIMessage:
    """Call a model, tagging the call with its stage and section so streams can be told apart."""
    meta = {"lw_stage": stage} | ({"lw_section": section} if section is not None else {})
    tags = [f"stage:{stage}"] + ([f"section:{section}"] if section is not None else [])
    return await model.with_config(tags=tags, metadata=meta).ainvoke(prompt)


_GATES: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, asyncio.Semaphore]]"
_GATES = weakref.WeakKeyDictionary()


def concurrency_gate(limit: int, name: str = "sections") -> asyncio.Semaphore:
    """Return the semaphore named `name` that bounds concurrent calls on this event loop.

    Different names never share permits, so an evaluation's per-example gate cannot starve
    the section gate of the writer runs it starts.
    """
    per_loop = _GATES.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault((name, max(1, limit)), asyncio.Semaphore(max(1, limit)))
