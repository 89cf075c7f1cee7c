"""Monthly sales targets in ``sales_target`` ("YYYY-MM" → cents); a quarter's target is its months' sum (all three set).

Functions take a DB-API connection (stdlib ``sqlite3`` or ``raw(session)``) and do not
commit: the caller owns the transaction (``with db.connect() as conn: set_target(...)``).
Targets in the database take precedence over ``[targets]`` in config.toml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from crm_tui.i18n import _
from crm_tui.store.validation import ValidationError, parse_money

_MONTH = re.compile(r"^(\d{4})[-/.]?(\d{1,2})$")


def parse_month(text: str) -> str:
    """``2026-11``, ``2026/11`` or ``202611`` → ``"2026-11"``; ValidationError otherwise."""
    m = _MONTH.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValidationError("month", _("Not a month: “{text}” (use YYYY-MM)").format(text=text))
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def set_target(conn, month: str, amount: int | str | None) -> None:
    """Set a month's target (cents as int, or amount text like ``120,000``); None/blank removes it.

    A bad month and a bad amount are said together (one ValidationError carrying both)."""
    problems: list[ValidationError] = []
    key = cents = None
    try:
        key = parse_month(month)
    except ValidationError as exc:
        problems.append(exc)
    try:
        cents = amount if isinstance(amount, int) else parse_money("target", amount)
        if isinstance(amount, int) and amount < 0:
            raise ValidationError("target", _("An amount cannot be negative"))
    except ValidationError as exc:
        problems.append(exc)
    if problems:
        raise ValidationError.of(problems)
    if cents is None:
        conn.execute("DELETE FROM sales_target WHERE month = ?", (key,))
        return
    conn.execute(
        "INSERT INTO sales_target (month, amount_cents) VALUES (?, ?) "
        "ON CONFLICT(month) DO UPDATE SET amount_cents = excluded.amount_cents",
        (key, cents),
    )


def get_targets(conn, first: str | None = None, last: str | None = None) -> dict[str, int]:
    """Targets stored in the database, months ``first``..``last`` inclusive when given."""
    sql = "SELECT month, amount_cents FROM sales_target WHERE month >= ? AND month <= ?"
    lo = parse_month(first) if first else "0000-00"
    hi = parse_month(last) if last else "9999-99"
    return {month: cents for month, cents in conn.execute(sql + " ORDER BY month", (lo, hi))}


def effective_targets(conn, fallback: Mapping[str, int] | None = None) -> dict[str, int]:
    """Every month's target: config.toml's ``fallback`` overridden by the database's."""
    merged: dict[str, int] = {}
    for month, cents in (fallback or {}).items():
        try:
            merged[parse_month(month)] = int(cents)
        except ValidationError:
            continue  # a malformed month key in config cannot match any month
    merged.update(get_targets(conn))
    return merged


def quarter_target(targets: Mapping[str, int], year: int, quarter: int) -> int | None:
    """Sum of the quarter's monthly targets; None unless each of its three months has one
    (two months' target against a whole quarter's results would read as more than met)."""
    months = [f"{year:04d}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]
    if not all(m in targets for m in months):
        return None
    return sum(targets[m] for m in months)
