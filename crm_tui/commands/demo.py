"""`crm demo`: fill the database with realistic, reproducible sample data."""

from __future__ import annotations

import argparse
import time

HELP = "fill the database with realistic, reproducible sample data (mixed Chinese and English)"


def _count(text: str) -> int:
    from crm_tui.commands import whole_number

    return whole_number(text, 1, 10_000_000)


def _seed(text: str) -> int:
    from crm_tui.commands import whole_number

    return whole_number(text)


def _date(text: str):
    from crm_tui.cli import today
    from crm_tui.dates import parse_date
    from crm_tui.store.demo import check_as_of

    now = today()
    try:  # data up to a day that has come
        return check_as_of(parse_date(text, now, past=True), now)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from crm_tui.i18n import _

    parser.add_argument(
        "--customers", type=_count, default=200, metavar="N", help=_("number of customers (200)")
    )
    parser.add_argument("--seed", type=_seed, default=1, metavar="S", help=_("random seed (1)"))
    parser.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="DATE",
        help=_("the day the data leads up to (default: today)"),
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help=_("delete every record in the database first (default: refuse a non-empty database)"),
    )


def run(args: argparse.Namespace, ctx) -> int:
    import sqlite3

    from crm_tui.cli import CommandError
    from crm_tui.i18n import _
    from crm_tui.progress import on_terminal
    from crm_tui.store.demo import DemoError, generate

    db = ctx.database()
    progress = on_terminal(_("Generating sample data"))
    started = time.perf_counter()
    try:
        counts = generate(
            db,
            customers=args.customers,
            seed=args.seed,
            as_of=args.as_of,
            progress=progress,
            replace=args.replace,
            owner=ctx.settings.user_name,
        )
        # the sample deals carry DOMAIN.md's probabilities: now config.toml's
        db.follow_stage_probabilities(ctx.settings.probabilities())
    except DemoError as exc:
        raise CommandError(str(exc)) from None
    except sqlite3.Error as exc:
        raise CommandError(f"{db.path}: {exc}") from None
    finally:
        if progress is not None:
            progress.close()
    elapsed = time.perf_counter() - started
    print(
        _(
            "{customers} customers, {contacts} contacts, {opportunities} opportunities, "
            "{interactions} interactions, {orders} orders, {payments} payments, {tasks} tasks "
            "in {seconds:.1f} s"
        ).format(seconds=elapsed, **counts)
    )
    return 0
