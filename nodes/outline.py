"""Stage 3, outline: plan sections with budgets; structured output first, text parser after."""

import logging

from langchain_core.exceptions import OutputParserException
from langgraph.runtime import Runtime
from pydantic import ValidationError

from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import WriterState
from longwriter_v.nodes import prompts
from longwriter_v.nodes.llm import chat_model, generate, language_rule, messages, usage
from longwriter_v.nodes.outline_parse import (
    Outline,
    even_outline,
    parse_outline_text,
    section_count,
    to_plans,
)

log = logging.getLogger(__name__)
STRUCTURED_FAILURES = (
    NotImplementedError,
    OutputParserException,
    ValidationError,
    ValueError,
    KeyError,
    TypeError,
)


def images_text(state: WriterState) -> str:
    """Describe the images to the planner: by caption when captioned, else as attachments."""
    refs = state.get("image_refs") or []
    captions = state.get("captions") or []
    if not refs:
        return prompts.NO_IMAGES
    if captions:
        listed = "\n".join(f"Image {c['index']}: {c['text']}" for c in captions)
        return prompts.IMAGES_WITH_CAPTIONS.format(count=len(refs), captions=listed)
    return prompts.IMAGES_ATTACHED.format(count=len(refs))


def outline_prompt(state: WriterState, style: str):
    """Build the planning messages for a prompt style (pure)."""
    rule = language_rule(state["language"])
    fields = dict(
        instruction=state["instruction"],
        required_words=state["required_words"],
        images_text=images_text(state),
        n_sections=section_count(state["required_words"]),
    )
    attach = [] if state.get("captions") else state.get("image_refs") or []
    if style == "longwriter_v":
        return messages(
            "", prompts.LONGWRITER_PLAN_USER.format(language_rule=rule, **fields), attach
        )
    feedback = state.get("outline_feedback")
    user = prompts.OUTLINE_USER.format(
        feedback_text=prompts.OUTLINE_FEEDBACK.format(feedback=feedback) if feedback else "",
        **fields,
    )
    return messages(prompts.OUTLINE_SYSTEM.format(language_rule=rule), user, attach)


async def outline(state: WriterState, runtime: Runtime[WriterContext]) -> dict:
    """Plan the document; fall back to the text format, then to an even plan."""
    ctx = settings(runtime)
    spec = ctx.model_for("outline")
    model = chat_model(ctx, "outline")
    prompt = outline_prompt(state, ctx.prompt_style)
    plan, records = None, []
    if ctx.prompt_style == "default":
        try:
            out = (
                await model.with_structured_output(Outline, include_raw=True)
                .with_config(tags=["stage:outline"], metadata={"lw_stage": "outline"})
                .ainvoke(prompt)
            )
            records.append(usage(out["raw"], "outline", spec))
            plan = out["parsed"]
            if out.get("parsing_error"):
                raise out["parsing_error"]
        except STRUCTURED_FAILURES as e:
            log.warning("structured outline failed (%r); asking for the text format", e)
            plan = None
        if plan is None:
            prompt = [
                *prompt[:-1],
                prompt[-1].model_copy(update={"content": _with_format(prompt[-1])}),
            ]
    if plan is None:
        reply = await generate(model, prompt, stage="outline")
        records.append(usage(reply, "outline", spec))
        plan = parse_outline_text(reply.text, len(state.get("image_refs") or []))
    if plan is None or not plan.sections:
        log.warning("the outline model's reply could not be read as a plan; using an even plan")
        plan = even_outline("", state["required_words"], len(state.get("image_refs") or []))
    plans = to_plans(plan, state["required_words"], len(state.get("image_refs") or []))
    return {"title": plan.title, "outline": plans, "usage": records}


def _with_format(message) -> str | list:
    """Append the text-plan format to the user turn (string or content-block list)."""
    if isinstance(message.content, str):
        return message.content + "\n" + prompts.OUTLINE_TEXT_FORMAT
    return [*message.content, {"type": "text", "text": prompts.OUTLINE_TEXT_FORMAT}]
