"""Rendering a :class:`~crm_tui.reports.Report` as CSV (CLI.md rules), JSON, or an aligned text table.

CSV: UTF-8 with a BOM, comma separated, one header row with exactly the report's CSV
columns; money as plain decimals (``1234.50``), shares as four-place decimals, dates
``YYYY-MM-DD``, enumerated values as English keys, empty cells for missing values.

JSON: one object ``{"report": NAME, <params>, "rows": [...], <extras>, <tables>}``;
rows carry the CSV fields plus the JSON-only columns; money and shares are numbers
(``1234.5``), dates strings, missing values ``null``.

Table: for people; column titles, extras and enumerated values in the UI language (the
same titles as the reports screen), money with thousands separators, shares as
percentages, East Asian wide characters counted as two columns so Chinese aligns.
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
from crm_tui.store import enums
from crm_tui.store.validation import display_amount, format_amount
from crm_tui.textwidth import aligned_lines, cell_width

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
        return "≠" if value else ""  # the only flag: ABC class ≠ customer level
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


# --- titles for people (text table and reports screen) -------------------------


def column_titles() -> dict[str, str]:
    """Column titles in the UI language, by column key; CSV and JSON keep the CLI.md keys."""
    names = {
        "stage": _("Stage"),
        "reached": _("Reached"),
        "amount": _("Amount"),
        "conversion": _("To next stage"),
        "code": _("Code"),
        "customer": _("Customer"),
        "last_order": _("Last order"),
        "recency_days": _("Days since"),
        "frequency": _("Orders"),
        "monetary": _("Order amount"),
        "r": "R",
        "f": "F",
        "m": "M",
        "score": _("Score"),
        "segment": _("Segment"),
        "customers": _("Customers"),
        "total_amount": _("Total amount"),
        "share": _("Share"),
        "cumulative_share": _("Cumulative"),
        "abc": _("ABC"),
        "level": _("Level"),
        "mismatch": "≠",
        "month": _("Month"),
        "quarter": _("Quarter"),
        "count": _("Deals"),
        "weighted_amount": _("Weighted"),
        "won_amount": _("Won"),
        "target": _("Target"),
        "gap": _("Gap"),
        "attainment": _("Attainment"),
        "expected_close": _("Expected close"),
        "opportunity": _("Opportunity"),
        "probability": _("Probability %"),
        "week": _("Week"),
        "interactions": _("Interactions"),
        "tasks_due": _("Tasks due"),
        "tasks_done": _("Tasks done"),
        "tasks_overdue": _("Not done"),  # of the week's due tasks (the weekly report: all)
        "completion_rate": _("Completion"),
        "new_customers": _("New customers"),
        "new_deals": _("New deals"),
        "dimension": _("Dimension"),
        "value": _("Value"),
        "section": _("Section"),
        "date": _("Date"),
        "item": _("Item"),
        "detail": _("Detail"),
    }
    for key in enums.CHANNEL.keys:
        names[key] = label(enums.CHANNEL, key)
    return names


def weekly_labels() -> dict[str, str]:
    """The weekly report's section names and summary metrics in the UI language."""
    return {
        "summary": _("Summary"),
        "interactions": _("Interactions"),
        "tasks_done": _("Tasks done"),
        "tasks_overdue": _("All overdue tasks"),  # at the week's end, whenever due
        "stage_changes": _("Stage changes"),
        "won": _("Won"),
        "lost": _("Lost"),
        "next_week": _("Next week"),
        "new_customers": _("New customers"),
        "opportunities_created": _("Deals created"),
        "opportunities_won": _("Deals won"),
        "won_amount": _("Won amount"),
        "opportunities_lost": _("Deals lost"),
        "pipeline_weighted": _("Weighted pipeline"),
        "dimension_industry": _("Industry"),
        "dimension_region": _("Region"),
        "dimension_level": _("Level"),
        "dimension_status": _("Status"),
        "dimension_source": _("Source"),
    }


#: The distribution report's dimensions whose values are enumerated keys.
DIMENSION_VOCABULARIES = {
    "industry": enums.INDUSTRY,
    "level": enums.LEVEL,
    "status": enums.STATUS,
    "source": enums.SOURCE,
}
#: Columns whose cells read by their row (row_label).
_ROW_LABELLED = ("value", "section", "item", "dimension", "detail")


def weekly_detail(row: dict[str, Any]) -> str | None:
    """A weekly record's detail in the UI language: channel, task type, stage change;
    free text (a task's result, a product, a lost reason) as it is. None: not a key."""
    section, value = row.get("section"), row.get("detail") or ""
    if not value:
        return None
    if section == "interactions":
        return label(enums.CHANNEL, value)
    if section in ("tasks_overdue", "next_week"):
        return label(enums.TASK_TYPE, value)
    if section == "stage_changes" and "->" in value:
        before, after = value.split("->", 1)
        return f"{label(enums.STAGE, before)} → {label(enums.STAGE, after)}"
    return None


def row_label(col: Column, row: dict[str, Any], names: dict[str, str]) -> str | None:
    """A cell whose words depend on its row, as people read it: a distribution value by
    its dimension, a weekly section, metric or detail (``names``: weekly_labels()).
    None: the column's own format applies. The CLI's tables and the screen share it."""
    key = col.key
    if key not in _ROW_LABELLED:
        return None
    value = row.get(key)
    if key == "value" and "dimension" in row:
        if value == "":
            return "—"
        vocabulary = DIMENSION_VOCABULARIES.get(row["dimension"])
        return label(vocabulary, value) if vocabulary else None
    if key == "section" or (key == "item" and row.get("section") == "summary"):
        return names.get(str(value))
    if key == "dimension":
        return names.get(f"dimension_{value}")
    if key == "detail" and "section" in row:
        return weekly_detail(row)
    return None


