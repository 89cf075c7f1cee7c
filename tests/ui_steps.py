"""Pilot steps several UI test modules take."""

from __future__ import annotations


async def new_customer_form(pilot, name: str) -> None:
    """`n` on the customers list, then the name typed into the new customer's form."""
    await pilot.pause()
    await pilot.press("n")
    await pilot.pause()
    await pilot.press(*name)
