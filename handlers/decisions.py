"""/beslutslogg, /revideringar, /godkann, /uppgifter (with "Done" buttons), /protokollforare."""

from __future__ import annotations

import logging
from datetime import date

from babel.dates import format_date
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from governance.decision_input import CADENCE_CHANGE
from governance.textsplit import truncate_plain
from handlers.common import (
    Context,
    acting_user,
    command_args,
    esc,
    is_chat_admin,
    mention,
    person_name,
    refuse,
    reply,
    services,
)
from i18n import N_, _, current_language
from services import actions, decisions, documentation
from services.chats import linked_body
from services.errors import Refusal
from services.roles import role_in_body
from storage import bodies
from storage import meetings as meeting_repo
from storage.db import transaction
from storage.models import ActionItem, Body, Decision, Meeting, Partnership, Party, Person
from views import (
    decision_reminders as decision_texts,  # importing it also registers the reminder renderers
)

log = logging.getLogger(__name__)

DONE = "ad"  # callback data "ad:<action item id>"
MAX_BUTTONS = 40

# How the decision input is written: shown when /beslut is empty and by /beslutslogg.
DECISION_SYNTAX_HELP = N_(
    "<b>Decision types</b> (a tag in brackets before the text; without a tag the decision is ordinary):\n"
    "<code>[mindre revidering Party]</code> minor revision of a party's commitments (styrgrupp mandate)\n"
    "<code>[väsentlig revidering Party]</code> significant revision, also needs the förvaltningschef's approval\n"
    "<code>[budgetram]</code> change of the budget frame, decided by socialnämnden\n"
    "<code>[brist dialog Party]</code> deficiency: dialogue\n"
    "<code>[åtgärdsplan Party 2026-03-01]</code> deficiency: action plan with a due date\n"
    "<code>[uteslutning Party]</code> deficiency: the party is removed\n"
    "<code>[ny part Name]</code> a new party\n"
    "<code>[mötesintervall 2]</code> the body's meeting interval in months, where the agreement allows it\n"
    "English tags work too: [minor revision …], [significant revision …], [budget frame], "
    "[deficiency dialogue …], [action plan … date], [removal …], [new party …], [meeting interval …]."
)

KIND_NAMES = {
    "ordinary": N_("ordinary"),
    "revision_minor": N_("minor revision"),
    "revision_significant": N_("significant revision"),
    "budget_frame": N_("budget frame"),
    "deficiency_dialogue": N_("deficiency: dialogue"),
    "deficiency_action_plan": N_("deficiency: action plan"),
    "deficiency_removal": N_("deficiency: removal"),
    "new_party": N_("new party"),
    CADENCE_CHANGE: N_("meeting interval"),
}


def _day(day: date) -> str:
    return format_date(day, "short", locale="en" if current_language() == "en" else "sv")


def _paragraph(session: Session, decision: Decision) -> int | None:
    """The § of the decision's agenda item: its place among the meeting's items kept."""
    if decision.meeting_id is None or decision.agenda_item_id is None:
        return None
    kept = [i for i in meeting_repo.agenda_of(session, decision.meeting_id) if not i.dropped]
    ids = [i.id for i in kept]
    return ids.index(decision.agenda_item_id) + 1 if decision.agenda_item_id in ids else None


def _status(decision: Decision) -> str | None:
    approver = decision_texts.approver_name(decision.approval_by, current_language())
    if decision.status == "pending_approval":
        return _("waiting for approval by {approver}").format(approver=esc(approver))
    if decision.status == "approved" and decision.approved_at is not None:
        return _("approved by {approver}").format(approver=esc(approver))
    if decision.status == "rejected":
        return _("not approved")
    if decision.status == "struck":
        return _("struck from the minutes")
    return None


