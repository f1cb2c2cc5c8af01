"""Small helpers every handler uses: services, replies, refusals, chat-admin checks."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import Chat, Message, Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from governance.textsplit import split_html, truncate_plain
from i18n import _
from services.errors import Refusal
from storage.models import Person
from storage.runtime import Runtime

log = logging.getLogger(__name__)

ANONYMOUS_ADMIN_ID = 1087968824
Context = ContextTypes.DEFAULT_TYPE


def services(context: Context) -> Runtime:
    return context.bot_data["services"]  # type: ignore[no-any-return]


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def person_name(person: Person) -> str:
    if person.erased:
        return _("(erased member)")
    full = " ".join(part for part in (person.first_name, person.last_name) if part)
    return truncate_plain(full or (person.username or str(person.telegram_user_id)), 64)


def mention(person: Person) -> str:
    return f'<a href="tg://user?id={person.telegram_user_id}">{esc(person_name(person))}</a>'


async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
    """Answer in the chat (and forum topic) the update came from, split safely if long."""
    message = update.effective_message
    chat = update.effective_chat
    if chat is None:
        return None
    chunks = split_html(text)
    sent: Message | None = None
    for index, chunk in enumerate(chunks):
        extra = kwargs if index == len(chunks) - 1 else {}
        if message is not None:
            sent = await message.reply_text(chunk, do_quote=False, **extra)
        else:
            sent = await chat.send_message(chunk, **extra)
    return sent


async def refuse(update: Update, refusal: Refusal) -> None:
    text = _(refusal.message).format(**{k: esc(v) for k, v in refusal.params.items()})
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    else:
        await reply(update, text)


def command_args(context: Context) -> str:
    return " ".join(context.args or []).strip()


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def acting_user(update: Update) -> User | None:
    """The real user behind an update; None for an anonymous admin or a channel."""
    user = update.effective_user
    if user is None or user.id == ANONYMOUS_ADMIN_ID or user.is_bot:
        return None
    return user


async def is_chat_admin(update: Update, context: Context) -> bool:
    """Re-checked with Telegram on every privileged action; never trusted from stored state."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None:
        return False
    if message is not None and message.sender_chat is not None:
        # Telegram only lets the group's own anonymous admins post as the group itself.
        return message.sender_chat.id == chat.id
    user = acting_user(update)
    if user is None or not is_group(chat):
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError:
        log.warning("could not check admin rights in chat %s", chat.id)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def wake_dispatcher(context: Context) -> None:
    """Something is due now (a posted-back decision, a linked chat's reminders): send it soon
    rather than at the dispatcher's next safety run."""
    from delivery.dispatcher import get_dispatcher

    dispatcher = get_dispatcher(context.bot_data)
    if dispatcher is not None:
        await dispatcher.wake()
