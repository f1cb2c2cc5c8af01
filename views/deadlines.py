"""/tidsfrister (what is due, by date) and the answer to /klart."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.deadlines import Deadline
from governance.lifecycle import Status
from governance.textsplit import truncate_plain
from i18n import _, ngettext
from services.deadline_list import NOT_MARKABLE, Listing, Met, Names, button_token, is_markable
from storage.models import Person
from views import agreement as agreement_view
from views import deadline_reminders as deadline_texts
from views.common import esc, person_name

# Callback data: "tfk:<list>:<token>" marks a deadline met from a list, "tfo:<list>" lists the
# older ones from before the chat was linked. <list> says which list to draw again after a press:
# b (/tidsfrister), a (/tidsfrister alla), ob / oa (their older ones), k (/klart's choice).
MARK = "tfk"
OLDER = "tfo"
LISTS = ("b", "a", "ob", "oa", "k")
MAX_BUTTONS = 30


def describe(deadline: Deadline, names: Names, language: str) -> str:
    return deadline_texts.describe(
        deadline.kind,
        deadline.params,
        language,
        party_name=names.parties.get(deadline.party_key or "", deadline.party_key),
        body_name=names.bodies.get(deadline.body or "", deadline.body),
        due=deadline.due,
    )


def render_list(
    deadlines: Sequence[Deadline],
    *,
    today: date,
    title: str,
    names: Names,
    language: str,
    before_link: frozenset[str] = frozenset(),
    footer: bool = True,
) -> str:
    """The /tidsfrister answer: one heading per date, each line with its /klart key."""
    lines = [title]
    if not deadlines:
        lines += ["", _("No deadlines in the coming months.")]
        return "\n".join(lines)
    command = deadline_texts.done_command(language)
    current: date | None = None
    for deadline in sorted(deadlines, key=lambda d: (d.due, d.key)):
        if deadline.due != current:
            current = deadline.due
            heading = esc(deadline_texts.long_date(current, language))
            if deadline.is_overdue(today):
                heading += " · " + esc(_("overdue"))
            lines += ["", f"<b>{heading}</b>"]
        text = describe(deadline, names, language)
        if deadline.key in before_link:
            text += " <i>(" + esc(_("before linking")) + ")</i>"
        if deadline.informational:
            note = esc(_("for information"))
            lines.append(f"• {text} <i>({note})</i>")
        elif deadline.kind in NOT_MARKABLE:
            lines.append(f"• {text}")
        else:
            lines.append(f"• {text}\n  <code>{command} {esc(deadline.key)}</code>")
    if footer:
        lines += [
            "",
            _(
                "When a deadline is met, the chair or the administrator presses its “Done” "
                "button (or writes {command} and its key)."
            ).format(command=command),
        ]
    return "\n".join(lines)


def _title(found: Listing) -> str:
    partnership = found.partnership
    return _("<b>Deadlines: {body}</b>\n{dnr} · {name}").format(
        body=esc(found.body.name) if not found.show_all else esc(_("all bodies")),
        dnr=esc(partnership.diarienummer),
        name=esc(partnership.name),
    )


def listing(found: Listing, language: str) -> str:
    title = _title(found)
    state = found.agreement
    if state is not None and state.status != Status.IN_FORCE:
        # Ended, period ended without extension, or under notice: said before anything else.
        title += "\n\n<b>" + agreement_view.state_line(state) + "</b>"
        if state.status == Status.ENDED:
            return title + "\n" + _("No reminders are sent any more. /avtal shows its history.")
    text = render_list(
        found.deadlines,
        today=found.today,
        title=title,
        names=found.names,
        language=language,
        before_link=found.before_link,
    )
    if found.older and found.linked_on is not None:
        count = len(found.older)
        text += "\n\n" + ngettext(
            "{count} older deadline from before this chat was linked ({day}) is not shown.",
            "{count} older deadlines from before this chat was linked ({day}) are not shown.",
            count,
        ).format(count=count, day=esc(deadline_texts.long_date(found.linked_on, language)))
    return text


def _short_day(day: date, language: str) -> str:
    return format_date(day, "d MMM", locale="en" if language == "en" else "sv").rstrip(".")


def _mark_buttons(
    deadlines: Sequence[Deadline], names: Names, language: str, which: str
) -> list[list[InlineKeyboardButton]]:
    rows: list[list[InlineKeyboardButton]] = []
    markable = [d for d in deadlines if is_markable(d)]
    for deadline in sorted(markable, key=lambda d: (d.due, d.key))[:MAX_BUTTONS]:
        what = html.unescape(describe(deadline, names, language))
        # Without its last parenthesis ("(verksamhetsår …)"): the party or period stays in view.
        what = re.sub(r"\s*\([^()]*\)$", "", what) or what
        label = _("✓ Done: {day} {what}").format(
            day=_short_day(deadline.due, language), what=truncate_plain(what, 48)
        )
        data = f"{MARK}:{which}:{button_token(deadline.key)}"
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    return rows


def listing_keyboard(found: Listing, language: str) -> InlineKeyboardMarkup | None:
    """A "Done" button for each item the chair or the administrator can mark met, and one that
    lists the older deadlines from before the chat was linked."""
    if found.agreement is not None and found.agreement.status == Status.ENDED:
        return None
    which = "a" if found.show_all else "b"
    rows = _mark_buttons(found.deadlines, found.names, language, which)
    if found.older:
        label = _("Show older ({count})").format(count=len(found.older))
        rows.append([InlineKeyboardButton(label, callback_data=f"{OLDER}:{which}")])
    return InlineKeyboardMarkup(rows) if rows else None


def listing_message(found: Listing, language: str) -> tuple[str, InlineKeyboardMarkup | None]:
    return listing(found, language), listing_keyboard(found, language)


def older_message(found: Listing, language: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The deadlines from before the chat was linked that /tidsfrister only counts."""
    day = deadline_texts.long_date(found.linked_on, language) if found.linked_on else "?"
    title = _("<b>Older deadlines from before this chat was linked ({day})</b>").format(
        day=esc(day)
    )
    if not found.older:
        return title + "\n\n" + _("None left open."), None
    text = render_list(
        found.older,
        today=found.today,
        title=title,
        names=found.names,
        language=language,
        footer=False,
    )
    rows = _mark_buttons(found.older, found.names, language, "oa" if found.show_all else "ob")
    return text, InlineKeyboardMarkup(rows) if rows else None


