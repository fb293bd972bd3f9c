"""Parallel mode only: one short editing call that smooths the seams between sections."""

import re

from langgraph.runtime import Runtime

from longwriter_v.evals.metrics import count_words
from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import Section, WriterState
from longwriter_v.nodes import prompts
from longwriter_v.nodes.llm import chat_model, generate, messages, usage

_BLOCK = re.compile(r"^\s*\[\[(\d+)\]\]\s*$", re.MULTILINE)


def paragraphs(text: str) -> list[str]:
    """Split text into blank-line separated paragraphs."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def opening(text: str) -> tuple[int, str]:
    """Return the position and text of a section's first prose paragraph (after its heading)."""
    paras = paragraphs(text)
    pos = 1 if len(paras) > 1 and paras[0].startswith("#") else 0
    return pos, paras[pos] if paras else ""


def stitch_prompt(sections: list[Section]):
    """Show every seam: the last paragraph before it and the first paragraph after it (pure)."""
    seams = [
        prompts.STITCH_SEAM.format(
            index=cur["index"], tail=paragraphs(prev["text"])[-1], head=opening(cur["text"])[1]
        )
        for prev, cur in zip(sections, sections[1:], strict=False)
        if paragraphs(prev["text"]) and opening(cur["text"])[1]
    ]
    return messages(prompts.STITCH_SYSTEM, prompts.STITCH_USER.format(seams="\n".join(seams)))


def apply_stitches(sections: list[Section], reply: str) -> list[Section]:
    """Replace first paragraphs with the rewritten ones the reply gives.

    A rewrite is ignored when it is for the first section, spans several paragraphs, or
    changes the paragraph's length by more than a third (stitching must not move lengths).
    """
    parts = _BLOCK.split(reply)
    rewrites = {int(parts[i]): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    changed = []
    for sec in sections:
        new = rewrites.get(sec["index"])
        pos, old = opening(sec["text"])
        if sec["index"] == sections[0]["index"] or not new or "\n\n" in new:
            continue
        if abs(count_words(new) - count_words(old)) > count_words(old) / 3:
            continue
        paras = paragraphs(sec["text"])
        paras[pos] = new
        text = "\n\n".join(paras)
        changed.append(Section(index=sec["index"], text=text, words=count_words(text)))
    return changed


async def stitch(state: WriterState, runtime: Runtime[WriterContext]) -> dict:
    """Rewrite each section's opening paragraph to follow from the one before it."""
    sections = state["sections"]
    if len(sections) < 2:
        return {}
    ctx = settings(runtime)
    reply = await generate(
        chat_model(ctx, "reviser", max_tokens=min(ctx.max_tokens, 4096)),
        stitch_prompt(sections),
        stage="stitch",
    )
    return {
        "sections": apply_stitches(sections, reply.text),
        "usage": [usage(reply, "stitch", ctx.model_for("reviser"))],
    }