def decision_line(
    session: Session, body: Body, decision: Decision, party: Party | None, *, with_body: bool
) -> str:
    """One register line: number, date, meeting and §, type, party, text, status."""
    facts = [_day(decision.decided_on)]
    meeting = session.get(Meeting, decision.meeting_id) if decision.meeting_id else None
    if meeting is not None and meeting.number is not None:
        facts.append(_("meeting {number}/{year}").format(number=meeting.number, year=meeting.year))
    paragraph = _paragraph(session, decision)
    if paragraph is not None:
        facts.append(f"§ {paragraph}")
    if decision.kind != "ordinary":
        facts.append(esc(_(KIND_NAMES.get(decision.kind, decision.kind))))
    if party is not None:
        facts.append(esc(party.name))
    if decision.due_on is not None:
        facts.append(_("due {day}").format(day=_day(decision.due_on)))
    status = _status(decision)
    if status:
        facts.append(f"<i>{status}</i>")
    label = decisions.decision_label(body, decision)
    head = f"<b>{esc(label)}</b>" + (f" ({esc(body.name)})" if with_body else "")
    return f"{head} · {' · '.join(facts)}\n{esc(truncate_plain(decision.text, 600))}"


async def decision_log(update: Update, context: Context) -> None:
    """/beslutslogg [text]: the body's register, newest first, filtered by the words given."""
    chat = update.effective_chat
    if chat is None:
        return
    query = command_args(context)
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            parties = bodies.parties_of(session, body.partnership_id, active_only=False)
            by_id = {p.id: p for p in parties}
            found = decisions.search_decisions(session, body, query, parties=parties)
            if not found:
                if query:
                    text = _("No decision in the register of the {body} matches “{query}”.")
                else:
                    text = _("The register of the {body} has no decisions yet.")
                text = text.format(body=esc(body.name), query=esc(query))
                text += "\n\n" + _(DECISION_SYNTAX_HELP)
            else:
                title = (
                    _("<b>Decisions of the {body} matching “{query}”</b>")
                    if query
                    else _("<b>Decision register of the {body}</b> (latest first)")
                )
                lines = [title.format(body=esc(body.name), query=esc(query))]
                lines += [
                    decision_line(session, body, d, by_id.get(d.party_id), with_body=False)
                    for d in found
                ]
                text = "\n\n".join(lines)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text)


