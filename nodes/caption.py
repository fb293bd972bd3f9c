"""Stage 2, caption: one caption per image, fanned out with Send and cached by image hash."""

from typing import Literal, TypedDict

from langgraph.runtime import Runtime
from langgraph.types import CachePolicy, Send

from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import WriterState
from longwriter_v.nodes import prompts
from longwriter_v.nodes.images import ImageRef
from longwriter_v.nodes.llm import chat_model, generate, language_rule, messages, usage

CAPTION_MAX_TOKENS = 1024


class CaptionTask(TypedDict):
    image: ImageRef
    model: str
    language: str
    run_token: str


def caption_key(task: CaptionTask) -> str:
    """Cache key of a caption: the image content, the model and the language, nothing else."""
    image = task.get("image") or {}  # graph drawing probes nodes with placeholder input
    return f"{image.get('sha256')}|{task.get('model')}|{task.get('language')}"


CAPTION_CACHE = CachePolicy(key_func=caption_key)


def route_captions(
    state: WriterState, runtime: Runtime[WriterContext]
) -> list[Send] | Literal["outline"]:
    """Send each image to the caption node, or go straight to the outline when skipped."""
    ctx = settings(runtime)
    refs = state.get("image_refs") or []
    if ctx.skip_captions or not refs:
        return "outline"
    spec = ctx.model_for("caption")
    return [
        Send(
            "caption",
            CaptionTask(
                image=ref, model=spec, language=state["language"], run_token=state["run_token"]
            ),
        )
        for ref in refs
    ]


async def caption(task: CaptionTask, runtime: Runtime[WriterContext]) -> dict:
    """Describe one image; the usage record names the run that paid for it."""
    ctx = settings(runtime)
    ref = task["image"]
    model = chat_model(ctx, "caption", max_tokens=CAPTION_MAX_TOKENS)
    prompt = messages(
        prompts.CAPTION_SYSTEM.format(language_rule=language_rule(task["language"])),
        prompts.CAPTION_USER.format(index=ref["index"]),
        [ref],
    )
    reply = await generate(model, prompt, stage="caption")
    return {
        "captions": [{"index": ref["index"], "text": reply.text.strip()}],
        "usage": [usage(reply, "caption", task["model"], run=task["run_token"])],
    }
