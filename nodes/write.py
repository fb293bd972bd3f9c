"""Stage 4, write: sections one after another (the paper's way) or all at once with Send."""

from typing import Literal, TypedDict

from langgraph.runtime import Runtime
from langgraph.types import Send

from longwriter_v.evals.metrics import count_words
from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import Caption, SectionPlan, WriterState
from longwriter_v.nodes import prompts
from longwriter_v.nodes.images import ImageRef
from longwriter_v.nodes.llm import (
    chat_model,
    concurrency_gate,
    generate,
    language_rule,
    messages,
    usage,
)
from longwriter_v.nodes.outline_parse import plan_text


class SectionTask(TypedDict):
    """Everything one section writer needs; the same shape serves both modes."""

    instruction: str
    title: str
    language: str
    outline: list[SectionPlan]
    plan: SectionPlan
    images: list[ImageRef]
    captions: list[Caption]
    so_far: str | None  # all previous text in sequential mode, None in parallel mode


def section_task(state: WriterState, index: int, so_far: str | None) -> SectionTask:
    """Cut from the state what section `index` (1-based) needs: only its own images."""
    plan = state["outline"][index - 1]
    refs = [r for r in state.get("image_refs") or [] if r["index"] in plan["images"]]
    caps = [c for c in state.get("captions") or [] if c["index"] in plan["images"]]
    return SectionTask(
        instruction=state["instruction"],
        title=state.get("title", ""),
        language=state["language"],
        outline=state["outline"],
        plan=plan,
        images=refs,
        captions=caps,
        so_far=so_far,
    )


def route_writers(state: WriterState) -> list[Send] | Literal["write_section"]:
    """Start writing: the sequential loop, or one Send per section in parallel mode."""
    if state["mode"] == "sequential":
        return "write_section"
    return [Send("write_part", section_task(state, p["index"], None)) for p in state["outline"]]


def section_prompt(task: SectionTask, style: str):
    """Build the messages that write one section (pure)."""
    plan, count = task["plan"], len(task["outline"])
    rule = language_rule(task["language"])
    so_far = task["so_far"]
    if style == "longwriter_v":
        step = f"Paragraph {plan['index']} - {plan['title']} - Word Count: {plan['words']} words"
        user = prompts.LONGWRITER_WRITE_USER.format(
            instruction=task["instruction"],
            plan=plan_text(task["outline"]),
            so_far=so_far or "(nothing yet)",
            index=plan["index"],
            step=step,
            budget=plan["words"],
            language_rule=rule,
        )
        return messages("", user, task["images"])
    position = (
        prompts.FIRST_SECTION
        if plan["index"] == 1
        else prompts.LAST_SECTION
        if plan["index"] == count
        else prompts.MIDDLE_SECTION
    )
    context = (
        prompts.CONTEXT_SEQUENTIAL.format(so_far=so_far)
        if so_far
        else prompts.CONTEXT_PARALLEL
        if so_far is None
        else ""
    )
    section_images = ""
    if task["images"]:
        caps = "".join(f"Image {c['index']}: {c['text']}\n" for c in task["captions"])
        section_images = prompts.SECTION_IMAGES.format(
            numbers=", ".join(str(r["index"]) for r in task["images"]), captions=caps
        )
    user = prompts.WRITE_USER.format(
        instruction=task["instruction"],
        title=task["title"] or "(untitled)",
        plan=plan_text(task["outline"]),
        context_text=context,
        index=plan["index"],
        count=count,
        section_title=plan["title"],
        points="\n".join(f"- {p}" for p in plan["points"]) or "- " + plan["title"],
        section_images=section_images,
        budget=plan["words"],
        position_rule=position,
    )
    system = prompts.WRITE_SYSTEM.format(section_title=plan["title"], language_rule=rule)
    return messages(system, user, task["images"])


async def _write(task: SectionTask, ctx: WriterContext, writer) -> dict:
    plan = task["plan"]
    async with concurrency_gate(ctx.concurrency):
        reply = await generate(
            chat_model(ctx, "writer"),
            section_prompt(task, ctx.prompt_style),
            stage="write",
            section=plan["index"],
        )
    text = reply.text.strip()
    words = count_words(text)
    writer(
        {
            "event": "section_written",
            "index": plan["index"],
            "of": len(task["outline"]),
            "words": words,
            "budget": plan["words"],
        }
    )
    return {
        "sections": [{"index": plan["index"], "text": text, "words": words}],
        "usage": [usage(reply, "write", ctx.model_for("writer"))],
    }


async def write_section(state: WriterState, runtime: Runtime[WriterContext]) -> dict:
    """Sequential mode: write the next section after everything written so far."""
    done = state.get("sections") or []
    so_far = "\n\n".join(s["text"] for s in done)
    task = section_task(state, len(done) + 1, so_far)
    return await _write(task, settings(runtime), runtime.stream_writer)


def after_write_section(state: WriterState) -> Literal["write_section", "length_check"]:
    """Loop until every planned section is written."""
    return "write_section" if len(state["sections"]) < len(state["outline"]) else "length_check"


async def write_part(task: SectionTask, runtime: Runtime[WriterContext]) -> dict:
    """Parallel mode: write one section from its own brief and images."""
    return await _write(task, settings(runtime), runtime.stream_writer)