def extra_titles() -> dict[str, str]:
    """Names of the report-level figures (``Report.extras``) in the UI language."""
    return {
        **weekly_labels(),
        "win_rate": _("Win rate"),
        "avg_cycle_days": _("Average sales cycle (days)"),
        "a": _("A customers"),
        "b": _("B customers"),
        "c": _("C customers"),
        "total_amount": _("Total amount"),
        "overdue_count": _("Overdue deals (expected before this month)"),
        "overdue_amount": _("Overdue amount (expected before this month)"),
        "undated_count": _("Deals without a close date"),
        "undated_amount": _("Amount without a close date"),
    }


# --- text table --------------------------------------------------------------


def _column_texts(col: Column, rows: list[dict[str, Any]], own_kinds: bool) -> list[str]:
    """One column's cells as :func:`table_value` makes them.

    Formatted a column at a time (one kind, one vocabulary), each distinct value once
    where columns repeat values (labels, dates): an RFM table of 100,000 customers has
    a million cells, and `crm report rfm` is read in a terminal. ``own_kinds``: some
    row has a kind of its own for a column (weekly's counts), so each cell is asked.
    """
    key, kind, vocabulary = col.key, col.kind, col.vocabulary
    try:
        values = list(map(itemgetter(key), rows))
    except KeyError:  # a row without this column: an empty cell
        values = [row.get(key) for row in rows]
    if own_kinds:
        return [
            table_value(_kind(row, col), value, vocabulary)
            for row, value in zip(rows, values, strict=True)
        ]
    if kind not in _TABLE_FORMAT:  # ints, text: str() as table_value does
        return ["" if v is None or v == "" else str(v) for v in values]
    if kind == "money" and any(int(v) % 100 for v in values if v is not None and v != ""):
        # one amount with cents: all with two decimals, so that the digits line up
        return ["" if v is None or v == "" else display_amount(int(v), fixed=True) for v in values]
    texts: dict[Any, str] = {}
    for v in values:
        if v not in texts:
            texts[v] = table_value(kind, v, vocabulary)
    return list(map(texts.__getitem__, values))


#: Kinds whose text is more than ``str()``: formatted once per distinct value.
_TABLE_FORMAT = ("flag", "money", "ratio", "date", "enum")


def _widths(texts: list[str]) -> list[int]:
    if "".join(texts).isascii():  # codes, numbers, dates: one column a character
        return list(map(len, texts))
    return list(map(cell_width, texts))


def table_lines(
    columns: tuple[Column, ...],
    rows: list[dict[str, Any]],
    titles: dict[str, str] | None = None,
) -> list[str]:
    """An aligned table: header (``titles`` of the keys, else the keys), rule, rows
    (numbers right-aligned)."""
    own_kinds = any("_kinds" in row for row in rows)
    titles = titles or {}
    cells: list[list[str]] = []
    widths: list[list[int]] = []
    by_row = bool(rows) and ("dimension" in rows[0] or "section" in rows[0])
    names = weekly_labels() if by_row else {}
    for col in columns:
        texts = _column_texts(col, rows, own_kinds)
        if by_row and col.key in _ROW_LABELLED:  # distribution, weekly: words by the row
            labelled = (row_label(col, row, names) for row in rows)
            texts = [
                text if own is None else own for own, text in zip(labelled, texts, strict=True)
            ]
        title = titles.get(col.key, col.key)
        cells.append([title, *texts])
        widths.append([cell_width(title), *_widths(texts)])
    lines = aligned_lines(cells, widths, [c.kind in _NUMERIC for c in columns])
    lines.insert(1, "  ".join("-" * max(sizes) for sizes in widths))
    return lines


_TABLE_TITLES = {
    "segments": "Segments",
    "quarters": "Quarters",
    "overdue": "Overdue deals (expected to close before this month)",
}


def week_span(report: Report) -> str:
    """The weekly report's week, and the day it runs up to when that is inside it."""
    week = _("Week {week}: {start} – {end}").format(
        week=report.params.get("week", ""),
        start=report.params.get("from", ""),
        end=report.params.get("to", ""),
    )
    through = report.params.get("through")
    if through:  # as of a day inside the week: what came after is not counted
        week += _(", up to {date}").format(date=through)
    return week


def heading(report: Report) -> str:
    """What a text table covers, above it: the week (the weekly report) or the as-of
    date; the table began with its column titles, and a partial week read as whole."""
    if report.name == "weekly":
        return week_span(report)
    return _("As of {date}").format(date=report.params.get("as_of", ""))


def render_table(report: Report) -> str:
    """Main table, then ``name: value`` extras, then each secondary table under its title;
    titles and extras' names in the UI language (CSV and JSON keep the keys)."""
    titles = column_titles()
    lines = table_lines(report.columns, report.rows, titles)
    if report.extras:
        lines.append("")
        names = extra_titles()
        for key, (kind, value) in report.extras.items():
            text = table_value(kind, value) if value is not None else ""
            # (no deal closed yet: no win rate; the screen shows a dash too)
            lines.append(f"{names.get(key, key)}: {text or '—'}")
    for key, table in report.tables.items():
        lines.append("")
        lines.append(_(_TABLE_TITLES.get(key, key)))
        if table.rows:
            lines.extend(table_lines(table.columns, table.rows, titles))
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
