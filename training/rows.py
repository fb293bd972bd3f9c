"""Dataset rows in the layouts TRL trains on, built from finished writer traces, and their checks.

SFT (conversational vision): `messages` = a user turn with one `{"type": "image"}` block per
image then the instruction, and an assistant turn with the document; `images` alongside. On
request, `prompt`/`completion` instead of `messages` (loss on the completion only).
DPO (explicit prompt): `prompt`, `chosen`, `rejected`, `images`.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from longwriter_v.training.traces import Trace

JOIN = "\n\n"  # between sections in cumulative segment pairs


class RowError(ValueError):
    """A row TRL would refuse or learn nothing from; the message says which and why."""


def user_turn(instruction: str, n_images: int) -> dict:
    blocks = [{"type": "image"} for _ in range(n_images)]
    return {"role": "user", "content": [*blocks, {"type": "text", "text": instruction}]}


def assistant_turn(text: str) -> dict:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


def image_cells(refs: list[dict]) -> list[dict]:
    """Images as `datasets` Image cells: the bytes, named by content hash (no machine paths)."""
    return [{"bytes": _read(r), "path": r["sha256"] + Path(r["file"]).suffix} for r in refs]


def _read(ref: dict) -> bytes:
    try:
        return Path(ref["file"]).read_bytes()
    except OSError as e:
        raise RowError(
            f"image {ref['index']} ({ref['source']}) is no longer at {ref['file']}; export on the "
            "machine that made the run, or keep its LONGWRITER_V_CACHE_DIR"
        ) from e


def sft_row(trace: Trace, layout: str = "messages") -> dict:
    user = user_turn(trace.instruction, len(trace.images))
    answer = assistant_turn(trace.document)
    images = image_cells(trace.images)
    if layout == "messages":
        return {"messages": [user, answer], "images": images}
    return {"prompt": [user], "completion": [answer], "images": images}


def preference(instruction: str, images: list[dict], chosen: str, rejected: str) -> dict:
    return {
        "prompt": [user_turn(instruction, len(images))],
        "chosen": [assistant_turn(chosen)],
        "rejected": [assistant_turn(rejected)],
        "images": images,
    }


def segment_pairs(trace: Trace) -> Iterator[dict]:
    """The paper's cumulative pairs: for each prefix 1..i of sections that holds a revision,
    prompt = instruction + those sections' images, chosen = revised text, rejected = original."""
    original: dict[int, str] = {}
    for revision in sorted(trace.revisions, key=lambda r: r["round"]):
        original.setdefault(revision["index"], revision["before"])
    final = {s["index"]: s["text"] for s in trace.sections}
    order = [plan["index"] for plan in trace.outline]
    cells = dict(zip((r["index"] for r in trace.images), image_cells(trace.images), strict=True))
    for i in range(1, len(order) + 1):
        prefix = order[:i]
        if not original.keys() & set(prefix):
            continue
        used = sorted({n for plan in trace.outline[:i] for n in plan["images"]})
        yield preference(
            trace.instruction,
            [cells[n] for n in used],
            JOIN.join(final[k] for k in prefix),
            JOIN.join(original.get(k, final[k]) for k in prefix),
        )


def score(trace: Trace, by: str, judge: dict[str, float] | None = None) -> float | None:
    """A 0..100 score: the length score S_l, a judge's S_q, or their mean ('both')."""
    quality = (judge or {}).get(trace.id, trace.report.get("judge_score"))
    length = trace.report["length_score"]
    if by == "length":
        return length
    if by == "judge":
        return quality
    return None if quality is None else (length + quality) / 2


def ranked_pairs(
    traces: Iterable[Trace], by: str, min_margin: float, judge: dict[str, float] | None = None
) -> Iterator[dict]:
    """For documents written for the same instruction and images: the best-scored one against
    each other one that scores at least `min_margin` lower."""
    groups: dict[tuple, list[tuple[float, Trace]]] = defaultdict(list)
    for trace in traces:
        if (value := score(trace, by, judge)) is not None:
            key = (trace.instruction, tuple(r["sha256"] for r in trace.images))
            groups[key].append((value, trace))
    for group in groups.values():
        group.sort(key=lambda pair: -pair[0])
        best_score, best = group[0]
        images = None  # read once per group, when a pair needs them
        for value, other in group[1:]:
            if best_score - value >= min_margin and other.document != best.document:
                images = images if images is not None else image_cells(best.images)
                yield preference(best.instruction, images, best.document, other.document)


def check(row: dict) -> None:
    """Raise RowError unless TRL can train on the row as it is."""
    turns = [turn for key in ("messages", "prompt", "completion") for turn in row.get(key, [])]
    placeholders = sum(b["type"] == "image" for t in turns for b in t["content"])
    if placeholders != len(row["images"]):
        raise RowError(
            f"{placeholders} image placeholder(s) but {len(row['images'])} image(s): TRL refuses "
            "such a row; every image needs exactly one {'type': 'image'} block"
        )
    for key in ("messages", "prompt", "completion", "chosen", "rejected"):
        for turn in row.get(key, []):
            texts = [b["text"] for b in turn["content"] if b["type"] == "text"]
            if not any(t and t.strip() for t in texts):
                raise RowError(f"an empty {turn['role']} turn in '{key}'")
    if "chosen" in row and row["chosen"] == row["rejected"]:
        raise RowError("chosen and rejected are the same text")
