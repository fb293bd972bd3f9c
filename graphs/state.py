"""The writer graph's state: typed, serialisable, image references instead of pixels."""

import operator
from typing import Annotated, Literal, NotRequired, TypedDict

from longwriter_v.nodes.images import ImageRef


def merge_by_index(left: list[dict], right: list[dict]) -> list[dict]:
    """Merge item lists keyed by their `index`; the newer item wins, order by index."""
    merged = {item["index"]: item for item in left or []}
    merged.update({item["index"]: item for item in right or []})
    return [merged[i] for i in sorted(merged)]


class Caption(TypedDict):
    index: int
    text: str


class SectionPlan(TypedDict):
    index: int
    title: str
    points: list[str]
    images: list[int]
    words: int


class Section(TypedDict):
    index: int
    text: str
    words: int


class Revision(TypedDict):
    """One section before and after a revision round: the raw material of segment DPO pairs."""

    index: int
    round: int
    action: Literal["expand", "condense"]
    budget: int
    asked: NotRequired[int]  # words the reviser was asked for (the budget, corrected for bias)
    before: str
    after: str
    words_before: int
    words_after: int


class Usage(TypedDict):
    node: str
    model: str
    input_tokens: int
    output_tokens: int
    run: NotRequired[str]  # on cached nodes' records: the run that paid; a replay elsewhere is free


class WriterInput(TypedDict):
    """What a caller gives the writer."""

    instruction: str
    images: NotRequired[list[str]]
    target_words: NotRequired[int | None]


class WriterOutput(TypedDict):
    """What the writer returns: the document and its report."""

    document: str
    report: dict


class WriterState(WriterInput, total=False):
    run_token: str
    language: Literal["en", "zh"]
    image_refs: list[ImageRef]
    required_words: int
    length_source: Literal["explicit", "instruction", "default"]
    mode: Literal["sequential", "parallel"]
    captions: Annotated[list[Caption], merge_by_index]
    title: str
    outline: list[SectionPlan]
    outline_feedback: str
    sections: Annotated[list[Section], merge_by_index]
    pending: list[int]
    revise_round: int
    delivery_ratio: float  # words delivered per word asked, see nodes/length.py
    revisions: Annotated[list[Revision], operator.add]
    usage: Annotated[list[Usage], operator.add]
    document: str
    report: dict
