"""A member leaves a body's group chat, or is removed from it: the membership ends (and the
person's data is erased after the partnership's retention period)."""

from __future__ import annotations

import logging

from telegram import ChatMember, User

from handlers.common import is_group
from handlers.wrapper import Act, in_chat
from services import departures, meeting_reminders
from storage import bodies

log = logging.getLogger(__name__)

GONE = {ChatMember.LEFT, ChatMember.BANNED}


def _who_left(act: Act) -> tuple[User, bool] | None:
    """The person who left and whether someone else removed them; None for other changes."""
    change = act.update.chat_member
    message = act.message
    if change is not None:
        if not is_group(change.chat) or change.new_chat_member.status not in GONE:
            return None
        if change.old_chat_member.status in GONE:
            return None
        user = change.new_chat_member.user
        return user, change.from_user.id != user.id
    if message is not None and message.left_chat_member is not None:
        user = message.left_chat_member
        return user, message.from_user is not None and message.from_user.id != user.id
    return None


@in_chat()
def member_left(act: Act) -> None:
    """`chat_member` updates (the bot is an admin) and "left the group" service messages."""
    found = _who_left(act)
    if found is None or found[0].is_bot:
        return
    user, removed = found
    if departures.left_chat(
        act.session, chat_id=act.chat.id, telegram_user_id=user.id, removed=removed, now=act.now
    ):
        log.info("a member left chat %s: membership ended", act.chat.id)
        # No more nudges about the body's meetings to someone no longer a member.
        body = bodies.get_body_by_chat(act.session, act.chat.id)
        if body is not None:
            meeting_reminders.sync_member_nudges(act.session, body, now=act.now)
