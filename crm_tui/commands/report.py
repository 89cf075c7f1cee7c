"""`crm report NAME`: any report of the reports screen, headless, as a table, CSV or JSON.

Reads through the standard-library connection only (no SQLAlchemy, SQLModel or
Textual). ``--as-of`` defaults to today and, as on the reports screen, may not be later;
``--week`` picks the weekly report's ISO week (default: the week of the as-of date; not
one yet to begin) and, for the other reports without ``--as-of``, sets the as-of date to
that week's Sunday, or today in the current week (activity: the last week shown).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys

HELP = "print a report: funnel rfm abc forecast activity distribution weekly"

#: Same as ``crm_tui.reports.REPORTS`` (spelt out so `--help` imports nothing more).
NAMES = ("funnel", "rfm", "abc", "forecast", "activity", "distribution", "weekly")


def _reportable(day: dt.date, today: dt.date) -> dt.date:
    """``day`` if the reports can run as of it (see ``crm_tui.reports.check_day``: 9999-12-31
    has no next day) and it has come (as on the reports screen: reports look back), else
    a usage error that says why."""
    from crm_tui.reports import check_day, not_after_today

    try:
        return check_day(not_after_today(day, today))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date(text: str) -> dt.date:
    from crm_tui.cli import today
    from crm_tui.dates import parse_date

    now = today()
    try:
        day = parse_date(text, now, past=True)  # reports look back: 11-20, fri read backwards
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return _reportable(day, now)


def _week(text: str) -> dt.date:
    """The Monday of an ISO week whose days are all reportable (its Sunday is the other
    reports' as-of date, today's date in the current week) and that has begun."""
    from crm_tui.cli import today
    from crm_tui.dates import parse_iso_week
    from crm_tui.i18n import _
    from crm_tui.reports import FIRST_DAY, LAST_DAY

    try:
        monday, sunday = parse_iso_week(text)
    except OverflowError:  # 9999-W52 ends after 9999-12-31
        monday = sunday = dt.date.max
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if monday < FIRST_DAY or sunday > LAST_DAY:
        raise argparse.ArgumentTypeError(
            _("{date} is out of range: reports run from {first} to {last}").format(
                date=text, first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()
            )
        )
    if monday > today():  # (its own words: no date was typed)
        raise argparse.ArgumentTypeError(
            _("The week {week} has not begun yet: reports look back").format(week=text)
        )
    return monday


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from crm_tui.i18n import _

    parser.add_argument("name", choices=NAMES, metavar="NAME", help=" | ".join(NAMES))
    parser.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help=_("report as of this date (default today; 2026-11-30, 11-30, yesterday, --as-of=-1w)"),
    )
    parser.add_argument(
        "--week",
        type=_week,
        metavar="YYYY-Www",
        help=_(
            "ISO week of the weekly report (default: the week of --as-of); "
            "for the other reports without --as-of: as of that week's Sunday (today in the "
            "current week)"
        ),
    )
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        help=_("default: csv or json for an --out FILE ending .csv or .json, else table"),
    )
    parser.add_argument("--out", metavar="FILE", help=_("write to FILE instead of standard output"))


#: Reports that read thousands of scattered rows (the week's records, each joined to its
#: customer): memory-mapped, each page costs no read() call (-30 % for a busy week at
#: 100,000 customers). The others scan in order, which read-ahead serves better: mapped,
#: funnel and ABC took a third longer.
MAPPED = frozenset({"weekly"})


def format_for(out: str | None) -> str:
    """The format a report file's name asks for (.csv, .json), else a text table."""
    suffix = out.lower().rsplit(".", 1)[-1] if out and "." in out else ""
    return suffix if suffix in ("csv", "json") else "table"


def run(args: argparse.Namespace, ctx) -> int:
    # One report, then exit: the big reports (RFM, ABC: a row per customer) allocate
    # about a million objects and hold no reference cycles, so the cyclic collector
    # would only walk them again and again (some 5 % of `crm report rfm`).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(args, ctx)
    finally:
        if collecting:
            gc.enable()


def _run(args: argparse.Namespace, ctx) -> int:
    from crm_tui.cli import CommandError, today
    from crm_tui.i18n import _, os_problem
    from crm_tui.reports import build_report, output

    if args.week and args.as_of and args.as_of < args.week:  # (a report ending before it starts)
        monday = args.week
        message = _("The week {week} begins after --as-of {day}: reports look back").format(
            week=f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}",
            day=args.as_of.isoformat(),
        )  # (worded as argparse words a usage error, which this is)
        said = _("argument %(argument_name)s: %(message)s") % {
            "argument_name": "--week",
            "message": message,
        }
        print(f"crm report: error: {said}", file=sys.stderr)
        return 2
    if args.format is None:  # (`--out weekly.csv` wrote a text table Excel cannot read)
        args.format = format_for(args.out)
    as_of = args.as_of
    if as_of is None:
        as_of = today()
        if args.week and args.name != "weekly":  # (today in the current week, as on screen)
            as_of = min(args.week + dt.timedelta(days=6), as_of)
    targets = ctx.settings.targets if args.name == "forecast" else None
    db = ctx.database(to_read=True)
    with db.reading(mmap=args.name in MAPPED) as conn:
        report = build_report(
            args.name, conn, as_of, args.week, targets, ctx.settings.probabilities()
        )
    if args.out and args.out != "-":  # (`-`: standard output, as for `crm export`)
        from pathlib import Path

        from crm_tui.commands import not_the_database
        from crm_tui.csvio import private_file

        path = not_the_database(Path(args.out).expanduser(), db.path)
        try:  # (a missing folder is an error, as for export and backup: a typo there
            # must not create a tree of folders)
            with private_file(path) as fh:
                if args.format == "table":  # (as on the screen: what it covers, then rows)
                    fh.write(output.heading(report) + "\n\n")
                output.write(report, args.format, fh)
                if args.format == "table" and report.has_amounts:
                    fh.write(
                        "\n"
                        + _("Amounts in {currency}").format(currency=ctx.settings.currency)
                        + "\n"
                    )
        except OSError as exc:
            raise CommandError(
                _("cannot write {path}: {reason}").format(path=path, reason=os_problem(exc))
            ) from None
        print(
            _("{n} rows written to {path}").format(n=len(report.rows), path=path), file=sys.stderr
        )
        return 0
    if args.format == "table":
        print(output.heading(report) + "\n")
    output.write(report, args.format, sys.stdout)
    if args.format == "table" and report.has_amounts:
        print("\n" + _("Amounts in {currency}").format(currency=ctx.settings.currency))
    return 0
