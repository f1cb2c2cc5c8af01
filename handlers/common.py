"""Small helpers every handler uses: replies, refusals, edits, chat-admin checks."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from telegram import Chat, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError

from governance.textsplit import split_html
from handlers.admin_cache import AdminCache
from handlers.bot_context import BotContext
from i18n import _, current_language
from services.errors import Refusal
from views.common import esc, mention, person_name
from views.deadline_reminders import long_date

log = logging.getLogger(__name__)
_ADMIN_CACHE = "admin-check-cache"

ANONYMOUS_ADMIN_ID = 1087968824

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "acting_user",
    "command_args",
    "edit_message",
    "esc",
    "is_chat_admin",
    "is_group",
    "mention",
    "person_name",
    "refusal_text",
    "refuse",
    "reply",
    "thread_of",
    "wake_dispatcher",
]


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


def _param(value: Any) -> str:
    """A refusal's parameter as the user reads it: a day the Swedish (or English) way."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return long_date(value, current_language())
    return str(value)


def refusal_text(refusal: Refusal) -> str:
    return _(refusal.message).format(**{k: esc(_param(v)) for k, v in refusal.params.items()})


async def refuse(update: Update, refusal: Refusal) -> None:
    text = refusal_text(refusal)
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    else:
        await reply(update, text)


async def edit_message(
    bot: Any,
    chat_id: int,
    message_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Edit a message in place. "Message is not modified" (a second press, a refresh with
    nothing new) counts as done; any other failure is logged and reported as False."""
    try:
        await bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        log.warning("could not edit message %s: %s", message_id, type(exc).__name__)
        return False
    except TelegramError as exc:
        log.warning("could not edit message %s: %s", message_id, type(exc).__name__)
        return False
    return True


def command_args(context: BotContext) -> str:
    return " ".join(context.args or []).strip()


def is_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def thread_of(message: Message | None, default: int | None) -> int | None:
    """The forum topic to answer in: the message's own, else the body's stored one."""
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return default


def acting_user(update: Update) -> User | None:
    """The real user behind an update; None for an anonymous admin or a channel."""
    user = update.effective_user
    if user is None or user.id == ANONYMOUS_ADMIN_ID or user.is_bot:
        return None
    return user


async def is_chat_admin(update: Update, context: BotContext) -> bool:
    """Asked of Telegram, never trusted from stored state; an answer is kept for half a minute
    per chat and user, and forgotten at once when Telegram reports that person's status changed
    (`first_look`)."""
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
    cache = admin_cache(context)
    known = cache.get(chat.id, user.id)
    if known is not None:
        return known
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError:
        log.warning("could not check admin rights in chat %s", chat.id)
        return False
    is_admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
    cache.put(chat.id, user.id, is_admin)
    return is_admin


def admin_cache(context: BotContext) -> AdminCache:
    """Telegram's admin answers of the last half minute (`handlers.admin_cache`)."""
    found = context.bot_data.get(_ADMIN_CACHE)
    if found is None:
        found = context.bot_data[_ADMIN_CACHE] = AdminCache()
    return found  # type: ignore[no-any-return]


async def first_look(update: Update, context: BotContext) -> None:
    """Before anything else: this task handles updates (its sends go before background sends),
    and a reported change of someone's status in a chat forgets their cached admin answer."""
    from delivery.ratelimit import mark_interactive

    mark_interactive()
    changed = update.chat_member or update.my_chat_member
    if changed is not None:
        cache = admin_cache(context)
        if update.my_chat_member is not None:
            cache.forget(changed.chat.id)
        else:
            cache.forget(changed.chat.id, changed.new_chat_member.user.id)


async def wake_dispatcher(context: BotContext) -> None:
    """Something is due now (a posted-back decision, a linked chat's reminders): send it soon
    rather than at the dispatcher's next safety run."""
    from delivery.dispatcher import get_dispatcher

    dispatcher = get_dispatcher(context.bot_data)
    if dispatcher is not None:
        await dispatcher.wake()
