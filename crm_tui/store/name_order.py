"""The order customers are listed in by name: Chinese names by pinyin, among Latin ones.

SQLite compares text by code point, which puts Chinese names in no order a reader
knows (上海… before 北京… before 阿里…). Each customer keeps a sort key
(``customer.name_sort``, a BLOB SQLite compares byte by byte, indexed): the name,
lower-cased (Latin names sort without regard to case, as NOCASE did) and encoded as
GB18030, whose bytes keep GB2312's order of its 3,755 common characters (level 1),
which is by pinyin (陈 before 李 before 王 before 张); a name starting with one of them
is preceded by its pinyin initial, so 阿里 files under "a" after Acme and before Bosch.

Rarer characters (GB2312 level 2, ordered by radical) follow every initial. A
character read more than one way files under GB2312's reading, but for a first
character that is another reading in company names (重庆 files as chóng, under "c"). The key
is one dictionary lookup and an ``encode`` (in C): ~0.1 s in the 100,000-row import's
checking process (filing every character under its initial cost three times that, for
an order that differs only where a Latin letter meets a character past the first).
"""

from __future__ import annotations

#: The first GB2312 code of each pinyin initial (i, u and v start no syllable).
_INITIALS = (
    ("a", 0xB0A1), ("b", 0xB0C5), ("c", 0xB2C1), ("d", 0xB4EE), ("e", 0xB6EA),
    ("f", 0xB7A2), ("g", 0xB8C1), ("h", 0xB9FE), ("j", 0xBBF7), ("k", 0xBFA6),
    ("l", 0xC0AC), ("m", 0xC2E8), ("n", 0xC4C3), ("o", 0xC5B6), ("p", 0xC5BE),
    ("q", 0xC6DA), ("r", 0xC8BB), ("s", 0xC8F6), ("t", 0xCBFA), ("w", 0xCDDA),
    ("x", 0xCEF4), ("y", 0xD1B9), ("z", 0xD4D1),
)  # fmt: skip
#: Past the last level-1 character (0xD7F9).
_LEVEL_1_END = 0xD7FA


#: Each level-1 character → its pinyin initial (filled on first use: _fill).
_initials: dict[str, str] = {}


def _fill() -> dict[str, str]:
    bounds = [*(start for _letter, start in _INITIALS[1:]), _LEVEL_1_END]
    for (letter, start), end in zip(_INITIALS, bounds, strict=True):
        for code in range(start, end):
            if 0xA1 <= code & 0xFF <= 0xFE:  # (each row's cells run 0xA1–0xFE)
                _initials[bytes((code >> 8, code & 0xFF)).decode("gb2312")] = letter
    return _initials


#: First characters that GB2312 files under a reading company names rarely have, and a
#: character of the reading they do have: 重庆 (Chongqing) is not zhòng but chóng (崇).
_FIRST_READINGS = {"重": "崇"}


def name_sort_key(name: str) -> bytes:
    """The bytes customers are ordered by (see the module's docstring)."""
    low = name.lower()
    first = low[:1]
    if first in _FIRST_READINGS:
        first = _FIRST_READINGS[first]
        low = first + low[1:]
    return ((_initials or _fill()).get(first, "") + low).encode("gb18030", "replace")
