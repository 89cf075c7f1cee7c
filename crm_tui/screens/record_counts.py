"""How much a customer holds, in words: for the questions before a merge or a delete."""

from __future__ import annotations

from typing import Any

from crm_tui.i18n import _

#: Each kind of record a customer has, counted: (one, several).
PREVIEW_KINDS = {
    "contact": ("contact", "contacts"),
    "opportunity": ("opportunity", "opportunities"),
    "interaction": ("interaction", "interactions"),
    "task": ("task", "tasks"),
    "sales_order": ("order", "orders"),
    "payment": ("payment", "payments"),
    "customer_tag": ("tag", "tags"),
}


def counts_text(counts: dict[str, int]) -> str:
    """``3 contacts, 1 order`` for the kinds a customer has (store.merging.record_counts)."""
    return _(", ").join(
        f"{n} {_(PREVIEW_KINDS[k][0] if n == 1 else PREVIEW_KINDS[k][1])}"
        for k, n in counts.items()
        if n
    )


def delete_customer_question(conn: Any, customer_id: int, name: str) -> str:
    """ "Delete customer “X” and all it holds: 1 contact, 2 orders?" (counted in SQL)."""
    from crm_tui.store.merging import record_counts

    held = counts_text(record_counts(conn, customer_id))
    if held:
        return _("Delete customer “{name}” and all it holds: {counts}?").format(
            name=name, counts=held
        )
    return _("Delete customer “{name}”? It holds no records.").format(name=name)
