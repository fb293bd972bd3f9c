"""Stage 7, assemble: the final markdown document and its report (lengths, score, usage)."""

from langgraph.runtime import Runtime

from longwriter_v.evals.metrics import count_words, length_score
from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import WriterState
from longwriter_v.models.pricing import ledger


def paid_usage(state: WriterState) -> tuple[list[dict], int]:
    """Split usage records into those this run paid for and a count of cache replays."""
    token = state.get("run_token")
    paid = [u for u in state.get("usage") or [] if u.get("run", token) == token]
    return paid, len(state.get("usage") or []) - len(paid)


def document_text(state: WriterState) -> str:
    """Join the title and the sections into one markdown document."""
    body = "\n\n".join(s["text"] for s in state["sections"])
    title = (state.get("title") or "").strip()
    return f"# {title}\n\n{body}" if title and not body.lstrip().startswith("# ") else body


def assemble(state: WriterState, runtime: Runtime[WriterContext]) -> dict:
    """Build the document and a report a person or an evaluator can read."""
    ctx = settings(runtime)
    document = document_text(state)
    words = count_words(document)
    paid, cached = paid_usage(state)
    report = {
        "required_words": state["required_words"],
        "length_source": state["length_source"],
        "words": words,
        "length_score": round(length_score(words, state["required_words"]), 2),
        "length_formula": "paper",
        "mode": state["mode"],
        "prompt_style": ctx.prompt_style,
        "sections": [
            {"index": p["index"], "title": p["title"], "budget": p["words"], "words": s["words"]}
            for p, s in zip(state["outline"], state["sections"], strict=True)
        ],
        "revise_rounds": state.get("revise_round", 0),
        "revisions": len(state.get("revisions") or []),
        "captions": len(state.get("captions") or []),
        "cached_calls": cached,
        "usage": ledger(paid),
    }
    return {"document": document, "report": report}
