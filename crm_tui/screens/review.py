"""The daily review (`r` on the due-list): one card per overdue/today task, then neglected accounts.

Order and priority come from :func:`crm_tui.store.due.review_queue` (documented in
``PRIORITY_HELP``). Each card shows the customer's context — level, open deals,
the last three interactions, contacts with phone numbers — and takes `x` done,
`s`/`S` snooze, `l` log, `t` new task, `space` skip, `escape` stop. The review
ends with a summary of what was done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, LoadingIndicator, Static

from crm_tui.i18n import _, label, labelled
from crm_tui.store import due as q
from crm_tui.store import enums
from crm_tui.store.validation import display_amount
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized


@dataclass
class ReviewTally:
    done: int = 0
    snoozed: int = 0
    logged: int = 0
    tasks_added: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def card_text(item: dict, ctx: dict | None, position: int, total: int) -> str:
    """The review card as Rich markup."""
    lines: list[str] = []
    head = _("Item {i} of {n}").format(i=position, n=total)
    if item["kind"] == "task":
        when = item["due"] + (f" {item['due_time']}" if item.get("due_time") else "")
        state = (
            _("{n}d overdue").format(n=item["days_overdue"])
            if item["days_overdue"]
            else _("due today")
        )
        lines += [
            f"[dim]{head} · {_('Task')}[/]",
            f"[b]{_escape(item['title'])}[/]",
            f"{label(enums.TASK_TYPE, item['type'])} · {when} · [b]{state}[/]",
        ]
        if item.get("goal"):
            lines.append(labelled(_("Goal"), _escape(item["goal"])))
    else:
        silent = (
            _("no interaction for {n} days").format(n=item["silent_days"])
            if item.get("silent_days") is not None
            else _("never contacted")
        )
        lines += [
            f"[dim]{head} · {_('Neglected account')}[/]",
            f"[b]{_escape(item['customer'])}[/] — {silent}",
        ]
    if ctx is None:
        if item["kind"] == "task":
            lines.append("")
            lines.append(f"[dim]{_('No customer')}[/]")
        return "\n".join(lines)
    level = label(enums.LEVEL, ctx["level"]) if ctx["level"] else _("no level")
    lines += [
        "",
        f"[b]{_('Customer')}[/]  {_escape(ctx['name'])}  ·  {level}  ·  "
        + _("weighted pipeline {amount}").format(amount=display_amount(ctx["weighted_cents"])),
        "",
        f"[b]{_('Open deals')}[/]",
    ]
    if ctx["deals"]:
        for d in ctx["deals"]:
            lines.append(
                f"  {_escape(d['name'])} · {label(enums.STAGE, d['stage'])} · "
                f"{display_amount(d['amount_cents'])} ({d['probability']}%)"
            )
    else:
        lines.append(f"  [dim]{_('none')}[/]")
    lines.append(f"[b]{_('Last interactions')}[/]")
    if ctx["interactions"]:
        for i in ctx["interactions"]:
            attitude = f" · {label(enums.ATTITUDE, i['attitude'])}" if i["attitude"] else ""
            lines.append(
                f"  {i['occurred_at'][:16]} · {label(enums.CHANNEL, i['channel'])} · "
                f"{_escape(i['subject'])}{attitude}"
            )
    else:
        lines.append(f"  [dim]{_('none')}[/]")
    lines.append(f"[b]{_('Contacts')}[/]")
    if ctx["contacts"]:
        for c in ctx["contacts"]:
            phones = " / ".join(p for p in (c["mobile"], c["phone"]) if p)
            title = f" ({_escape(c['title'])})" if c["title"] else ""
            lines.append(f"  {_escape(c['name'])}{title}  {phones}")
    else:
        lines.append(f"  [dim]{_('none')}[/]")
    return "\n".join(lines)


def _escape(text: str | None) -> str:
    from rich.markup import escape

    return escape(text or "")


def summary_text(tally: ReviewTally, reviewed: int, total: int) -> str:
    t = tally
    if total == 0:  # (not "Reviewed 0 of 0")
        return "\n".join(
            [
                f"[b]{_('Nothing to review today')}[/]",
                "",
                _("No task is overdue or due today, and no A or B account has gone quiet."),
                _("n on the due list plans a task; 1 opens the customers."),
                "",
                f"[dim]{_('Press escape or enter to go back')}[/]",
            ]
        )
    return "\n".join(
        [
            f"[b]{_('Review finished')}[/]"
            if reviewed >= total
            else f"[b]{_('Review stopped: {n} left for later').format(n=total - reviewed)}[/]",
            "",
            _("Reviewed {reviewed} of {total}").format(reviewed=reviewed, total=total),
            "",
            labelled(_("Done"), t.done),
            labelled(_("Snoozed"), t.snoozed),
            labelled(_("Logged"), t.logged),
            labelled(_("Tasks added"), t.tasks_added),
            labelled(_("Skipped"), t.skipped),
            "",
            f"[dim]{_('Press escape or enter to go back')}[/]",
        ]
    )


#: Keys that act on the card shown; the first two only on a task's card.
_TASK_ACTIONS = frozenset(("done", "snooze"))
_CARD_ACTIONS = _TASK_ACTIONS | {"log", "task", "skip"}


class ReviewScreen(Localized, Screen):
    """Walks the review queue one card at a time."""

    #: Shown by `?` help (the lead's HelpScreen reads ``HELP``): how the review orders its items.
    HELP = q.PRIORITY_HELP

    BINDINGS = [
        Binding("x", "done", "Done"),
        Binding("s", "snooze(1)", "Snooze +1d"),
        Binding("S", "snooze(7)", "+1 week", key_display="S"),
        Binding("l", "log", "Log"),
        Binding("t", "task", "Task"),
        Binding("space", "skip", "Skip"),
        Binding("escape", "stop", "Stop"),
        # the summary's (it said "escape or enter to go back" over "esc Stop")
        Binding("escape,enter", "close_summary", "Back to the due list"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queue: list[dict] = []
        self.index = 0
        self.tally = ReviewTally()
        self.finished = False
        self.visited: list[tuple[str, int]] = []
        #: queue positions acted on (logged, task added) without moving past them
        self.acted: set[int] = set()

    def compose(self) -> ComposeResult:
        yield AppHeader("tasks")
        yield Label(_("Daily review"), id="review-title", classes="section-title")
        yield LoadingIndicator(id="review-loading")
        with VerticalScroll(id="review-body"):
            yield Static("", id="review-card")
        yield Static(_(q.PRIORITY_HELP), id="review-help", classes="help-note")
        yield Footer()

    #: Below this many rows the review order's note (also in `?` help) gives the card
    #: its room: at 24 rows its six lines pushed the contacts and phones out of sight.
    HELP_ROWS = 32

    def on_mount(self) -> None:
        self.query_one("#review-body").display = False
        self.on_resize()
        self.load_queue()

    def on_resize(self) -> None:
        self.query_one("#review-help").display = self.app.size.height >= self.HELP_ROWS

    @work(thread=True, exclusive=True, exit_on_error=False, group="review")
    def load_queue(self) -> None:
        app = self.app
        with app.db.reading() as conn:  # type: ignore[attr-defined]
            queue = q.review_queue(conn, app.today(), app.settings.neglected_days)  # type: ignore[attr-defined]
        app.call_from_thread(self._loaded, queue)

    def _loaded(self, queue: list[dict]) -> None:
        self.queue = queue
        self.query_one("#review-loading").display = False
        self.query_one("#review-body").display = True
        self.show_current()

    # --- cards -------------------------------------------------------------------

    @property
    def current(self) -> dict | None:
        if self.finished or self.index >= len(self.queue):
            return None
        return self.queue[self.index]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only the keys that act on what is shown: no card keys on the summary, no
        done/snooze on a neglected account (it has no task), all greyed while loading."""
        if action in ("stop", "close_summary"):
            return (action == "close_summary") == self.finished
        if action not in _CARD_ACTIONS:
            return True
        if self.finished:
            return False
        item = self.current
        if item is None:
            return None
        return item["kind"] == "task" or action not in _TASK_ACTIONS

    def show_current(self) -> None:
        self.refresh_bindings()
        item = self.current
        card = self.query_one("#review-card", Static)
        if item is None:
            self.finish()
            return
        with self.app.db.reading() as conn:  # type: ignore[attr-defined]
            ctx = q.customer_context(conn, item["customer_id"]) if item["customer_id"] else None
        card.update(card_text(item, ctx, self.index + 1, len(self.queue)))
        # each card from its top (title, task), wherever the last one was scrolled to
        self.query_one("#review-body", VerticalScroll).scroll_home(animate=False)
        key = (item["kind"], item["id"] if item["kind"] == "task" else item["customer_id"])
        if not self.visited or self.visited[-1] != key:
            self.visited.append(key)

    def advance(self) -> None:
        self.index += 1
        self.show_current()

    def finish(self) -> None:
        self.finished = True
        self.refresh_bindings()
        self.show_summary()

    def show_summary(self) -> None:
        reviewed = min(self.index + (self.index in self.acted), len(self.queue))
        self.query_one("#review-card", Static).update(
            summary_text(self.tally, reviewed, len(self.queue))
        )
        self.query_one("#review-title", Label).update(_("Daily review — summary"))

    # --- actions -----------------------------------------------------------------

    def _write_card(self, write: Callable[[Any], Any]) -> bool:
        """Save ``write(session)`` for the task card shown, as ``run_write`` does; True when
        saved. The queue was read when the review started: a task done, cancelled or
        deleted elsewhere since then is not written again. That is said, and the review
        goes on to the next card without counting this one."""
        from crm_tui.store.common import NotFoundError
        from crm_tui.store.tasks import TaskClosedError

        try:
            with self.app.db.session() as session:  # type: ignore[attr-defined]
                write(session)
        except (TaskClosedError, NotFoundError) as exc:
            self.app.show_error(str(exc))  # type: ignore[attr-defined]
            self.app.data_changed()  # type: ignore[attr-defined]
            self.advance()
            return False
        except Exception as exc:  # a locked file, a full disk ...: said, the card stays
            problem = self.app.problem_text(exc)  # type: ignore[attr-defined]
            self.app.show_error(_("Could not save: {error}").format(error=problem))  # type: ignore[attr-defined]
            return False
        return True

    def action_done(self) -> None:
        item = self.current
        if item is None or item["kind"] != "task":
            return
        from crm_tui.store.tasks import complete_task

        if not self._write_card(lambda s: complete_task(s, item["id"], at=self.app.now())):  # type: ignore[attr-defined]
            return
        self.tally.done += 1
        self.app.data_changed()  # type: ignore[attr-defined]
        self.advance()
        # as on the due list: log what happened or schedule the next step (over the next card)
        from crm_tui.screens import actions

        # (the last card's follow-up is answered over the summary: count it there too)
        def logged() -> None:
            self.tally.logged += 1
            if self.finished:
                self.show_summary()

        def scheduled() -> None:
            self.tally.tasks_added += 1
            if self.finished:
                self.show_summary()

        def next_step() -> None:  # the log's next step made a task (logged() follows)
            self.tally.tasks_added += 1

        actions.offer_next_follow_up(
            self.app, item, logged=logged, scheduled=scheduled, next_step=next_step
        )

    def action_snooze(self, days: int) -> None:
        item = self.current
        if item is None or item["kind"] != "task":
            return
        from crm_tui.store.tasks import snooze_task

        due: list[Any] = []  # (the new due day, said as the due list says it)
        if not self._write_card(
            lambda s: due.append(snooze_task(s, item["id"], days, today=self.app.today()).due)  # type: ignore[attr-defined]
        ):
            return
        self.tally.snoozed += 1
        self.notify(_("Snoozed to {due}").format(due=due[0].isoformat()))
        self.app.data_changed()  # type: ignore[attr-defined]
        self.advance()

    def action_log(self) -> None:
        item = self.current
        if item is None:
            return
        from crm_tui.screens import actions

        def logged() -> None:
            self.tally.logged += 1
            self.acted.add(self.index)
            if item["kind"] == "neglected":
                self.advance()
            else:
                self.show_current()

        def step_planned() -> None:  # its next step made a task: one added like `t`'s
            self.tally.tasks_added += 1

        actions.log_interaction(
            self.app,
            customer_id=item["customer_id"],
            opportunity_id=item.get("opportunity_id"),
            task_id=item["id"] if item["kind"] == "task" else None,
            on_done=logged,
            on_next_step=step_planned,
        )

    def action_task(self) -> None:
        item = self.current
        if item is None:
            return
        from crm_tui.screens import actions

        def added() -> None:
            self.tally.tasks_added += 1
            self.acted.add(self.index)
            if item["kind"] == "neglected":
                self.advance()

        actions.new_task(
            self.app,
            customer_id=item["customer_id"],
            opportunity_id=item.get("opportunity_id"),
            on_done=added,
        )

    def action_skip(self) -> None:
        if self.current is None:
            return
        self.tally.skipped += 1
        self.advance()

    def action_stop(self) -> None:
        if self.finished:
            self.app.pop_screen()
        else:
            self.finish()

    def action_close_summary(self) -> None:
        if self.finished:
            self.app.pop_screen()
