"""/tidsfrister (what is due, by date) and the answer to /klart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from governance.deadlines import Deadline
from governance.lifecycle import Status
from i18n import _
from services.deadline_list import NOT_MARKABLE, Listing, Met, Names
from views import agreement as agreement_view
from views import deadline_reminders as deadline_texts
from views.common import esc


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
    deadlines: Sequence[Deadline], *, today: date, title: str, names: Names, language: str
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
        if deadline.informational:
            note = esc(_("for information"))
            lines.append(f"• {text} <i>({note})</i>")
        elif deadline.kind in NOT_MARKABLE:
            lines.append(f"• {text}")
        else:
            lines.append(f"• {text}\n  <code>{command} {esc(deadline.key)}</code>")
    lines += [
        "",
        _(
            "When a deadline is met, the chair or the administrator writes {command} and its key."
        ).format(command=command),
    ]
    return "\n".join(lines)


def listing(found: Listing, language: str) -> str:
    partnership = found.partnership
    title = _("<b>Deadlines: {body}</b>\n{dnr} · {name}").format(
        body=esc(found.body.name) if not found.show_all else esc(_("all bodies")),
        dnr=esc(partnership.diarienummer),
        name=esc(partnership.name),
    )
    state = found.agreement
    if state is not None and state.status != Status.IN_FORCE:
        # Ended, period ended without extension, or under notice: said before anything else.
        title += "\n\n<b>" + agreement_view.state_line(state) + "</b>"
        if state.status == Status.ENDED:
            return title + "\n" + _("No reminders are sent any more. /avtal shows its history.")
    return render_list(
        found.deadlines, today=found.today, title=title, names=found.names, language=language
    )


def met(done: Met, language: str) -> str:
    return _("Recorded as met: {what} ({day}). Its reminders are cancelled.").format(
        what=describe(done.deadline, done.names, language),
        day=esc(deadline_texts.long_date(done.deadline.due, language)),
    )
