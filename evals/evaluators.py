"""The benchmark scores as evaluator functions with the openevals keyword signature, for
LangSmith `evaluate` / `aevaluate` and for pytest.

`inputs` holds the request (`question` or `instruction`, optional `images` as file paths,
optional `required_words`); `outputs` is the response text or a dict with `document`;
`reference_outputs` may carry `required_words`.
"""

import asyncio
from pathlib import Path

from longwriter_v.evals.judge import DIMENSIONS, judge, quality_score
from longwriter_v.evals.metrics import LengthFormula, count_words, length_score
from longwriter_v.nodes.images import MAX_IMAGE_PIXELS, ImagePolicy, load_image
from longwriter_v.nodes.required_length import parse_required_length

DEFAULT_JUDGE = "openai:gpt-4o-2024-08-06"


def _request(inputs: dict | None) -> str:
    inputs = inputs or {}
    return inputs.get("question") or inputs.get("instruction") or ""


def _response(outputs) -> str:
    return outputs.get("document", "") if isinstance(outputs, dict) else str(outputs)


def _required(inputs: dict | None, reference_outputs: dict | None) -> int:
    for source in (reference_outputs or {}, inputs or {}):
        if source.get("required_words"):
            return int(source["required_words"])
    if parsed := parse_required_length(_request(inputs)):
        return parsed
    raise ValueError(
        "no required length: give required_words in inputs or reference_outputs, "
        "or state the length in the question"
    )


def make_length_evaluator(formula: LengthFormula = "paper"):
    """S_l (0..100) of a response against the required length, by the named formula."""

    def length_evaluator(*, inputs=None, outputs, reference_outputs=None, **kwargs) -> dict:
        required = _required(inputs, reference_outputs)
        words = count_words(_response(outputs))
        return {
            "key": "length_score",
            "score": length_score(words, required, formula),
            "comment": f"{words} words for {required} required ({formula} formula)",
        }

    return length_evaluator


length_evaluator = make_length_evaluator()


def make_quality_evaluator(judge_spec: str = DEFAULT_JUDGE, with_images: bool = True):
    """S_q (0..100) from the judge's six scores; a refusal gives score None and says so."""

    async def quality_evaluator(*, inputs=None, outputs, reference_outputs=None, **kwargs) -> dict:
        files = ((inputs or {}).get("images") or []) if with_images else []
        policy = ImagePolicy.for_files([str(Path(f)) for f in files])
        refs = await asyncio.to_thread(
            lambda: [load_image(i + 1, f, policy, MAX_IMAGE_PIXELS) for i, f in enumerate(files)]
        )
        verdict = await judge(judge_spec, _request(inputs), _response(outputs), refs)
        if verdict["status"] == "ok":
            detail = ", ".join(f"{d} {verdict['scores'][d]}" for d in DIMENSIONS)
            return {
                "key": "quality_score",
                "score": quality_score(verdict["scores"]),
                "comment": f"{detail}. {verdict['analysis']}",
            }
        reason = "the judge refused" if verdict["status"] == "refused" else verdict["error"]
        return {"key": "quality_score", "score": None, "comment": reason}

    return quality_evaluator
