"""Date fields in forms: the hint and the error name the forms the user's language accepts,
and a long error wraps within the form instead of being cut off."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Input, Label

from crm_tui.app import make_app
from crm_tui.store import customers as cs

FROZEN = dt.datetime(2026, 11, 23, 9, 30)


@pytest.mark.parametrize(
    ("lang", "hint", "forms"),
    [
        ("en", "2026-11-30, 11-30, today, +3d, mon", "today, tomorrow, +3d, +2w, mon…sun"),
        ("zh", "2026-11-30、11-30、今天、明天、周五", "今天、明天、+3d、3天后、周一…周日、下周三"),
    ],
)
@pytest.mark.parametrize("size", [(130, 35), (80, 24)])
async def test_date_hint_and_whole_error_in_the_users_language(db, lang, hint, forms, size):
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme"})
    app = make_app(db.path, lang=lang, clock=lambda: FROZEN)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        field = app.screen.query_one("#field-first_contact", Input)
        assert field.placeholder == hint
        await pilot.press(*"New Co")
        field.value = "2026-02-30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = app.screen.query_one("#error-first_contact", Label)
        assert forms in str(error.render())
        column = error.parent.content_region  # type: ignore[union-attr]
        box = error.region
        # as wide as its column, and as many lines as the message needs: nothing cut off
        assert box.x >= column.x and box.right <= column.right
        assert box.height >= 2
        lines = [strip.text for strip in error.render_lines(error.region.reset_offset)]
        assert "".join(line.strip() for line in lines).replace(" ", "") == str(
            error.render()
        ).replace(" ", "")
