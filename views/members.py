"""/jag, /ledamoter, /ordforande: texts and buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from i18n import _, current_language
from services.members import MemberList
from services.people import FormalName
from storage.models import Party, Person
from views import links
from views.common import esc, mention, person_name, person_name_titled

CONFIRM, REJECT = "mc", "mr"  # callback data "mc:<membership id>", "mr:<membership id>"
CHAIR_DATE = "cd"  # "cd:<person id>:<yyyy-mm-dd>": the end of a chair's term, when ambiguous


def membership_request(
    person: Person, party: Party, membership_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "{person} asks to be registered as a representative of {party} here. The chair or the administrator confirms with the buttons below."
    ).format(person=mention(person), party=esc(party.name))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Confirm"), callback_data=f"{CONFIRM}:{membership_id}"),
                InlineKeyboardButton(_("Reject"), callback_data=f"{REJECT}:{membership_id}"),
            ]
        ]
    )
    return text, keyboard


def membership_decided(
    person: Person,
    party: Party,
    decider: Person | None,
    *,
    confirmed: bool,
    body_id: int | None = None,
    bot_username: str | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The request's message once decided; a confirmed member is invited into the private chat,
    where their own reminders and votes come (a deep-link button)."""
    if confirmed:
        text = _("{person} represents {party}. Confirmed by {decider}.")
    else:
        text = _("{person}'s request to represent {party} was not confirmed ({decider}).")
    shown = text.format(
        person=mention(person),
        party=esc(party.name),
        decider=esc(person_name(decider)) if decider else esc(_("an admin")),
    )
    button = (
        links.start_button(links.body_payload(body_id), current_language(), bot_username)
        if confirmed and body_id is not None
        else None
    )
    if button is None:
        return shown, None
    shown += "\n\n" + esc(
        _(
            "{name}: start a private chat with me to get your own reminders there – meetings you have not answered, open votes, your action items."
        ).format(name=person_name(person))
    )
    return shown, InlineKeyboardMarkup([[links.ptb_button(button)]])


def member_list(listing: MemberList) -> str:
    chair = listing.chair
    lines = [_("<b>Members of the {body}</b>").format(body=esc(listing.body.name))]
    for party in listing.parties:
        names = [p for p, pa in listing.confirmed if pa.id == party.id]
        rendered = ", ".join(
            esc(person_name_titled(p))
            + (" " + _("(chair)") if chair and chair[1].id == p.id else "")
            for p in names
        )
        lines.append(f"• <b>{esc(party.name)}</b>: {rendered or '—'}")
    if listing.pending:
        lines.append("")
        lines.append(
            _("Waiting for confirmation: {names}").format(
                names=", ".join(esc(person_name(p)) for p in listing.pending)
            )
        )
    lines.append("")
    if chair:
        term, person = chair
        until = term.ends_on.isoformat() if term.ends_on else _("until further notice")
        lines.append(
            _("Chair: {name}, term until {until}").format(
                name=esc(person_name(person)), until=esc(until)
            )
        )
    else:
        lines.append(_("No chair is recorded. Record one with /ordforande @name."))
    return "\n".join(lines)


def chair_date_question(person_id: int, days: Sequence[date]) -> tuple[str, InlineKeyboardMarkup]:
    """Never guess between 3 April and 4 March: ask with buttons."""
    buttons = [
        InlineKeyboardButton(
            day.isoformat(), callback_data=f"{CHAIR_DATE}:{person_id}:{day.isoformat()}"
        )
        for day in days
    ]
    return _("Which date did you mean for the end of the term?"), InlineKeyboardMarkup([buttons])


def chair_appointed(chair: Person, body_name: str, ends_on: date | None) -> str:
    if ends_on:
        return _("{name} is now chair of the {body}, term until {until}.").format(
            name=mention(chair), body=esc(body_name), until=ends_on.isoformat()
        )
    return _("{name} is now chair of the {body}, until a new chair is chosen.").format(
        name=mention(chair), body=esc(body_name)
    )


def formal_name_now(person: Person) -> str:
    """/namn without a name: what the minutes call the person now, and how to change it."""
    if person.formal_name:
        now = _("In minutes and kallelser you are named: {name}").format(
            name=esc(person_name_titled(person))
        )
    else:
        now = _("In minutes and kallelser you are named by your Telegram name: {name}").format(
            name=esc(person_name(person))
        )
    return "\n".join(
        [
            now,
            _(
                "Give your full name, and a title after a comma if you like: "
                "/namn Anna Andersson, enhetschef (/namn - goes back to your Telegram name)."
            ),
        ]
    )


def formal_name_set(person: Person, chosen: FormalName) -> str:
    if chosen.name is None:
        return _("Done: minutes and kallelser use your Telegram name again: {name}").format(
            name=esc(person_name(person))
        )
    return _("Done: minutes, kallelser and the register name you {name}.").format(
        name=esc(person_name_titled(person))
    )
