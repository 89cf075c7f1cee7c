"""Rendering a :class:`~crm_tui.reports.Report` as CSV (CLI.md rules), JSON, or an aligned text table.

CSV: UTF-8 with a BOM, comma separated, one header row with exactly the report's CSV
columns; money as plain decimals (``1234.50``), shares as four-place decimals, dates
``YYYY-MM-DD``, enumerated values as English keys, empty cells for missing values.

JSON: one object ``{"report": NAME, <params>, "rows": [...], <extras>, <tables>}``;
rows carry the CSV fields plus the JSON-only columns; money and shares are numbers
(``1234.5``), dates strings, missing values ``null``.

Table: for people; money with thousands separators, shares as percentages, labels in
the UI language, East Asian wide characters counted as two columns so Chinese aligns.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from crm_tui.csvio import write_csv as write_csv_rows
from crm_tui.i18n import _, label
from crm_tui.reports import Column, Report
from crm_tui.store.validation import display_amount, format_amount
from crm_tui.textwidth import cell_width

FORMATS = ("table", "csv", "json")
_NUMERIC = ("int", "money", "ratio", "days")


def _kind(row: dict[str, Any], col: Column) -> str:
    kinds = row.get("_kinds")
    return kinds.get(col.key, col.kind) if kinds else col.kind


def csv_value(kind: str, value: Any) -> str:
    """One cell as CSV text."""
    if value is None:
        return ""
    if kind == "money":
        return format_amount(int(value))
    if kind == "ratio":
        return f"{Decimal(value):.4f}"
    if kind == "date":
        return value.isoformat()
    return str(value)


def json_value(kind: str, value: Any) -> Any:
    """One value as a JSON-ready Python value (money in currency units, not cents)."""
    if value is None:
        return None
    if kind == "money":
        return float(Decimal(int(value)) / 100)
    if kind in ("ratio", "days"):
        return float(value)
    if kind == "date":
        return value.isoformat()
    if kind == "flag":
        return bool(value)
    return value


def table_value(kind: str, value: Any, vocabulary: Any = None) -> str:
    """One value as people read it in the UI language (display amounts, percentages, labels)."""
    if value is None or value == "":
        return ""
    if kind == "flag":
        return "!" if value else ""
    if kind == "money":
        return display_amount(int(value))
    if kind == "ratio":
        return f"{Decimal(value) * 100:.2f}%"
    if kind == "date":
        return value.isoformat()
    if kind == "enum" and vocabulary is not None:
        return label(vocabulary, value)
    return str(value)


# --- CSV ---------------------------------------------------------------------


_CSV_FORMAT = {
    "money": format_amount,
    # ratios are Decimals with exactly four places (reports.ratio), so str() is the format
    "ratio": str,
    "date": dt.date.isoformat,
}


def csv_rows(report: Report) -> list[list[Any]]:
    """Header and rows as handed to ``csv.writer`` (which writes None as empty, ints as digits)."""
    header, rows = _csv_parts(report)
    return [header, *map(list, rows)]


def format_csv_rows(report: Report) -> Iterator[list[Any]]:
    """The data rows formatted from ``report.rows`` (what ``report.csv_cells`` must equal)."""
    cols = report.csv_columns
    keys = [c.key for c in cols]
    special = [(i, _CSV_FORMAT[c.kind]) for i, c in enumerate(cols) if c.kind in _CSV_FORMAT]
    pick = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    for row in report.rows:
        if "_kinds" in row:
            yield [csv_value(_kind(row, c), row.get(c.key)) for c in cols]
            continue
        values = list(pick(row))
        for i, fmt in special:
            if values[i] is not None:
                values[i] = fmt(values[i])
        yield values


def _csv_parts(report: Report) -> tuple[list[str], Iterable[Sequence[Any]]]:
    header = [c.key for c in report.csv_columns]
    if report.csv_cells is not None:
        return header, report.csv_cells()
    return header, format_csv_rows(report)


def render_csv(report: Report) -> str:
    """The whole CSV text, starting with the BOM."""
    buf = io.StringIO()
    header, rows = _csv_parts(report)
    write_csv_rows(rows, header, buf)
    return buf.getvalue()


def write_csv(report: Report, path: Path | str) -> Path:
    """Write the report's CSV to ``path`` (UTF-8 with BOM, mode 0600, atomically); returns it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header, rows = _csv_parts(report)
    write_csv_rows(rows, header, path)
    return path


# --- JSON --------------------------------------------------------------------


def _json_rows(report: Report) -> list[dict[str, Any]]:
    return [
        {c.key: json_value(_kind(row, c), row.get(c.key)) for c in report.columns}
        for row in report.rows
    ]


def json_data(report: Report) -> dict[str, Any]:
    """The JSON object as Python data."""
    data: dict[str, Any] = {"report": report.name, **report.params, "rows": _json_rows(report)}
    for key, (kind, value) in report.extras.items():
        data[key] = json_value(kind, value)
    for key, table in report.tables.items():
        data[key] = _json_rows(table)
    return data


def render_json(report: Report) -> str:
    return json.dumps(json_data(report), ensure_ascii=False, indent=2) + "\n"


# --- text table --------------------------------------------------------------


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - cell_width(text))
    return fill + text if right else text + fill


def table_lines(columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> list[str]:
    """An aligned table: header, rule, rows (numbers right-aligned)."""
    cells = [
        [table_value(_kind(row, c), row.get(c.key), c.vocabulary) for c in columns] for row in rows
    ]
    header = [c.key for c in columns]
    widths = [cell_width(h) for h in header]
    for line in cells:
        for i, text in enumerate(line):
            w = cell_width(text)
            if w > widths[i]:
                widths[i] = w
    right = [c.kind in _NUMERIC for c in columns]
    out = ["  ".join(_pad(h, widths[i], right[i]) for i, h in enumerate(header)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for line in cells:
        out.append("  ".join(_pad(t, widths[i], right[i]) for i, t in enumerate(line)).rstrip())
    return out


_TABLE_TITLES = {
    "segments": "Segments",
    "quarters": "Quarters",
    "overdue": "Overdue deals (expected close date has passed)",
}


def render_table(report: Report) -> str:
    """Main table, then ``key: value`` extras, then each secondary table under its title."""
    lines = table_lines(report.columns, report.rows)
    if report.extras:
        lines.append("")
        for key, (kind, value) in report.extras.items():
            lines.append(f"{key}: {table_value(kind, value)}")
    for key, table in report.tables.items():
        lines.append("")
        lines.append(_(_TABLE_TITLES.get(key, key)))
        if table.rows:
            lines.extend(table_lines(table.columns, table.rows))
        else:
            lines.append(_("(none)"))
    return "\n".join(lines) + "\n"


def render(report: Report, fmt: str) -> str:
    """The report in ``fmt`` (``table``, ``csv`` or ``json``)."""
    if fmt == "csv":
        return render_csv(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "table":
        return render_table(report)
    raise ValueError(f"unknown format {fmt!r}")


def write(report: Report, fmt: str, stream: IO[str]) -> None:
    """Write the rendered report to a text stream (CSV: UTF-8 into its buffer when it has one)."""
    buffer = getattr(stream, "buffer", None)
    if fmt == "csv" and buffer is not None:
        stream.flush()
        out = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
        try:
            header, rows = _csv_parts(report)
            write_csv_rows(rows, header, out)
            out.flush()
        finally:
            out.detach()
        buffer.flush()
    else:
        stream.write(render(report, fmt))
