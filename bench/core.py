"""Figures, their statistics, the printed table and the JSON file."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

#: Status of a figure: measured, its feature is absent, or the measurement failed.
OK, MISSING, ERROR = "ok", "missing", "error"


@dataclass
class Figure:
    """One row of the table.

    ``target`` is an upper bound in ``unit`` (``None``: informational); ``runs`` the
    individual measurements. A figure whose feature does not exist yet has
    status ``missing`` and no values; one whose measurement crashed has ``error``.
    """

    key: str
    label: str
    unit: str  # "s", "ms", "MB", "x"
    target: float | None = None
    runs: list[float] = field(default_factory=list)
    status: str = OK
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None

    @property
    def min(self) -> float | None:
        return min(self.runs) if self.runs else None

    @property
    def max(self) -> float | None:
        return max(self.runs) if self.runs else None

    @property
    def passed(self) -> bool | None:
        if self.target is None or self.median is None:
            return None
        return self.median <= self.target

    def missing(self, what: str) -> Figure:
        self.status, self.note, self.runs = MISSING, f"n/a (missing: {what})", []
        return self

    def failed(self, why: str) -> Figure:
        self.status, self.note, self.runs = ERROR, f"error: {why}"[:300], []
        return self

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(median=self.median, min=self.min, max=self.max, passed=self.passed)
        return out


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:g} {unit}"


def table_rows(figures: list[Figure]) -> list[tuple[str, ...]]:
    rows = []
    for f in figures:
        if f.status != OK:
            short = "n/a (missing)" if f.status == MISSING else "error"
            rows.append((f.label, short, "", target_text(f), "n/a", f.note))
            continue
        spread = f"{fmt(f.min, f.unit)} – {fmt(f.max, f.unit)}" if len(f.runs) > 1 else "1 run"
        verdict = {True: "pass", False: "FAIL", None: "info"}[f.passed]
        rows.append((f.label, fmt(f.median, f.unit), spread, target_text(f), verdict, f.note))
    return rows


def target_text(f: Figure) -> str:
    if f.target is None:
        return ""
    return "≤ " + fmt(f.target, f.unit)


HEADERS = ("figure", "median", "min – max", "target", "result", "note")


def text_table(figures: list[Figure]) -> str:
    rows = [HEADERS, *table_rows(figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(figures: list[Figure]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in table_rows(figures):
        lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
    return "\n".join(lines)


def write_json(path, meta: dict[str, Any], figures: list[Figure]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "figures": [f.as_json() for f in figures]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
