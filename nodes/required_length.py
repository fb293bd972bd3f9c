"""Read the required length of a writing request from its text, in English and Chinese."""

import re

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUM = "[零一二两三四五六七八九十百千万]+"
_NUM = rf"(\d[\d,]*|{_CN_NUM})"

# "3,200-word", "1500 words", "300词", "要求1600字", "八百字": number directly before the unit.
_NUMBER_UNIT = re.compile(_NUM + r"\s*(?:-\s*)?(?:words?\b|字|词)", re.IGNORECASE)
# "100 to 200 words", "300到400字", "100至200字": the upper end of a range.
_RANGE_UNIT = re.compile(
    r"(\d[\d,]*)\s*(?:-|–|~|to|至|到)\s*" + _NUM + r"\s*(?:words?\b|字|词)", re.IGNORECASE
)
# "字数要求：2000左右", "word count: 1200": a count label before a bare number.
_LABEL_NUMBER = re.compile(r"(?:字数|word count)[^\d\n]{0,8}(\d[\d,]*)", re.IGNORECASE)
# "五篇...每篇400字", "分两部分写，各写1000字": several pieces, each of a given length.
_PIECE = "(?:篇|天|章|节|首|部分)"
_PER_PIECE = re.compile(
    rf"({_CN_NUM}|\d+)\s*{_PIECE}[\s\S]{{0,80}}?(?:每{_PIECE}|各写?)[^\d\n]{{0,4}}(\d[\d,]*)\s*字"
)


def chinese_number(text: str) -> int:
    """Convert a Chinese numeral such as 八百, 两千, 一万五千 or 十二 to an int."""
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        else:
            section += (digit or 1) * _CN_UNITS[ch]
            digit = 0
    return total + section + digit


def _to_int(token: str) -> int:
    token = token.replace(",", "")
    return int(token) if token.isdigit() else chinese_number(token)


def parse_required_length(instruction: str) -> int | None:
    """Return the number of words (or CJK characters) the instruction asks for, or None.

    Recognises "3200-word", "1,500 words", "about 2000 words", "100 to 200 words",
    "要求1600字", "写一篇1000字的", "八百字", "300到400字", "字数要求：2000左右" and
    "五篇...每篇400字" or "分两部分写，各写1000字". When several lengths appear, the largest
    is the document's.
    """
    if m := _PER_PIECE.search(instruction):
        return _to_int(m.group(1)) * _to_int(m.group(2))
    found = [_to_int(m.group(2)) for m in _RANGE_UNIT.finditer(instruction)]
    found += [_to_int(m.group(1)) for m in _NUMBER_UNIT.finditer(instruction)]
    if not found:
        found = [_to_int(m.group(1)) for m in _LABEL_NUMBER.finditer(instruction)]
    found = [n for n in found if n > 0]
    return max(found) if found else None
