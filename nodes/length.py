"""Stage 5, length check: the benchmark's word counter decides which sections get revised."""

from langgraph.runtime import Runtime

from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import Section, SectionPlan, WriterState


def misses(section: Section, plan: SectionPlan, tolerance: float) -> bool:
    """Tell whether a section's length is off its budget by more than the tolerance."""
    return abs(section["words"] - plan["words"]) > tolerance * plan["words"]


def length_check(state: WriterState, runtime: Runtime[WriterContext]) -> dict:
    """Pick the sections to revise; the one place the revision budget is checked."""
    ctx = settings(runtime)
    done = state.get("revise_round", 0)
    off = [
        s["index"]
        for s, p in zip(state["sections"], state["outline"], strict=True)
        if misses(s, p, ctx.tolerance)
    ]
    pending = off if done < ctx.max_revise_rounds else []
    total = sum(s["words"] for s in state["sections"])
    runtime.stream_writer(
        {
            "event": "length_checked",
            "words": total,
            "required": state["required_words"],
            "off_budget": off,
            "revising": pending,
            "round": done,
        }
    )
    return {"pending": pending, "revise_round": done + (1 if pending else 0)}