async def revisions(update: Update, context: Context) -> None:
    """/revideringar: revisions of commitments per party, with the agreement's diarienummer."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            partnership = session.get(Partnership, body.partnership_id)
            assert partnership is not None and partnership.id is not None
            grouped = decisions.revisions_by_party(session, partnership.id)
            lines = [
                _("<b>Revisions of commitments</b> · {dnr} {name}").format(
                    dnr=esc(partnership.diarienummer), name=esc(partnership.name)
                )
            ]
            if not grouped:
                lines.append(_("No revision of a party's commitments is registered."))
            for party, rows in grouped:
                if party is not None:
                    lines.append(
                        f"\n<b>{esc(party.name)}</b> ({esc(party.org_number)}) · "
                        + esc(partnership.diarienummer)
                    )
                else:
                    lines.append("\n<b>" + _("All parties") + "</b>")
                for decision, decided_by in rows:
                    lines.append(
                        decision_line(session, decided_by, decision, None, with_body=False)
                    )
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, "\n".join(lines))


async def approve(update: Update, context: Context) -> None:
    """/godkann <number> [note]: the administrator records an outside approval."""
    chat = update.effective_chat
    if chat is None:
        return
    words = command_args(context).split()
    # "SG 2026:7 note" or "SG2026:7 note": the number is one or two words.
    label, note = "", ""
    for size in (2, 1):
        if len(words) >= size and decisions.parse_label(" ".join(words[:size])) is not None:
            label, note = " ".join(words[:size]), " ".join(words[size:])
            break
    svc = services(context)
    admin = await is_chat_admin(update, context)
    user = acting_user(update)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            partnership = session.get(Partnership, body.partnership_id)
            assert partnership is not None
            role = role_in_body(
                session, body, user.id if user else None, svc.today(), is_chat_admin=admin
            )
            decision, decided_by = decisions.approve_decision(
                session,
                partnership=partnership,
                label=label or " ".join(words),
                role=role,
                note=note,
                now=svc.now(),
            )
            approver = decision_texts.approver_name(decision.approval_by, current_language())
            text = _("{label} is approved by {approver}. The reminders stop.").format(
                label=f"<b>{esc(decisions.decision_label(decided_by, decision))}</b>",
                approver=esc(approver),
            )
            if decision.approval_note:
                text += "\n" + _("Note: {note}").format(note=esc(decision.approval_note))
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text)


def _actions_view(session: Session, body: Body) -> tuple[str, InlineKeyboardMarkup | None]:
    assert body.id is not None
    items = actions.open_action_items(session, body.id)
    if not items:
        return _("No open action items in the {body}.").format(body=esc(body.name)), None
    lines = [_("<b>Open action items of the {body}</b>").format(body=esc(body.name))]
    buttons: list[list[InlineKeyboardButton]] = []
    for index, (item, owner) in enumerate(items, start=1):
        lines.append(_action_line(index, item, owner))
        if index <= MAX_BUTTONS:
            label = _("Done {number}: {text}").format(
                number=index, text=truncate_plain(item.text, 40)
            )
            buttons.append([InlineKeyboardButton(label, callback_data=f"{DONE}:{item.id}")])
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def _action_line(index: int, item: ActionItem, owner: Person) -> str:
    return _("{number}. {text} – {owner}, due {day}").format(
        number=index,
        text=esc(truncate_plain(item.text, 300)),
        owner=esc(person_name(owner)),
        day=_day(item.due_on),
    )


async def list_actions(update: Update, context: Context) -> None:
    """/uppgifter: the open action items with a button each to mark it done."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            text, keyboard = _actions_view(session, body)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text, reply_markup=keyboard)


async def done_button(update: Update, context: Context) -> None:
    """The owner, the chair or the administrator marks an item done; others get a toast."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    _prefix, _sep, raw_id = query.data.partition(":")
    if not raw_id.isdigit():
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    svc = services(context)
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            role = role_in_body(session, body, query.from_user.id, svc.today(), is_chat_admin=admin)
            item, _owner = actions.mark_done(
                session, body=body, item_id=int(raw_id), role=role, now=svc.now()
            )
            toast = _("Marked done: {text}").format(text=truncate_plain(item.text, 150))
            text, keyboard = _actions_view(session, body)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer(toast[:200])
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except TelegramError as exc:
        log.warning("could not update the action item list: %s", type(exc).__name__)


async def minute_taker(update: Update, context: Context) -> None:
    """/protokollforare: who writes the minutes of the next meeting, by the file's rule."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            duty, person, party = documentation.next_minute_taker(session, body, today=svc.today())
            text = _minute_taker_text(body, duty, person, party)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text)


def _minute_taker_text(body: Body, duty: str, person: Person | None, party: Party | None) -> str:
    name = esc(body.name)
    if duty == "rotating_party":
        if party is None:
            return _(
                "In the {body} a party holds the documentation duty and it rotates, but no party has confirmed members yet. Members say their party with /jag."
            ).format(body=name)
        return _(
            "{party} writes the minutes of the next meeting of the {body}. The duty then passes to the next party."
        ).format(party=esc(party.name), body=name)
    if person is None:
        return _(
            "The chair is responsible for the minutes of the {body}, but no chair is recorded. Record one with /ordforande @name."
        ).format(body=name)
    if duty == "chair_led_shared":
        return _(
            "{person} writes the minutes of the next meeting of the {body}. The chair is responsible and shares the writing out."
        ).format(person=mention(person), body=name)
    return _("{person} writes the minutes of the next meeting of the {body}.").format(
        person=mention(person), body=name
    )