def choice_message(found: Listing, language: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """/klart without a key: which deadline is met?"""
    if not found.deadlines:
        return _("No open deadlines to mark as met."), None
    text = render_list(
        found.deadlines,
        today=found.today,
        title=_("<b>Which deadline is met?</b>"),
        names=found.names,
        language=language,
        before_link=found.before_link,
        footer=False,
    )
    return text, InlineKeyboardMarkup(_mark_buttons(found.deadlines, found.names, language, "k"))


def redraw(found: Listing, which: str, language: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The list a "Done" button was pressed under, drawn again without what was just met."""
    if which in ("ob", "oa"):
        return older_message(found, language)
    if which == "k":
        return choice_message(found, language)
    return listing_message(found, language)


def met(done: Met, language: str, *, by: Person | None = None) -> str:
    what = describe(done.deadline, done.names, language)
    day = esc(deadline_texts.long_date(done.deadline.due, language))
    if by is not None:
        return _("{name} recorded as met: {what} ({day}). Its reminders are cancelled.").format(
            name=esc(person_name(by)), what=what, day=day
        )
    return _("Recorded as met: {what} ({day}). Its reminders are cancelled.").format(
        what=what, day=day
    )


def met_plain(done: Met, language: str) -> str:
    """The toast on the pressed button (plain text, at most 200 characters)."""
    what = html.unescape(describe(done.deadline, done.names, language))
    return truncate_plain(_("Recorded as met: {what}").format(what=what), 190)


def marked_by(person: Person | None) -> str:
    """The line added to a reminder whose "Done" button was pressed."""
    if person is None:
        return "✓ " + _("Recorded as met.")
    return "✓ " + _("{name} recorded it as met.").format(name=esc(person_name(person)))
