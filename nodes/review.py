"""Optional human review of the outline: approve it, edit it, or send feedback to re-plan."""

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from longwriter_v.graphs.context import WriterContext
from longwriter_v.graphs.state import WriterState
from longwriter_v.nodes.errors import InputError
from longwriter_v.nodes.outline_parse import Outline, to_plans
from longwriter_v.nodes.write import route_writers

REVIEW_HELP = (
    "Resume with {'action': 'approve'}, {'action': 'edit', 'outline': {'title': ..., "
    "'sections': [{'title', 'points', 'images', 'words'}, ...]}} or "
    "{'action': 'feedback', 'feedback': '<what to change>'}; a plain string is taken as "
    "'approve' when it says approve/ok/yes, else as feedback."
)


def read_decision(answer) -> dict:
    """Normalise a resume value to {'action': ..., ...}, rejecting what cannot be understood."""
    if isinstance(answer, str):
        word = answer.strip().lower()
        if word in {"approve", "approved", "ok", "yes", "y", ""}:
            return {"action": "approve"}
        return {"action": "feedback", "feedback": answer.strip()}
    if isinstance(answer, dict) and answer.get("action") in {"approve", "edit", "feedback"}:
        return answer
    raise InputError(f"outline review answer {answer!r} not understood. {REVIEW_HELP}")


def review_outline(
    state: WriterState, runtime: Runtime[WriterContext]
) -> Command[Literal["outline", "write_section", "write_part"]]:
    """Pause with the outline; continue as the reviewer decides."""
    decision = read_decision(
        interrupt(
            {
                "title": state.get("title", ""),
                "outline": state["outline"],
                "required_words": state["required_words"],
                "help": REVIEW_HELP,
            }
        )
    )
    if decision["action"] == "feedback":
        return Command(update={"outline_feedback": decision["feedback"]}, goto="outline")
    if decision["action"] == "approve":
        return Command(goto=route_writers(state))
    edited = Outline.model_validate(decision.get("outline"))
    plans = to_plans(edited, state["required_words"], len(state.get("image_refs") or []))
    return Command(
        update={"title": edited.title, "outline": plans},
        goto=route_writers({**state, "title": edited.title, "outline": plans}),
    )
