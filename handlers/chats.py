"""The bot joining and leaving groups, group migration, and /koppla."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.error import TelegramError

from handlers.common import (
    Context,
    acting_user,
    command_args,
    esc,
    is_chat_admin,
    is_group,
    refuse,
    reply,
    wake_dispatcher,
)
from i18n import _
from services import chats, deadlines, escalations
from services.errors import Refusal
from storage.db import transaction

log = logging.getLogger(__name__)

PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


def _was_and_is_present(change: ChatMemberUpdated) -> tuple[bool, bool]:
    old, new = change.old_chat_member, change.new_chat_member
    was = old.status in PRESENT and getattr(old, "is_member", True) is not False
    now = new.status in PRESENT and getattr(new, "is_member", True) is not False
    return was, now


async def bot_membership_changed(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None or not is_group(change.chat):
        return
    was, now = _was_and_is_present(change)
    svc = context.runtime
    chat_id = change.chat.id
    if was and not now:
        with transaction(svc.session_factory) as session:
            body = chats.bot_left_chat(session, chat_id, svc.now())
        if body is not None:
            log.info("bot removed from chat %s: its messages are paused", chat_id)
        return
    if now and not was:
        with transaction(svc.session_factory) as session:
            body = chats.bot_back_in_chat(session, chat_id, svc.now())
        if body is not None:
            text = _("Thank you for adding me back. Reminders for this group are on again.")
        else:
            text = _(
                "Hello! I help the partnership's steering group (styrgrupp) and collaboration "
                "group (samverkansgrupp) with meetings, minutes, decisions, votes, reminders and "
                "reports.\n\nTo start, the partnership's administrator or an admin of this group "
                "links the group to its body:\n<code>/koppla SOF 2025/144 samverkansgrupp</code>\n"
                "(the diarienummer, then styrgrupp or samverkansgrupp). Then each member writes "
                "<code>/jag</code> and the name of their organisation. /hjalp shows everything."
            )
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError as exc:
            log.warning("could not greet chat %s: %s", chat_id, type(exc).__name__)


async def chat_migrated(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    svc = context.runtime
    with transaction(svc.session_factory) as session:
        body = chats.chat_migrated(session, old, new, svc.now())
    if body is not None:
        log.info("chat %s became supergroup %s", old, new)
    context.application.migrate_chat_data(old_chat_id=old, new_chat_id=new)


async def link(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    if not is_group(chat):
        await reply(update, _("Run /koppla in the group chat of the styrgrupp or samverkansgrupp."))
        return
    args = command_args(context).split()
    if len(args) < 2:
        await reply(
            update,
            _(
                "Write the partnership's diarienummer and the body, for example:\n"
                "<code>/koppla SOF 2025/144 samverkansgrupp</code>"
            ),
        )
        return
    diarienummer, body_text = " ".join(args[:-1]), args[-1]
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    user = acting_user(update)
    thread_id = message.message_thread_id if message.is_topic_message else None
    try:
        with transaction(svc.session_factory) as session:
            result = chats.link_chat(
                session,
                diarienummer=diarienummer,
                body_text=body_text,
                chat_id=chat.id,
                thread_id=thread_id,
                chat_title=chat.title,
                user_id=user.id if user else None,
                is_chat_admin=admin,
                now=svc.now(),
            )
            partnership_name = result.partnership.name
            dnr = result.partnership.diarienummer
            body_name = result.body.name
            # The chat now receives this body's deadline reminders, from this transaction on.
            deadlines.sync_reminders(session, result.partnership, now=svc.now())
            # Items raised to a styrgrupp that had no chat yet are delivered now.
            escalations.deliver_pending(session, result.partnership, now=svc.now())
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await wake_dispatcher(context)
    if result.already_linked:
        text = _("This chat is already the {body} of {name} ({dnr}).")
    else:
        text = _(
            "This chat is now the {body} of {name} ({dnr}).\n\nEach member: write "
            "<code>/jag</code> and your organisation, e.g. <code>/jag Convictus</code>. "
            "The chair or the administrator confirms."
        )
    await reply(update, text.format(body=esc(body_name), name=esc(partnership_name), dnr=esc(dnr)))
