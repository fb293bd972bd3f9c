"""Dataset export from real checkpoints of writer runs made with scripted models."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("datasets")

from datasets import load_from_disk  # noqa: E402

from longwriter_v.training.export import Options, export  # noqa: E402
from longwriter_v.training.rows import (  # noqa: E402
    RowError,
    assistant_turn,
    check,
    ranked_pairs,
    segment_pairs,
    user_turn,
)
from longwriter_v.training.traces import Trace, read_states  # noqa: E402


def traces(db) -> list[Trace]:
    return [t for i, s in read_states(db=str(db)) if (t := Trace.of(i, s))]


async def test_sft_rows_match_trl_conversational_vision_format(runs_db, tmp_path):
    summary = export(read_states(db=str(runs_db)), tmp_path / "sft", Options(kind="sft"))
    data = load_from_disk(str(tmp_path / "sft" / "data"))
    assert (summary.runs, summary.unfinished, summary.rows) == (3, 1, 2)
    assert data.column_names == ["messages", "images"]
    assert type(data.features["images"].feature).__name__ == "Image"
    by_images = sorted(data, key=lambda r: -len(r["images"]))
    slides_row, text_row = by_images
    user, answer = slides_row["messages"]
    assert [b["type"] for b in user["content"]] == ["image"] * 4 + ["text"]
    assert user["content"][-1]["text"] == "Write a 400-word talk on these slides"
    documents = {t.document for t in traces(runs_db)}
    assert answer["role"] == "assistant" and answer["content"][0]["text"] in documents
    assert slides_row["images"][0].size == (320, 240)
    assert text_row["images"] == [] and len(text_row["messages"][0]["content"]) == 1


async def test_cumulative_segment_pairs_for_four_sections_two_revised(runs_db):
    trace = next(t for t in traces(runs_db) if len(t.outline) == 4)
    assert sorted({r["index"] for r in trace.revisions}) == [2, 4]
    pairs = list(segment_pairs(trace))
    final = {s["index"]: s["text"] for s in trace.sections}
    before = {r["index"]: r["before"] for r in trace.revisions if r["round"] == 1}
    assert len(pairs) == 3  # prefixes 1..2, 1..3, 1..4; 1..1 holds no revision
    expected = [
        ([final[1], final[2]], [final[1], before[2]]),
        ([final[1], final[2], final[3]], [final[1], before[2], final[3]]),
        ([final[k] for k in (1, 2, 3, 4)], [final[1], before[2], final[3], before[4]]),
    ]
    for pair, (chosen, rejected), n_images in zip(pairs, expected, (2, 3, 4), strict=True):
        assert pair["chosen"][0]["content"][0]["text"] == "\n\n".join(chosen)
        assert pair["rejected"][0]["content"][0]["text"] == "\n\n".join(rejected)
        assert len(pair["images"]) == n_images  # images of sections 1..i (one each here)
        check(pair)


def test_a_mismatched_placeholder_count_is_rejected_clearly(tmp_path):
    row = {"messages": [user_turn("Write", 2), assistant_turn("Text")], "images": [{"bytes": b""}]}
    with pytest.raises(RowError, match=r"2 image placeholder\(s\) but 1 image\(s\): TRL refuses"):
        check(row)
    with pytest.raises(RowError, match="empty assistant turn"):
        check({"messages": [user_turn("Write", 0), assistant_turn("  ")], "images": []})


def _trace(id_, document, length_score, judge=None):
    report = {"length_score": length_score, "usage": {"rows": []}}
    if judge is not None:
        report["judge_score"] = judge
    return Trace(id_, "Write 500 words", [], [], [], [], document, report)


def test_ranked_pairs_take_the_best_against_each_lower_by_the_margin():
    group = [_trace("a", "good", 96, 80), _trace("b", "fair", 93, 40), _trace("c", "bad", 60, 30)]
    by_length = list(ranked_pairs(group, "length", min_margin=5))
    assert [
        (p["chosen"][0]["content"][0]["text"], p["rejected"][0]["content"][0]["text"])
        for p in by_length
    ] == [("good", "bad")]
    by_both = list(ranked_pairs(group, "both", min_margin=5))
    assert len(by_both) == 2  # mean scores 88, 66.5, 45
    assert list(ranked_pairs(group, "judge", min_margin=5, judge={"c": 99})) != []


async def test_dpo_export_in_parquet_and_jsonl_with_a_clean_card(runs_db, tmp_path):
    import datasets

    options = Options(kind="dpo", pairs="both", min_margin=0.0)
    summary = export(read_states(db=str(runs_db)), tmp_path / "pq", options, fmt="parquet")
    parquet = datasets.load_dataset("parquet", data_files=str(tmp_path / "pq" / "data.parquet"))
    assert summary.rows == 3 == parquet["train"].num_rows
    assert parquet["train"].column_names == ["prompt", "chosen", "rejected", "images"]
    export(read_states(db=str(runs_db)), tmp_path / "js", options, fmt="jsonl")
    lines = (tmp_path / "js" / "data.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert all((tmp_path / "js" / path).is_file() for path in first["images"])
    card = (tmp_path / "pq" / "README.md").read_text()
    meta = json.loads(card.split("```json\n")[1].split("```")[0])
    assert meta["kind"] == "dpo" and meta["rows"] == 3 and meta["runs"] == 3
    assert meta["models"] and all(m.startswith("scripted:") for m in meta["models"])
    for folder in ("pq", "js"):
        text = "".join(p.read_text(errors="ignore") for p in (tmp_path / folder).glob("*.*"))
        assert str(tmp_path) not in text and "/tmp" not in text


async def test_prompt_completion_layout_and_token_length_check(runs_db, tmp_path, tiny_qwen):
    layout = Options(kind="sft", layout="prompt-completion")
    export(read_states(db=str(runs_db)), tmp_path / "pc", layout)
    data = load_from_disk(str(tmp_path / "pc" / "data"))
    assert data.column_names == ["prompt", "completion", "images"]
    tight = Options(kind="sft", max_length=2000, processor=str(tiny_qwen))
    dropped = export(read_states(db=str(runs_db)), tmp_path / "short", tight)
    assert (dropped.too_long, dropped.rows) == (1, 1)  # the row with 4 slides' image tokens
    kept = export(read_states(db=str(runs_db)), tmp_path / "long", replace(tight, keep_long=True))
    assert (kept.too_long, kept.rows) == (1, 2)
    with pytest.raises(ValueError, match="no rows to write.*rows over max_length: 2"):
        export(read_states(db=str(runs_db)), tmp_path / "none", replace(tight, max_length=10))


async def test_cli_export_prints_a_summary_and_names_a_missing_db(runs_db, tmp_path, capsys):
    from longwriter_v.cli.main import main

    out = tmp_path / "cli"
    assert main(["export", "dpo", "--db", str(runs_db), "--out", str(out)]) == 0
    printed = capsys.readouterr().err
    assert "rows written" in printed and "unfinished runs passed over" in printed
    assert load_from_disk(str(out / "data")).num_rows == 3
    missing = tmp_path / "none.sqlite"
    assert main(["export", "sft", "--db", str(missing), "--out", str(out)]) == 2
    assert "no checkpoint database at" in capsys.readouterr().err


async def test_a_jsonl_of_final_states_exports_like_the_checkpointer(runs_db, tmp_path):
    states = tmp_path / "states.jsonl"
    with open(states, "w") as lines:
        for thread, state in read_states(db=str(runs_db)):
            lines.write(json.dumps(state | {"thread_id": thread}) + "\n")
    from_db = export(read_states(db=str(runs_db)), tmp_path / "a", Options(kind="dpo"))
    from_file = export(read_states(states=states), tmp_path / "b", Options(kind="dpo"))
    assert from_file.table() == from_db.table()
    a, b = (load_from_disk(str(tmp_path / x / "data")) for x in "ab")
    assert a["chosen"] == b["chosen"]


async def test_a_run_whose_image_file_is_gone_is_rejected_by_name(runs_db, tmp_path):
    states = tmp_path / "states.jsonl"
    with open(states, "w") as lines:
        for thread, state in read_states(db=str(runs_db)):
            for ref in state.get("image_refs") or []:
                ref["file"] = str(tmp_path / "gone" / Path(ref["file"]).name)
            lines.write(json.dumps(state | {"thread_id": thread}) + "\n")
    summary = export(read_states(states=states), tmp_path / "out", Options(kind="sft"))
    assert summary.rows == 1  # the text-only run
    [(reason, count)] = summary.rejected.items()
    assert count == 1 and "image 1 (" in reason and "is no longer at" in reason


async def test_push_to_hub_sends_the_dataset_and_its_card(runs_db, tmp_path, monkeypatch):
    import datasets
    import huggingface_hub

    pushed = []
    monkeypatch.setattr(datasets.Dataset, "push_to_hub", lambda self, repo: pushed.append(
        (repo, self.num_rows)))  # fmt: skip
    monkeypatch.setattr(huggingface_hub.DatasetCard, "push_to_hub", lambda self, repo, repo_type:
                        pushed.append((repo, repo_type, self.content)))  # fmt: skip
    export(read_states(db=str(runs_db)), tmp_path / "o", Options(kind="sft"), push_to_hub="me/lw")
    assert pushed[0] == ("me/lw", 2)
    assert pushed[1][:2] == ("me/lw", "dataset") and '"kind": "sft"' in pushed[1][2]
