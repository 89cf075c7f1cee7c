"""Pilot steps several UI test modules take."""

from __future__ import annotations


async def new_customer_form(pilot, name: str) -> None:
    """`n` on the customers list, then the name typed into the new customer's form."""
    await pilot.pause()
    await pilot.press("n")
    await pilot.pause()
    await pilot.press(*name)


async def palette_command(pilot, typed: str) -> None:
    """ctrl+p, ``typed`` into the palette, then enter on its first match."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*typed)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("enter")
