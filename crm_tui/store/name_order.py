"""The order customers are listed in by name: Chinese names by pinyin, among Latin ones.

SQLite compares text by code point, which puts Chinese names in no order a reader
knows (上海… before 北京… before 阿里…). Each customer keeps a sort key
(``customer.name_sort``, a BLOB SQLite compares byte by byte, indexed):

- the name lower-cased (Latin names sort without regard to case, as NOCASE did);
- each of the 3,755 common characters (GB2312 level 1, which that standard orders by
  pinyin) preceded by its pinyin initial, so 阿里 files under "a" beside Acme and
  before Bosch, and 陈 before 李 before 王 before 张;
- encoded as GB18030, whose bytes keep GB2312's pinyin order.

Rarer characters (GB2312 level 2, ordered by radical) follow every initial. A
character read more than one way files under GB2312's reading (重庆 under "z").
The key is a ``str.translate`` and an ``encode``, both in C: cheap enough for the
100,000-row import.
"""

from __future__ import annotations

from functools import cache

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


@cache
def _with_initials() -> dict[int, str]:
    """Each level-1 character → its initial and itself (a str.translate table)."""
    table: dict[int, str] = {}
    bounds = [*(start for _letter, start in _INITIALS[1:]), _LEVEL_1_END]
    for (letter, start), end in zip(_INITIALS, bounds, strict=True):
        for code in range(start, end):
            if 0xA1 <= code & 0xFF <= 0xFE:  # (each row's cells run 0xA1–0xFE)
                char = bytes((code >> 8, code & 0xFF)).decode("gb2312")
                table[ord(char)] = letter + char
    return table


def name_sort_key(name: str) -> bytes:
    """The bytes customers are ordered by (see the module's docstring)."""
    return name.lower().translate(_with_initials()).encode("gb18030", "replace")
