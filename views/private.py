"""The private chat: the welcome after `/start`, and one card per thing waiting for the person
(a meeting to answer, a vote to cast, a report form to fill in), each with its buttons – in the person's language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from delivery.parts import Button
from governance.textsplit import truncate_plain
from i18n import _, current_language
from services.private import PendingMeeting, PendingVote, Welcome
from views import links
from views import report as report_view
from views.agenda import meeting_title, when_text
from views.common import esc, person_name
from views.private_buttons import rsvp_row, vote_row
from views.vote_reminders import when_text as vote_when

MAX_CARDS = 5  # of each kind: the oldest first; the rest wait for the next /start

CODES = {"yes": "y", "no": "n", "maybe": "m"}


def _markup(*rows: tuple[Button, ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[links.ptb_button(b) for b in row] for row in rows])


def welcome(found: Welcome) -> str:
    """Who they are linked as, what this chat is for, and what is waiting."""
    lines = []
    name = esc(person_name(found.person)) if found.person is not None else ""
    lines.append(_("Hello {name}!").format(name=name) if name else _("Hello!"))
    lines.append(
        esc(
            _(
                "This private chat is now linked to you. Here you get your own reminders: meetings you have not answered, votes you have not cast, your action items and the activity report's form when it is your turn. You can answer and vote right here."
            )
        )
    )
    if not found.bodies:
        lines.append("")
        lines.append(
            esc(
                _(
                    "You are not yet a confirmed member of any body. In your group's chat, write /jag and the name of your organisation; the chair confirms."
                )
            )
        )
        return "\n".join(lines)
    bodies = ", ".join(
        f"{esc(body.name)} ({esc(partnership.diarienummer)})" for body, partnership in found.bodies
    )
    lines.append(_("You are a member of: {bodies}").format(bodies=bodies))
    lines.append("")
    if found.nothing_waiting:
        lines.append(esc(_("Nothing is waiting for you right now.")))
    else:
        waiting = []
        if found.meetings:
            waiting.append(_("meetings to answer: {count}").format(count=len(found.meetings)))
        if found.votes:
            waiting.append(_("votes to cast: {count}").format(count=len(found.votes)))
        if found.forms:
            waiting.append(_("report forms to fill in: {count}").format(count=len(found.forms)))
        lines.append(esc(_("Waiting for you – {what}:").format(what=", ".join(waiting))))
    return "\n".join(lines)


def meeting_card(
    pending: PendingMeeting, answer: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """A meeting to answer: when and where, and Kommer / Kommer inte / Kanske."""
    meeting, body, partnership = pending.meeting, pending.body, pending.partnership
    assert meeting.id is not None
    zone = ZoneInfo(partnership.timezone)
    lines = [
        "📅 <b>" + esc(meeting_title(body, meeting)) + "</b>",
        esc(when_text(meeting.starts_at, meeting.ends_at, zone)),
    ]
    if meeting.place:
        lines.append(_("<b>Where:</b> {place}").format(place=esc(meeting.place)))
    if answer is None:
        lines.append(esc(_("Will you come?")))
    else:
        lines.append(esc(_("Your answer is recorded. You can change it until the meeting.")))
    rows = [rsvp_row(meeting.id, current_language(), CODES.get(answer or ""))]
    link = links.message_url(body.chat_id, meeting.kallelse_message_id)
    if link:
        rows.append((Button(_("Open the kallelse"), url=link),))
    return "\n".join(lines), _markup(*rows)


def vote_card(pending: PendingVote, chosen: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """A vote to cast: the question, when it closes, and Ja / Nej / Avstår."""
    vote, body, partnership = pending.vote, pending.body, pending.partnership
    assert vote.id is not None
    lines = [
        "🗳 <b>" + esc(truncate_plain(vote.question, 500)) + "</b>",
        esc(body.name) + " · " + esc(partnership.diarienummer),
    ]
    if vote.closes_at is not None:
        zone = ZoneInfo(partnership.timezone)
        lines.append(
            esc(
                _("Closes {when}.").format(when=vote_when(vote.closes_at, zone, current_language()))
            )
        )
    if chosen is not None:
        lines.append(esc(_("Your vote is recorded. You can change it until the vote closes.")))
    rows = [vote_row(vote.id, current_language(), chosen)]
    link = links.message_url(body.chat_id, vote.message_id)
    if link:
        rows.append((Button(_("Open the vote in the group"), url=link),))
    return "\n".join(lines), _markup(*rows)


def cards(found: Welcome) -> list[tuple[str, InlineKeyboardMarkup]]:
    """One message per thing waiting, meetings first."""
    shown = [meeting_card(p) for p in found.meetings[:MAX_CARDS]]
    shown += [vote_card(p) for p in found.votes[:MAX_CARDS]]
    if found.forms:  # the activity report's forms, each opened with its button
        text, keyboard = report_view.my_forms(found.forms[:MAX_CARDS])
        if keyboard is not None:
            shown.append(("📊 " + esc(text), keyboard))
    return shown


def unknown_link() -> str:
    return esc(_("That link is not valid any more. /hjalp shows what I can do here."))
