import json

import pytest

from longwriter_v.nodes.errors import InputError
from longwriter_v.nodes.ingest import required_length
from longwriter_v.nodes.required_length import chinese_number, parse_required_length
from tests.conftest import SHARED

# Prompts of the shared benchmarks that state no length in words or characters.
NO_STATED_LENGTH = {
    "Write a list of 15 emojis relating to various emotions",
    "什么是燕窝",
    "出10道关于新民主主义革命的单选题",
    "Write a 50-page novel",
}


def shared_prompts():
    for name in ("longbench_write.jsonl", "longwrite_ruler.jsonl"):
        for line in (SHARED / "data" / "longbench-write" / name).read_text().splitlines():
            yield json.loads(line)


def test_parser_on_all_168_shared_prompts():
    rows = list(shared_prompts())
    assert len(rows) == 168
    unstated = []
    for row in rows:
        parsed = parse_required_length(row["prompt"])
        if parsed is None:
            unstated.append(row["prompt"])
        else:
            assert parsed == row["length"], row["prompt"][:80]
    assert {p for p in unstated if any(p.startswith(s) for s in NO_STATED_LENGTH)} == set(unstated)
    assert len(unstated) == len(NO_STATED_LENGTH)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Write a 3200-word report", 3200),
        ("about 1,500 words", 1500),
        ("approximately 2000 words on bees", 2000),
        ("要求1600字", 1600),
        ("写一篇1000字的游记", 1000),
        ("扩写到八百字", 800),
        ("字数要求100至200字", 200),
        ("字数要求：2000左右", 2000),
        ("创作五篇日记。每篇400字左右", 2000),
        ("Write a poem", None),
    ],
)
def test_parser_forms(text, expected):
    assert parse_required_length(text) == expected


def test_chinese_numerals():
    assert [chinese_number(t) for t in ("八百", "两千", "一万五千", "十二", "三千")] == [
        800,
        2000,
        15000,
        12,
        3000,
    ]


def test_required_length_precedence():
    assert required_length(500, "Write 3000 words", 2000) == (500, "explicit")
    assert required_length(None, "Write 3000 words", 2000) == (3000, "instruction")
    assert required_length(None, "Write a poem", 2000) == (2000, "default")
    with pytest.raises(InputError, match="target_words"):
        required_length(0, "x", 2000)
