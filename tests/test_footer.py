"""The key bar at 80 columns, in Chinese: more keys than fit, and the palette key intact."""

from __future__ import annotations

import pytest
from textual import events

from crm_tui.app import make_app
from crm_tui.widgets.footer import FooterKeyRow


def bottom_line(app) -> str:
    """The screen's last line as the terminal gets it."""
    return app.screen._compositor.render_strips()[-1].text


@pytest.mark.parametrize("mode", ["1", "2"])
async def test_the_palette_key_stays_whole_when_keys_run_under_it(db, mode):
    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(mode)
        await pilot.pause()
        row = app.screen.query_one(FooterKeyRow)
        assert row.max_scroll_x > 0  # the keys do not fit: some run on out of sight
        assert bottom_line(app).rstrip().endswith("▏^p 命令面板")


async def test_the_wheel_scrolls_the_keys_sideways(db):
    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        row = app.screen.query_one(FooterKeyRow)
        await pilot._post_mouse_events([events.MouseScrollDown], row, offset=(5, 0))
        await pilot.wait_for_scheduled_animations()
        assert row.scroll_x > 0
        assert bottom_line(app).rstrip().endswith("▏^p 命令面板")
