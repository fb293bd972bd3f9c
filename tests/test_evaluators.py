"""The openevals-style evaluators: exact length scores, judge scores, and LangSmith's wrapper."""

import uuid
from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage
from langsmith.evaluation.evaluator import run_evaluator
from langsmith.schemas import Example, Run

from longwriter_v.evals.evaluators import (
    length_evaluator,
    make_length_evaluator,
    make_quality_evaluator,
)
from tests.conftest import draw_slide
from tests.fakes import prose
from tests.test_eval_graph import scores, tool_reply


def test_length_evaluator_reads_the_required_length_from_where_it_is_given():
    doc = {"document": prose(1500)}
    by_reference = length_evaluator(
        inputs={"question": "Write"}, outputs=doc, reference_outputs={"required_words": 3000}
    )
    assert by_reference == {
        "key": "length_score",
        "score": 50.0,
        "comment": "1500 words for 3000 required (paper formula)",
    }
    by_question = make_length_evaluator("released")(
        inputs={"question": "Write a 3000-word essay"}, outputs=prose(1500)
    )
    assert by_question["score"] == pytest.approx(100 * (1 - 1 / 3))
    with pytest.raises(ValueError, match="required_words"):
        length_evaluator(inputs={"question": "Write a poem"}, outputs="x")


async def test_quality_evaluator_sends_the_images_and_scores_the_six_dimensions(tmp_path, scripted):
    spec, model = scripted(lambda call: tool_reply(scores(4)))
    image = str(draw_slide(tmp_path / "s.png", 1))
    evaluate = make_quality_evaluator(spec)
    result = await evaluate(
        inputs={"question": "Write 100 words", "images": [image]}, outputs="Some text."
    )
    assert result["key"] == "quality_score" and result["score"] == 75.0
    assert "Breadth and Depth 4" in result["comment"] and model.calls[0]["images"] == 1

    spec, _ = scripted(lambda call: AIMessage("", additional_kwargs={"refusal": "no"}))
    refused = await make_quality_evaluator(spec)(inputs={"question": "Write"}, outputs="x")
    assert refused["score"] is None and refused["comment"] == "the judge refused"


def test_langsmith_runs_the_evaluator_from_a_run_and_an_example():
    now = datetime.now(UTC)
    run = Run(
        id=uuid.uuid4(),
        name="writer",
        start_time=now,
        run_type="chain",
        trace_id=uuid.uuid4(),
        inputs={"question": "Write a 200-word note"},
        outputs={"document": prose(200)},
    )
    example = Example(
        id=uuid.uuid4(), dataset_id=uuid.uuid4(), inputs=run.inputs, outputs={"required_words": 200}
    )
    result = run_evaluator(length_evaluator).evaluate_run(run, example)
    assert result.key == "length_score" and result.score == 100.0
