"""Pure helpers of the outline stage: the schema a model fills, a lenient text parser, budgets."""

import re

from pydantic import BaseModel, Field

from longwriter_v.graphs.state import SectionPlan


class PlannedSection(BaseModel):
    """One section of a plan, as a model must emit it."""

    title: str = Field(description="Section title")
    points: list[str] = Field(description="The points this section must cover")
    images: list[int] = Field(description="Numbers (1-based) of the images this section uses")
    words: int = Field(description="Word budget of this section")


class Outline(BaseModel):
    """A plan of the whole document."""

    title: str = Field(description="Document title")
    sections: list[PlannedSection] = Field(description="Sections in reading order")


def section_count(required_words: int) -> int:
    """Suggest how many sections a document of this length needs (about 800 words each)."""
    return max(1, min(40, round(required_words / 800)))


def rebalance(budgets: list[int], total: int) -> list[int]:
    """Scale budgets to sum exactly to `total`, keeping proportions (largest remainder).

    No section gets less than a quarter of the mean, so a stray tiny budget cannot starve it.
    """
    mean = sum(max(0, b) for b in budgets) / len(budgets) or 1.0
    weights = [max(b, mean / 4) for b in budgets]
    shares = [total * w / sum(weights) for w in weights]
    result = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: shares[i] - result[i], reverse=True)
    for i in order[: total - sum(result)]:
        result[i] += 1
    return result


def to_plans(outline: Outline, required_words: int, n_images: int) -> list[SectionPlan]:
    """Turn a model's outline into section plans with valid images and rebalanced budgets."""
    budgets = rebalance([s.words for s in outline.sections], required_words)
    return [
        SectionPlan(
            index=i + 1,
            title=s.title.strip() or f"Part {i + 1}",
            points=[p.strip() for p in s.points if p.strip()],
            images=sorted({n for n in s.images if 1 <= n <= n_images}),
            words=budget,
        )
        for i, (s, budget) in enumerate(zip(outline.sections, budgets, strict=True))
    ]


def even_outline(title: str, required_words: int, n_images: int) -> Outline:
    """A plain plan used when a model's outline cannot be read: equal parts, images in turn."""
    n = section_count(required_words)
    images: list[list[int]] = [[] for _ in range(n)]
    for k in range(n_images):
        images[k * n // max(1, n_images)].append(k + 1)
    return Outline(
        title=title,
        sections=[
            PlannedSection(
                title=f"Part {i + 1}", points=[], images=images[i], words=required_words // n
            )
            for i in range(n)
        ],
    )


_HEAD = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?(?:section|paragraph|part|第)\s*(\d+)\s*(?:部分|段|节)?(?:\*\*)?"
    r"\s*[:：.\-–—]?\s*(.*)$",
    re.IGNORECASE,
)
_WORDS = re.compile(r"(\d[\d,]*)\s*(?:words?|字)", re.IGNORECASE)
_IMAGES = re.compile(
    r"(?:images?|pictures?|图片?)\s*[:：#]?\s*((?:\d+\s*(?:,|，|、|and|\s)\s*)*\d+)", re.IGNORECASE
)
_TITLE = re.compile(r"^\s*(?:#\s*)?(?:title|标题)\s*[:：]\s*(.+)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.+)$")


def _clean_title(text: str) -> str:
    text = re.sub(r"(?:images?|pictures?)\s*[:：]\s*none", "", text.split("|")[0], flags=re.I)
    text = _WORDS.sub("", _IMAGES.sub("", text))
    text = re.sub(r"(?:main point|word count)\s*[:：]", "", text, flags=re.IGNORECASE)
    return re.sub(r"[|\-–—:：\s]+$", "", re.sub(r"^[|\-–—:：\s]+", "", text)).strip(" *")


def parse_outline_text(text: str, n_images: int) -> Outline | None:
    """Read a plan written as text lines ('Section 2: Title | 400 words | images: 1, 3',
    'Paragraph 2 - Main Point: ... - Word Count: 400 words', bullets for points).

    Returns None when no section with a word budget can be found.
    """
    title, sections = "", []
    for line in text.splitlines():
        if not title and (m := _TITLE.match(line)):
            title = m.group(1).strip()
        elif m := _HEAD.match(line):
            words = _WORDS.search(line)
            imgs = _IMAGES.search(line)
            numbers = [int(n) for n in re.findall(r"\d+", imgs.group(1))] if imgs else []
            budget = int(words.group(1).replace(",", "")) if words else 0
            sections.append(
                {
                    "title": _clean_title(m.group(2)),
                    "points": [],
                    "words": budget,
                    "images": [n for n in numbers if 1 <= n <= n_images],
                }
            )
        elif sections and (m := _BULLET.match(line)):
            sections[-1]["points"].append(m.group(1).strip())
    sections = [s for s in sections if s["words"] > 0]
    if not sections:
        return None
    for s in sections:
        if not s["points"] and s["title"]:
            s["points"] = [s["title"]]
        s["title"] = s["title"][:80] or "Untitled"
    return Outline(title=title, sections=[PlannedSection(**s) for s in sections])


def plan_text(plans: list[SectionPlan]) -> str:
    """Render section plans as the numbered text lines prompts show to writers."""
    lines = []
    for p in plans:
        imgs = ", ".join(map(str, p["images"])) or "none"
        lines.append(f"Section {p['index']}: {p['title']} | {p['words']} words | images: {imgs}")
        lines += [f"- {point}" for point in p["points"]]
    return "\n".join(lines)
