"""/jag with confirmation, /ledamoter, /ordforande."""

from __future__ import annotations

import logging
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import TelegramError

from governance.timeparse import AmbiguousDate, Invalid, parse_date
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
from handlers.dates import date_error_text
from i18n import N_, _
from services import deadlines, members
from services.chats import linked_body
from services.errors import Refusal
from services.partnerships import chair_term_months
from services.roles import role_in_body
from storage import bodies, people
from storage.db import transaction
from storage.models import Partnership, Person

log = logging.getLogger(__name__)

CONFIRM, REJECT = "mc", "mr"
CHAIR_DATE = "cd"


async def iam(update: Update, context: Context) -> None:
    chat, user = update.effective_chat, acting_user(update)
    if chat is None:
        return
    if user is None:
        await reply(
            update,
            _("Write /jag from your own account, not anonymously, so the others know who you are."),
        )
        return
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            person = people.get_person_by_telegram_id(session, user.id)
            assert person is not None
            request = members.request_membership(
                session, body=body, person=person, party_query=command_args(context), now=svc.now()
            )
            membership_id = request.membership.id
            text = _(
                "{person} says they represent {party} in this body. The chair or the administrator can confirm."
            ).format(person=mention(person), party=esc(request.party.name))
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Confirm"), callback_data=f"{CONFIRM}:{membership_id}"),
                InlineKeyboardButton(_("Reject"), callback_data=f"{REJECT}:{membership_id}"),
            ]
        ]
    )
    await reply(update, text, reply_markup=keyboard)


async def decide(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    action, _sep, raw_id = query.data.partition(":")
    if not raw_id.isdigit():
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    svc = services(context)
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            partnership = session.get(Partnership, body.partnership_id)
            assert partnership is not None
            today = svc.today()
            role = role_in_body(session, body, query.from_user.id, today, is_chat_admin=admin)
            _membership, person, party = members.decide_membership(
                session,
                body=body,
                membership_id=int(raw_id),
                approve=action == CONFIRM,
                decider=role,
                now=svc.now(),
                today=today,
            )
            decider = role.person
            if action == CONFIRM:
                text = _("{person} represents {party}. Confirmed by {decider}.")
            else:
                text = _("{person}'s request to represent {party} was not confirmed ({decider}).")
            text = text.format(
                person=mention(person),
                party=esc(party.name),
                decider=esc(person_name(decider)) if decider else esc(_("an admin")),
            )
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer()
    try:
        await query.edit_message_text(text)
    except TelegramError as exc:
        log.warning("could not edit confirmation message: %s", type(exc).__name__)


async def list_members(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            assert body.id is not None
            confirmed = people.confirmed_members(session, body.id)
            pending = people.pending_members(session, body.id)
            chair = people.current_chair(session, body.id, svc.today())
            parties = bodies.parties_of(session, body.partnership_id)
            lines = [_("<b>Members of the {body}</b>").format(body=esc(body.name))]
            for party in parties:
                names = [p for m, p, pa in confirmed if pa.id == party.id]
                rendered = ", ".join(
                    esc(person_name(p))
                    + (" " + _("(chair)") if chair and chair[1].id == p.id else "")
                    for p in names
                )
                lines.append(f"• <b>{esc(party.name)}</b>: {rendered or '—'}")
            if pending:
                lines.append("")
                lines.append(
                    _("Waiting for confirmation: {names}").format(
                        names=", ".join(esc(person_name(p)) for _m, p in pending)
                    )
                )
            if chair:
                term, person = chair
                until = term.ends_on.isoformat() if term.ends_on else _("until further notice")
                lines.append("")
                lines.append(
                    _("Chair: {name}, term until {until}").format(
                        name=esc(person_name(person)), until=esc(until)
                    )
                )
            else:
                lines.append("")
                lines.append(_("No chair is recorded. Record one with /ordforande @name."))
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, "\n".join(lines))


def _target_user(update: Update, session) -> tuple[Person | None, str]:  # type: ignore[no-untyped-def]
    """The person named by a text mention, an @username, or the message replied to."""
    message = update.effective_message
    assert message is not None
    rest = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            person = people.get_person_by_telegram_id(session, entity.user.id)
            text = rest[entity.offset + entity.length :]
            return person, text.strip()
        if entity.type == MessageEntity.MENTION:
            username = message.parse_entity(entity)
            text = rest[entity.offset + entity.length :]
            return people.find_person_by_username(session, username), text.strip()
    words = rest.split()
    if len(words) > 1 and words[1].startswith("@") and len(words[1]) > 1:
        return people.find_person_by_username(session, words[1]), " ".join(words[2:])
    if message.reply_to_message and message.reply_to_message.from_user:
        target = message.reply_to_message.from_user
        words = rest.split(maxsplit=1)
        return people.get_person_by_telegram_id(session, target.id), (
            words[1] if len(words) > 1 else ""
        )
    return None, ""


async def appoint_chair(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            linked_body(session, chat.id)
            target, rest = _target_user(update, session)
            if target is None:
                raise Refusal(
                    N_(
                        "Name the new chair: /ordforande @username [until date], or reply to one of their messages with /ordforande."
                    )
                )
            until: date | None = None
            if rest:
                result = parse_date(rest, today=svc.today())
                if isinstance(result, Invalid):
                    raise Refusal(date_error_text(result.code))
                if isinstance(result, AmbiguousDate):
                    # Never guess between 3 April and 4 March: ask with buttons.
                    buttons = [
                        InlineKeyboardButton(
                            day.isoformat(),
                            callback_data=f"{CHAIR_DATE}:{target.id}:{day.isoformat()}",
                        )
                        for day in result.candidates
                    ]
                    question = _("Which date did you mean for the end of the term?")
                    await reply(update, question, reply_markup=InlineKeyboardMarkup([buttons]))
                    return
                until = result.day
            text = await _appoint(update, context, session, chat.id, target, until)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text)


async def appoint_chair_with_date(update: Update, context: Context) -> None:
    """The answer to "which date did you mean?": the presser's own rights are checked again."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    parts = query.data.split(":")
    try:
        person_id, until = int(parts[1]), date.fromisoformat(parts[2])
    except (IndexError, ValueError):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            target = session.get(Person, person_id)
            if target is None:
                raise Refusal(N_("This request no longer exists."))
            text = await _appoint(update, context, session, chat.id, target, until)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer()
    try:
        await query.edit_message_text(text)
    except TelegramError as exc:
        log.warning("could not edit the date question: %s", type(exc).__name__)


async def _appoint(
    update: Update, context: Context, session, chat_id: int, target: Person, until: date | None
) -> str:  # type: ignore[no-untyped-def]
    svc = services(context)
    body = linked_body(session, chat_id)
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    today = svc.today()
    admin = await is_chat_admin(update, context)
    user = acting_user(update)
    role = role_in_body(session, body, user.id if user else None, today, is_chat_admin=admin)
    term = members.appoint_chair(
        session,
        body=body,
        appointer=role,
        chair=target,
        until=until,
        term_months=chair_term_months(partnership, body.kind),
        today=today,
        now=svc.now(),
    )
    # The end of the new term is a deadline with its own reminders.
    deadlines.sync_reminders(session, partnership, now=svc.now())
    if term.ends_on:
        return _("{name} is now chair of the {body}, term until {until}.").format(
            name=mention(target), body=esc(body.name), until=term.ends_on.isoformat()
        )
    return _("{name} is now chair of the {body}, until a new chair is chosen.").format(
        name=mention(target), body=esc(body.name)
    )
