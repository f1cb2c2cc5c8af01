"""The bot joining and leaving groups, group migration, and /koppla."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated
from telegram.error import TelegramError

from handlers.common import is_group
from handlers.wrapper import Act, in_chat
from i18n import N_
from services import chats, members
from services.errors import Refusal
from views import chats as view

log = logging.getLogger(__name__)

PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


def _was_and_is_present(change: ChatMemberUpdated) -> tuple[bool, bool]:
    old, new = change.old_chat_member, change.new_chat_member
    was = old.status in PRESENT and getattr(old, "is_member", True) is not False
    now = new.status in PRESENT and getattr(new, "is_member", True) is not False
    return was, now


@in_chat()
def bot_membership_changed(act: Act) -> None:
    change = act.update.my_chat_member
    if change is None or not is_group(change.chat):
        return
    was, now = _was_and_is_present(change)
    chat_id = change.chat.id
    if was and not now:
        if chats.bot_left_chat(act.session, chat_id, act.now) is not None:
            log.info("bot removed from chat %s: its messages are paused", chat_id)
        return
    if now and not was:
        back = chats.bot_back_in_chat(act.session, chat_id, act.now) is not None
        text = view.welcome_back() if back else view.greeting()

        async def greet() -> None:
            try:
                await act.context.bot.send_message(chat_id, text)
            except TelegramError as exc:
                log.warning("could not greet chat %s: %s", chat_id, type(exc).__name__)

        act.then(greet)


@in_chat()
def chat_migrated(act: Act) -> None:
    message = act.message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    if chats.chat_migrated(act.session, old, new, act.now) is not None:
        log.info("chat %s became supergroup %s", old, new)

    async def migrate_chat_data() -> None:
        act.context.application.migrate_chat_data(old_chat_id=old, new_chat_id=new)

    act.then(migrate_chat_data)


@in_chat(admin=True)
def link(act: Act) -> None:
    if not is_group(act.chat):
        raise Refusal(N_("Run /koppla in the group chat of the styrgrupp or samverkansgrupp."))
    args = act.args.split()
    if len(args) < 2:
        raise Refusal(
            N_(
                "Write the partnership's diarienummer and the body, for example:\n"
                "<code>/koppla SOF 2025/144 samverkansgrupp</code>"
            )
        )
    message, user = act.message, act.user
    thread_id = message.message_thread_id if message and message.is_topic_message else None
    # The chat's deadline reminders and the questions kept for a styrgrupp without a chat
    # follow (ChatLinked), and go out at once.
    result = chats.link_chat(
        act.session,
        diarienummer=" ".join(args[:-1]),
        body_text=args[-1],
        chat_id=act.chat.id,
        thread_id=thread_id,
        chat_title=act.chat.title,
        user_id=user.id if user else None,
        is_chat_admin=act.is_chat_admin,
        now=act.now,
    )
    assert result.partnership.id is not None
    act.reply(view.linked(result, members.example_party(act.session, result.partnership.id)))
