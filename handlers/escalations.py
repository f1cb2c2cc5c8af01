"""/lyft (raise a question to the styrgrupp, confirmed by the chair with a button) and /lyfta."""

from __future__ import annotations

import logging
from datetime import datetime

from babel.dates import format_date, format_datetime
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from governance.textsplit import truncate_plain
from handlers.common import (
    Context,
    acting_user,
    command_args,
    esc,
    is_chat_admin,
    mention,
    refuse,
    reply,
    wake_dispatcher,
)
from i18n import N_, _, current_language
from services import escalations
from services.chats import linked_body
from services.errors import Refusal
from services.meetings import zone_of
from services.roles import role_in_body
from storage.db import transaction
from storage.models import (
    AgendaItem,
    Escalation,
    Meeting,
    MeetingStatus,
    Partnership,
    Person,
)
from views import escalation_reminders as escalation_texts  # noqa: F401  (registers the escalation renderers)

log = logging.getLogger(__name__)

PREFIX = "es"  # callback data "es:<escalation id>:c" (confirm) or ":w" (withdraw)
CONFIRM, WITHDRAW = "c", "w"

STATUS_NAMES = {
    "proposed": N_("waiting for the chair's confirmation"),
    "raised": N_("raised, waiting for the styrgrupp chat to be linked"),
    "on_agenda": N_("on the styrgrupp's agenda"),
    "decided": N_("decided, being reported back"),
}


def _published_meeting_of(session: Session, escalation: Escalation) -> int | None:
    if escalation.agenda_item_id is None:
        return None
    item = session.get(AgendaItem, escalation.agenda_item_id)
    if item is None or item.meeting_id is None:
        return None
    meeting = session.get(Meeting, item.meeting_id)
    if meeting is None or meeting.status != MeetingStatus.PUBLISHED:
        return None
    return meeting.id


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


def _proposal_text(escalation: Escalation, proposer: Person | None) -> str:
    who = mention(proposer) if proposer is not None else "—"
    return (
        _("<b>Raise to the styrgrupp?</b> #{id}").format(id=escalation.id)
        + f"\n<blockquote>{esc(escalation.question)}</blockquote>\n"
        + _(
            "Proposed by {name}. The chair of the samverkansgrupp confirms with the button."
        ).format(name=who)
    )


async def raise_question(update: Update, context: Context) -> None:
    """/lyft <question>: any member proposes; the reply carries the chair's confirm button."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    user = acting_user(update)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            role = role_in_body(
                session, body, user.id if user else None, svc.today(), is_chat_admin=admin
            )
            escalation = escalations.propose(
                session,
                body=body,
                role=role,
                question=command_args(context),
                source_message_id=message.message_id,
                now=svc.now(),
            )
            assert escalation.id is not None
            text = _proposal_text(escalation, role.person)
            keyboard = _keyboard(escalation.id)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text, reply_markup=keyboard)


def _outcome_text(session: Session, escalation: Escalation) -> str:
    proposer = (
        session.get(Person, escalation.raised_by_person_id)
        if escalation.raised_by_person_id
        else None
    )
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


async def escalation_button(update: Update, context: Context) -> None:
    """es:<id>:c (the chair confirms) or es:<id>:w (withdrawn); a second press changes nothing."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    parts = query.data.split(":")
    if len(parts) != 3 or parts[2] not in (CONFIRM, WITHDRAW) or not parts[1].isdigit():
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    escalation_id, op = int(parts[1]), parts[2]
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            role = role_in_body(session, body, query.from_user.id, svc.today(), is_chat_admin=admin)
            action = escalations.confirm if op == CONFIRM else escalations.withdraw
            result = action(
                session, escalation_id=escalation_id, body=body, role=role, now=svc.now()
            )
            text = _outcome_text(session, result.escalation)
            # A question delivered onto an already published meeting changes its kallelse.
            published_meeting = _published_meeting_of(session, result.escalation)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    if not result.changed:
        await query.answer(_("This has already been handled."))
    else:
        await query.answer()
        await wake_dispatcher(context)
        if published_meeting is not None:
            from handlers.meetings import refresh_kallelse

            await refresh_kallelse(context, published_meeting)
    try:
        await query.edit_message_text(text, reply_markup=None)
    except TelegramError as exc:
        # "message is not modified" after a second press is expected.
        log.debug("could not update the escalation message: %s", type(exc).__name__)


def _age(days: int) -> str:
    if days == 0:
        return _("today")
    if days == 1:
        return _("1 day")
    return _("{days} days").format(days=days)


def _meeting_when(partnership: Partnership, starts_at: datetime) -> str:
    locale = "en" if current_language() == "en" else "sv"
    return format_datetime(starts_at, "d MMMM y HH:mm", tzinfo=zone_of(partnership), locale=locale)


async def list_escalations(update: Update, context: Context) -> None:
    """/lyfta: the partnership's open questions with their state and age."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            partnership = session.get(Partnership, body.partnership_id)
            assert partnership is not None
            found = escalations.open_escalations(session, partnership, now=svc.now())
            if not found:
                text = _("No questions raised to the styrgrupp are open.")
            else:
                lines = [_("<b>Questions raised to the styrgrupp</b> (oldest first)")]
                locale = "en" if current_language() == "en" else "sv"
                for entry in found:
                    e = entry.escalation
                    since = e.raised_at or e.created_at
                    state = _(STATUS_NAMES.get(e.status, e.status))
                    if entry.meeting is not None and e.status == "on_agenda":
                        state = _("on the agenda of the meeting on {when}").format(
                            when=_meeting_when(partnership, entry.meeting.starts_at)
                        )
                    lines.append(
                        f"\n<b>#{e.id}</b> {esc(truncate_plain(e.question, 300))}\n"
                        + _("{state} · since {day} ({age})").format(
                            state=esc(state),
                            day=format_date(since.date(), "long", locale=locale),
                            age=_age(entry.age_days),
                        )
                    )
                text = "\n".join(lines)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text)
