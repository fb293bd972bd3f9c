"""Stage 6, revise: expand or condense one off-budget section, keeping before and after."""

from typing import Literal, TypedDict

from langgraph.runtime import Runtime
from langgraph.types import Send

from longwriter_v.evals.metrics import count_words
from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import Revision, Section, SectionPlan, WriterState
from longwriter_v.nodes import prompts
from longwriter_v.nodes.llm import (
    chat_model,
    concurrency_gate,
    generate,
    language_rule,
    messages,
    usage,
)


class ReviseTask(TypedDict):
    instruction: str
    language: str
    round: int
    plan: SectionPlan
    section: Section
    ask: int  # words to ask for: the budget divided by the model's delivery ratio


def revise_task(state: WriterState, index: int) -> ReviseTask:
    """Cut from the state what revising section `index` needs."""
    plan = state["outline"][index - 1]
    return ReviseTask(
        instruction=state["instruction"],
        language=state["language"],
        round=state["revise_round"],
        plan=plan,
        section=state["sections"][index - 1],
        ask=round(plan["words"] / state.get("delivery_ratio", 1.0)),
    )


def route_revisions(state: WriterState) -> list[Send] | Literal["assemble"]:
    """Send each pending section to the reviser, or finish."""
    if not state["pending"]:
        return "assemble"
    return [Send("revise", revise_task(state, i)) for i in state["pending"]]


def revise_prompt(task: ReviseTask):
    """Build the messages that bring one section to its budget (pure)."""
    plan, sec = task["plan"], task["section"]
    # against the corrected ask, so that the rule and the number asked for never disagree
    rule = prompts.EXPAND_RULE if sec["words"] < task["ask"] else prompts.CONDENSE_RULE
    user = prompts.REVISE_USER.format(
        instruction=task["instruction"],
        section_title=plan["title"],
        points="\n".join(f"- {p}" for p in plan["points"]) or f"- {plan['title']}",
        words=sec["words"],
        text=sec["text"],
        action_rule=rule,
        budget=task["ask"],
    )
    return messages(
        prompts.REVISE_SYSTEM.format(language_rule=language_rule(task["language"])), user
    )


async def revise(task: ReviseTask, runtime: Runtime[WriterContext]) -> dict:
    """Revise one section and record the pair (before, after)."""
    ctx = settings(runtime)
    plan, before = task["plan"], task["section"]
    async with concurrency_gate(ctx.concurrency):
        reply = await generate(
            chat_model(ctx, "reviser"), revise_prompt(task), stage="revise", section=plan["index"]
        )
    text = reply.text.strip()
    words = count_words(text)
    runtime.stream_writer(
        {
            "event": "section_revised",
            "index": plan["index"],
            "round": task["round"],
            "words_before": before["words"],
            "words": words,
            "budget": plan["words"],
        }
    )
    revision = Revision(
        index=plan["index"],
        round=task["round"],
        action="expand" if before["words"] < plan["words"] else "condense",
        budget=plan["words"],
        asked=task["ask"],
        before=before["text"],
        after=text,
        words_before=before["words"],
        words_after=words,
    )
    return {
        "sections": [Section(index=plan["index"], text=text, words=words)],
        "revisions": [revision],
        "usage": [usage(reply, "revise", ctx.model_for("reviser"))],
    }
