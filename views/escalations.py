"""/lyft and /lyfta: the proposal with the chair's buttons, its outcome, the list of open ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.textsplit import truncate_plain
from i18n import N_, _, current_language
from services.escalations import OpenEscalation, PastEscalation
from storage.models import Escalation, Person
from views.common import clock_pattern, esc, mention

PREFIX = "es"  # callback data "es:<escalation id>:c" (confirm) or ":w" (withdraw)
CONFIRM, WITHDRAW = "c", "w"

STATUS_NAMES = {
    "proposed": N_("waiting for the chair's confirmation"),
    "raised": N_("raised, waiting for the styrgrupp chat to be linked"),
    "on_agenda": N_("on the styrgrupp's agenda"),
    "decided": N_("decided, being reported back"),
}


def _keyboard(escalation_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Confirm (chair)"), callback_data=f"{PREFIX}:{escalation_id}:{CONFIRM}"
                ),
                InlineKeyboardButton(
                    _("Withdraw"), callback_data=f"{PREFIX}:{escalation_id}:{WITHDRAW}"
                ),
            ]
        ]
    )


def proposal(escalation: Escalation, proposer: Person | None) -> tuple[str, InlineKeyboardMarkup]:
    assert escalation.id is not None
    who = mention(proposer) if proposer is not None else "—"
    text = (
        _("<b>Raise to the styrgrupp?</b> #{id}").format(id=escalation.id)
        + f"\n<blockquote>{esc(escalation.question)}</blockquote>\n"
        + _(
            "Proposed by {name}. The chair of the samverkansgrupp confirms with the button."
        ).format(name=who)
    )
    return text, _keyboard(escalation.id)


def outcome(escalation: Escalation, proposer: Person | None) -> str:
    head = (
        _("<b>Raised to the styrgrupp</b> #{id}").format(id=escalation.id)
        if escalation.status != "withdrawn"
        else _("<b>Withdrawn</b> #{id}").format(id=escalation.id)
    )
    lines = [head, f"<blockquote>{esc(escalation.question)}</blockquote>"]
    if proposer is not None:
        lines.append(_("Proposed by {name}.").format(name=mention(proposer)))
    if escalation.status == "withdrawn":
        return "\n".join(lines)
    if escalation.agenda_item_id is not None:
        lines.append(
            _(
                "It has been sent to the styrgrupp and is on the agenda of its next meeting. "
                "Its decision will be posted here."
            )
        )
    else:
        lines.append(
            _(
                "The styrgrupp's chat is not linked yet: the question is kept and sent as soon as "
                "it is."
            )
        )
    return "\n".join(lines)


def already_handled() -> str:
    return _("This has already been handled.")


def _age(days: int) -> str:
    if days == 0:
        return _("today")
    if days == 1:
        return _("1 day")
    return _("{days} days").format(days=days)


def _meeting_when(zone: ZoneInfo, starts_at: datetime) -> str:
    locale = "en" if current_language() == "en" else "sv"
    return format_datetime(starts_at, "d MMMM y " + clock_pattern(), tzinfo=zone, locale=locale)


def open_list(found: Sequence[OpenEscalation], zone: ZoneInfo) -> str:
    """/lyfta: the partnership's open questions with their state and age, oldest first."""
    hint = esc(_("/lyfta alla shows every question raised, with its decision."))
    if not found:
        return _("No questions raised to the styrgrupp are open.") + "\n" + hint
    lines = [_("<b>Questions raised to the styrgrupp</b> (oldest first)")]
    locale = "en" if current_language() == "en" else "sv"
    for entry in found:
        e = entry.escalation
        since = e.raised_at or e.created_at
        state = _(STATUS_NAMES.get(e.status, e.status))
        if entry.meeting is not None and e.status == "on_agenda":
            state = _("on the agenda of the meeting on {when}").format(
                when=_meeting_when(zone, entry.meeting.starts_at)
            )
        lines.append(
            f"\n<b>#{e.id}</b> {esc(truncate_plain(e.question, 300))}\n"
            + _("{state} · since {day} ({age})").format(
                state=esc(state),
                day=format_date(since.date(), "long", locale=locale),
                age=_age(entry.age_days),
            )
        )
    lines += ["", hint]
    return "\n".join(lines)


HISTORY_NAMES = {
    **STATUS_NAMES,
    "reported": N_("decided and reported back"),
    "withdrawn": N_("withdrawn"),
}


def history(found: Sequence[PastEscalation]) -> str:
    """/lyfta alla: every question raised, newest first, with the decision it got."""
    if not found:
        return _("No questions have been raised to the styrgrupp yet.")
    lines = [_("<b>Questions raised to the styrgrupp</b> (all, newest first)")]
    locale = "en" if current_language() == "en" else "sv"
    for entry in found:
        e = entry.escalation
        since = e.raised_at or e.created_at
        lines.append("")
        lines.append(f"<b>#{e.id}</b> {esc(truncate_plain(e.question, 300))}")
        state = _(HISTORY_NAMES.get(e.status, e.status))
        lines.append(
            esc(
                _("{state} · raised {day}").format(
                    state=state, day=format_date(since.date(), "long", locale=locale)
                )
            )
        )
        if entry.decision is not None:
            lines.append(
                "→ "
                + esc(
                    _("Decision {label}: {text}").format(
                        label=entry.label or "", text=truncate_plain(entry.decision.text, 300)
                    )
                )
            )
    return "\n".join(lines)
