"""Stage 5, length check: the benchmark's word counter decides which sections get revised."""

from statistics import median

from langgraph.runtime import Runtime

from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import Section, SectionPlan, WriterState


def misses(section: Section, plan: SectionPlan, tolerance: float) -> bool:
    """Tell whether a section's length is off its budget by more than the tolerance."""
    return abs(section["words"] - plan["words"]) > tolerance * plan["words"]


def delivery_ratio(state: WriterState, tolerance: float) -> float:
    """Words the model delivers per word asked, when it misses the same way on most calls.

    Every call of the run counts once: each section's first draft against its budget and
    each revision against what it asked for. When most of them miss in one direction the
    model is biased, and the median ratio is returned (within 0.5..2) so that revisions can
    ask for more (or less) and land on the budget. Otherwise 1.0: isolated misses are noise.
    """
    revisions = sorted(state.get("revisions") or [], key=lambda r: r["round"])
    first = {}
    for r in revisions:
        first.setdefault(r["index"], r["words_before"])
    calls = [
        (plan["words"], first.get(sec["index"], sec["words"]))
        for sec, plan in zip(state["sections"], state["outline"], strict=True)
    ]
    calls += [(r.get("asked", r["budget"]), r["words_after"]) for r in revisions]
    ratios = [got / max(asked, 1) for asked, got in calls]
    short = sum(r < 1 - tolerance for r in ratios)
    long = sum(r > 1 + tolerance for r in ratios)
    if 2 * max(short, long) <= len(ratios):
        return 1.0
    return min(2.0, max(0.5, median(ratios)))


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
    ratio = delivery_ratio(state, ctx.tolerance) if pending else state.get("delivery_ratio", 1.0)
    total = sum(s["words"] for s in state["sections"])
    runtime.stream_writer(
        {
            "event": "length_checked",
            "words": total,
            "required": state["required_words"],
            "off_budget": off,
            "revising": pending,
            "round": done,
            "delivery_ratio": round(ratio, 3),
        }
    )
    return {
        "pending": pending,
        "revise_round": done + (1 if pending else 0),
        "delivery_ratio": ratio,
    }
