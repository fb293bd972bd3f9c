"""The quality judge: six 1..5 scores as structured output, retried when invalid, refusals kept."""

import json
import re
from typing import Literal, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from longwriter_v.models.factory import ModelOptions, create_chat_model
from longwriter_v.models.pricing import ledger
from longwriter_v.nodes.images import ImageRef
from longwriter_v.nodes.llm import image_blocks, usage

JUDGE_TEMPERATURE = 0.5
JUDGE_MAX_TOKENS = 1024
JUDGE_TRIES = 5
JUDGE_VERSION = 1  # bump when the prompt changes: stored judgements are then not reused
DIMENSIONS = (
    "Relevance",
    "Accuracy",
    "Coherence",
    "Clarity",
    "Breadth and Depth",
    "Reading Experience",
)

JUDGE_SYSTEM = """You grade long-form writing, and you grade it hard.

You get a writing request{images_note} and one response to it. Score the response on six \
dimensions, each a whole number from 1 to 5:
- Relevance: 1 = drifts away from the request{image_relevance}; 5 = every part serves the request.
- Accuracy: 1 = wrong facts{image_accuracy}; 5 = nothing stated is false or invented.
- Coherence: 1 = jumps about or contradicts itself; 5 = one logical line from start to end.
- Clarity: 1 = vague, muddled sentences; 5 = precise wording, easy to follow.
- Breadth and Depth: 1 = thin and superficial; 5 = covers the subject widely and with insight.
- Reading Experience: 1 = dull, repetitive or badly laid out; 5 = engaging and well paced.

Length is not your concern: do not reward a response for being long or punish it for being \
short. Keep 5 for work with no weakness you can name on that dimension; most competent work \
earns 3 or 4.

Think first, then score. Answer with a single JSON object and nothing else, shaped as:
{{"Analysis": "<a few sentences>", "Relevance": n, "Accuracy": n, "Coherence": n, \
"Clarity": n, "Breadth and Depth": n, "Reading Experience": n}}"""

JUDGE_USER = "[Writing request]\n{question}\n\n[Response]\n{response}"

_REFUSAL = re.compile(
    r"^\s*(I'?m sorry|I am sorry|I can(?:no|')t|I am unable|I'm unable|Sorry|抱歉|对不起|我无法)",
    re.IGNORECASE,
)


class JudgeScores(BaseModel):
    """A judge's reply: a short analysis and the six scores."""

    model_config = ConfigDict(populate_by_name=True)

    analysis: str = Field(alias="Analysis", description="A few sentences of assessment.")
    relevance: int = Field(alias="Relevance", ge=1, le=5)
    accuracy: int = Field(alias="Accuracy", ge=1, le=5)
    coherence: int = Field(alias="Coherence", ge=1, le=5)
    clarity: int = Field(alias="Clarity", ge=1, le=5)
    breadth_and_depth: int = Field(alias="Breadth and Depth", ge=1, le=5)
    reading_experience: int = Field(alias="Reading Experience", ge=1, le=5)

    def scores(self) -> dict[str, int]:
        return {name: v for name, v in self.model_dump(by_alias=True).items() if name != "Analysis"}


class Verdict(TypedDict):
    status: Literal["ok", "refused", "error"]
    scores: dict[str, int] | None
    analysis: str | None
    reply: str  # the last raw reply, kept for inspection
    attempts: int
    error: str | None
    usage: dict  # the calls' ledger (models/pricing.ledger)


def quality_score(scores: dict[str, int]) -> float:
    """S_q of one sample, 0..100: (sum of the six - 6) * 25 / 6."""
    return (sum(scores[d] for d in DIMENSIONS) - 6) * 25 / 6


def judge_prompt(question: str, response: str, images: list[ImageRef]) -> list[BaseMessage]:
    """The judge's messages; the request's images, when given, come before the text."""
    system = JUDGE_SYSTEM.format(
        images_note=" with the images it refers to" if images else "",
        image_relevance=" or ignores the images" if images else "",
        image_accuracy=" or details the images contradict" if images else "",
    )
    text = JUDGE_USER.format(question=question, response=response)
    content = [*image_blocks(images), {"type": "text", "text": text}] if images else text
    return [SystemMessage(system), HumanMessage(content)]


def parse_reply(text: str) -> JudgeScores:
    """Read scores from a plain-text reply (backends without structured output)."""
    found = re.search(r"\{.*\}", text, re.DOTALL)
    if not found:
        raise ValueError("the reply holds no JSON object")
    return JudgeScores.model_validate(json.loads(found.group(0)))


def _refused(raw: AIMessage) -> bool:
    """An API refusal, or a reply that declines in words and holds no JSON at all."""
    if raw.additional_kwargs.get("refusal"):
        return True
    return "{" not in raw.text and bool(_REFUSAL.match(raw.text))


async def _ask(
    model: BaseChatModel, structured, prompt
) -> tuple[AIMessage, JudgeScores | None, Exception | None]:
    """One judge call: the raw reply, and either the scores or what was wrong with it."""
    if structured is None:
        raw = await model.ainvoke(prompt)
        try:
            return raw, parse_reply(raw.text), None
        except (ValueError, ValidationError) as e:
            return raw, None, e
    out = await structured.ainvoke(prompt)
    if out["parsed"] is None and out["parsing_error"] is None:
        return out["raw"], None, ValueError("the reply holds no scores")
    return out["raw"], out["parsed"], out["parsing_error"]


def _structured(model: BaseChatModel):
    try:
        return model.with_structured_output(JudgeScores, include_raw=True)
    except NotImplementedError:  # in-process models: ask for JSON in text and parse it
        return None


async def judge(
    spec: str, question: str, response: str, images: list[ImageRef], tries: int = JUDGE_TRIES
) -> Verdict:
    """Score one response; invalid replies are retried up to `tries` times, a refusal ends it."""
    model = create_chat_model(
        spec, ModelOptions(temperature=JUDGE_TEMPERATURE, max_tokens=JUDGE_MAX_TOKENS)
    )
    structured = _structured(model)
    prompt = judge_prompt(question, response, images)
    calls: list[dict] = []
    error: Exception | None = None
    raw = AIMessage("")
    for attempt in range(1, tries + 1):
        raw, parsed, error = await _ask(model, structured, prompt)
        calls.append(usage(raw, "judge", spec))
        base = {"reply": raw.text, "attempts": attempt, "usage": ledger(calls)}
        if parsed is None and _refused(raw):
            return Verdict(status="refused", scores=None, analysis=None, error=None, **base)
        if parsed is not None:
            return Verdict(
                status="ok", scores=parsed.scores(), analysis=parsed.analysis, error=None, **base
            )
    return Verdict(
        status="error",
        scores=None,
        analysis=None,
        error=f"no valid scores in {tries} replies; last problem: {error}",
        **base,
    )
