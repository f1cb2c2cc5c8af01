"""Pre-handlers: each update once, remember who wrote and pick their language, keep personal
identity numbers out.

Each takes its own short transaction before the handler's (see `handlers.wrapper` for where
they fold into one transaction per update)."""

from __future__ import annotations

import asyncio

from telegram import Chat, Update
from telegram.ext import ApplicationHandlerStop

from governance.personnummer import contains_personal_identity_number
from handlers.bot_context import BotContext
from handlers.common import acting_user, reply
from i18n import _, pick_language, set_language
from services import senders
from storage.db import transaction


async def handle_once(update: Update, context: BotContext) -> None:
    """Stops an update that was already taken by this or another bot process."""
    svc = context.runtime
    with transaction(svc.session_factory) as session:
        first = senders.claim(session, update.update_id, svc.now())
    if not first:
        raise ApplicationHandlerStop


async def forget_old_updates(context: BotContext) -> None:
    svc = context.runtime

    def forget() -> None:
        with transaction(svc.session_factory) as session:
            senders.forget_old(session, svc.now())

    # A job: off the event loop, so it never waits for a lock a handler holds (see votes.sweep).
    await asyncio.to_thread(forget)


async def remember_sender(update: Update, context: BotContext) -> None:
    svc = context.runtime
    user = acting_user(update)
    chat = update.effective_chat
    sender = (
        senders.Sender(user.id, user.first_name, user.last_name, user.username, user.language_code)
        if user is not None
        else None
    )
    with transaction(svc.session_factory) as session:
        default, allowed = senders.remember(
            session,
            sender=sender,
            group_chat_id=chat.id if chat is not None and chat.type != Chat.PRIVATE else None,
            private_chat_id=chat.id if chat is not None and chat.type == Chat.PRIVATE else None,
            fallback_language=svc.settings.bot_language,
            now=svc.now(),
        )
    set_language(pick_language(user.language_code if user else None, default, allowed))


async def refuse_identity_numbers(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    text = message.text or message.caption or ""
    if text and contains_personal_identity_number(text):
        await reply(
            update,
            _(
                "That message looks like it contains a Swedish personal identity number "
                "(personnummer or samordningsnummer). Minutes and reports are about the "
                "partnership, never about individuals, so it was not recorded. Please write it "
                "again without the number."
            ),
        )
        raise ApplicationHandlerStop
