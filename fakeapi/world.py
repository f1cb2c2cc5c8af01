"""The state of the fake Telegram (chats, members, messages) and the updates users cause."""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakeapi.html import utf16_len
from fakeapi.models import (
    ANONYMOUS_ADMIN,
    BOT_ID,
    BOT_USER,
    BOT_USERNAME,
    FakeChat,
    FakeUser,
    SentMessage,
)
from fakeapi.schema import Schema, load_schema

MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
_STATUS_TYPES = {
    "creator": "ChatMemberOwner",
    "administrator": "ChatMemberAdministrator",
    "member": "ChatMemberMember",
    "restricted": "ChatMemberRestricted",
    "left": "ChatMemberLeft",
    "kicked": "ChatMemberBanned",
}


@dataclass
class StoredMessage:
    message: dict[str, Any]
    from_bot: bool
    deleted: bool = False
    sent: SentMessage | None = None


class World:
    """Chats, users, memberships and messages, plus builders of the updates users cause.

    The ``make_*`` builders change the state (a message gets an id, a member a status) and return
    the Update dict without queueing it, for ``Update.de_json(d, app.bot)``.
    """

    def __init__(self, schema: Schema | None = None) -> None:
        self.schema = schema or load_schema()
        self.clock: Callable[[], float] = time.time
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, FakeUser] = {BOT_ID: BOT_USER}
        self.statuses: dict[tuple[int, int], str] = {}
        self.migrated: dict[int, int] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.sent: list[SentMessage] = []
        self.callback_queries: dict[str, bool] = {}  # id -> answered
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # setMyDescription / setMyShortDescription: (method, language_code) -> text
        self.descriptions: dict[tuple[str, str], str] = {}
        self.pinned: dict[int, list[int]] = {}  # chat id -> pinned message ids, oldest first
        self.webhook_url = ""
        self.privacy_mode = True  # can_read_all_group_messages is false in getMe
        self._message_ids: dict[int, int] = {}
        self._update_ids = itertools.count(10_001)
        self._callback_ids = itertools.count(7_000_001)

    # -- state --------------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock())

    def add_chat(self, chat: FakeChat, *, bot_status: str = "member") -> FakeChat:
        """Makes a chat known (the bot is in it with ``bot_status`` unless already known)."""
        self.chats[chat.id] = chat
        self.statuses.setdefault((chat.id, BOT_ID), bot_status)
        return chat

    def add_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        return user

    def set_member_status(self, chat: FakeChat | int, user: FakeUser | int, status: str) -> None:
        """What getChatMember answers for ``user`` in ``chat``."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        chat_id = chat.id if isinstance(chat, FakeChat) else chat
        if isinstance(chat, FakeChat) and chat.id not in self.chats:
            self.add_chat(chat)
        if isinstance(user, FakeUser):
            self.add_user(user)
        elif user not in self.users:
            self.add_user(FakeUser(user, f"User {user}"))
        user_id = user.id if isinstance(user, FakeUser) else user
        self.statuses[(chat_id, user_id)] = status

    def member_status(self, chat_id: int, user_id: int) -> str:
        return self.statuses.get((chat_id, user_id), "member")

    def bot_status(self, chat_id: int) -> str:
        return self.member_status(chat_id, BOT_ID)

    def chat_member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        return self.member_object(self.users[user_id], self.member_status(chat_id, user_id))

    def member_object(self, user: FakeUser, status: str) -> dict[str, Any]:
        """A ChatMember of the subtype ``status`` selects, with every required field."""
        obj = self.schema.defaults(_STATUS_TYPES[status], status=status, user=user.to_dict())
        for key in obj:
            if key.startswith("can_") and key != "can_be_edited":
                obj[key] = status == "administrator"
        if status == "restricted":
            obj["is_member"] = True
        return obj

    def next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def store(self, message: dict[str, Any], *, sent: SentMessage | None = None) -> None:
        key = (message["chat"]["id"], message["message_id"])
        self.messages[key] = StoredMessage(message, from_bot=sent is not None, sent=sent)

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        return self.messages.get((chat_id, message_id))

    def _next_update(self, **payload: Any) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), **payload}

    def _known(self, chat: FakeChat, *users: FakeUser) -> None:
        if chat.id in self.migrated:
            raise AssertionError(f"chat {chat.id} was migrated to {self.migrated[chat.id]}")
        if chat.id not in self.chats:
            self.add_chat(chat)
        for user in users:
            self.add_user(user)

    # -- updates users cause ------------------------------------------------------------------

    def make_text(
        self,
        user: FakeUser,
        chat: FakeChat,
        text: str,
        *,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A text message; a leading /command gets its bot_command entity."""
        if chat.type == "private" and chat.id != user.id:
            raise AssertionError("a private chat's id is its user's id: use FakeChat.private(user)")
        self._known(chat, user)
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat.id),
            "date": self.now(),
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "text": text,
        }
        if sender_chat is not None:
            message["sender_chat"] = sender_chat.to_dict()
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.is_forum:
                message["is_topic_message"] = True
        if reply_to_message_id is not None:
            replied = self.find_message(chat.id, reply_to_message_id)
            if replied is None:
                raise AssertionError(f"no message {reply_to_message_id} in chat {chat.id}")
            message["reply_to_message"] = copy.deepcopy(replied.message)
        self.store(message)
        return self._next_update(message=message)

    def make_document(
        self,
        user: FakeUser,
        chat: FakeChat,
        document: dict[str, Any],
        *,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A message carrying a file (`document`: a Document object); a caption starting with
        a /command gets its bot_command entity, as Telegram gives it."""
        if chat.type == "private" and chat.id != user.id:
            raise AssertionError("a private chat's id is its user's id: use FakeChat.private(user)")
        self._known(chat, user)
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat.id),
            "date": self.now(),
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "document": document,
        }
        if caption is not None:
            message["caption"] = caption
            if caption.startswith("/"):
                command = caption.split(maxsplit=1)[0]
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
                ]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            if chat.is_forum:
                message["is_topic_message"] = True
        if reply_to_message_id is not None:
            replied = self.find_message(chat.id, reply_to_message_id)
            if replied is None:
                raise AssertionError(f"no message {reply_to_message_id} in chat {chat.id}")
            message["reply_to_message"] = copy.deepcopy(replied.message)
        self.store(message)
        return self._next_update(message=message)

    def make_anonymous_admin_text(
        self, chat: FakeChat, text: str, *, thread_id: int | None = None
    ) -> dict[str, Any]:
        """A message of an anonymous group admin: from @GroupAnonymousBot, sender_chat = chat."""
        return self.make_text(ANONYMOUS_ADMIN, chat, text, thread_id=thread_id, sender_chat=chat)

    def make_press(
        self,
        user: FakeUser,
        message: SentMessage | int,
        chat: FakeChat,
        data: str,
        *,
        check_button: bool = True,
    ) -> dict[str, Any]:
        """A callback query from pressing a button of the bot's message.

        ``check_button=False`` lets a test send data no button carries (a tampered client).
        """
        self._known(chat, user)
        message_id = message if isinstance(message, int) else message.message_id
        stored = self.find_message(chat.id, message_id)
        if stored is None or not stored.from_bot:
            raise AssertionError(f"the bot sent no message {message_id} in chat {chat.id}")
        if check_button:
            buttons = stored.sent.button_data() if stored.sent else []
            if stored.deleted or data not in buttons:
                raise AssertionError(
                    f"message {message_id} in chat {chat.id} has no button with data {data!r} "
                    f"(deleted={stored.deleted}, buttons={buttons})"
                )
        query_id = str(next(self._callback_ids))
        self.callback_queries[query_id] = False
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(stored.message),  # as it looked when pressed
            "chat_instance": f"ci{abs(chat.id)}",
            "data": data,
        }
        return self._next_update(callback_query=query)

    def make_bot_added(
        self, chat: FakeChat, by_user: FakeUser, status: str = "member"
    ) -> dict[str, Any]:
        """my_chat_member: the bot joins ``chat`` (or is promoted) by ``by_user``."""
        if status not in ("member", "administrator"):
            raise ValueError("the bot is added as 'member' or 'administrator'")
        self._known(chat, by_user)
        old = self.statuses.get((chat.id, BOT_ID), "left")
        if old == "member" and status == "member" and chat.type != "private":
            old = "left"
        return self._my_chat_member(chat, by_user, old, status)

    def make_bot_removed(self, chat: FakeChat, by_user: FakeUser) -> dict[str, Any]:
        """my_chat_member: the bot is removed (a private chat: the user blocked it)."""
        self._known(chat, by_user)
        new = "left" if chat.type == "group" else "kicked"
        return self._my_chat_member(chat, by_user, self.bot_status(chat.id), new)

    def _my_chat_member(
        self, chat: FakeChat, by_user: FakeUser, old: str, new: str
    ) -> dict[str, Any]:
        self.statuses[(chat.id, BOT_ID)] = new
        return self._next_update(
            my_chat_member=self._member_update(chat, by_user, BOT_USER, old, new)
        )

    def make_user_joined(
        self, chat: FakeChat, user: FakeUser, by_user: FakeUser | None = None
    ) -> dict[str, Any]:
        self._known(chat, user)
        old = self.statuses.get((chat.id, user.id), "left")
        self.statuses[(chat.id, user.id)] = "member"
        update = self._member_update(chat, by_user or user, user, old, "member")
        return self._next_update(chat_member=update)

    def make_user_left(
        self, chat: FakeChat, user: FakeUser, by_user: FakeUser | None = None
    ) -> dict[str, Any]:
        """chat_member: ``user`` leaves (or is removed by ``by_user``, then "kicked")."""
        self._known(chat, user)
        old = self.member_status(chat.id, user.id)
        new = "kicked" if by_user is not None and by_user.id != user.id else "left"
        self.statuses[(chat.id, user.id)] = new
        update = self._member_update(chat, by_user or user, user, old, new)
        return self._next_update(chat_member=update)

    def _member_update(
        self, chat: FakeChat, by_user: FakeUser, user: FakeUser, old: str, new: str
    ) -> dict[str, Any]:
        return {
            "chat": chat.to_dict(),
            "from": by_user.to_dict(),
            "date": self.now(),
            "old_chat_member": self.member_object(user, old),
            "new_chat_member": self.member_object(user, new),
        }

    def make_migration(
        self, old_chat_id: int, new_chat_id: int, by_user: FakeUser | None = None
    ) -> list[dict[str, Any]]:
        """Upgrades a group: the service messages in the old group and in the new supergroup."""
        old = self.chats.get(old_chat_id) or self.add_chat(FakeChat(old_chat_id))
        new = FakeChat(new_chat_id, "supergroup", title=old.title or f"Chat {old_chat_id}")
        self.add_chat(new)
        for (chat_id, user_id), status in list(self.statuses.items()):
            if chat_id == old_chat_id:
                self.statuses[(new_chat_id, user_id)] = status
        author = by_user or FakeUser(1, "Owner")
        self.add_user(author)
        in_old = {
            "message_id": self.next_message_id(old_chat_id),
            "date": self.now(),
            "chat": old.to_dict(),
            "from": author.to_dict(),
            "migrate_to_chat_id": new_chat_id,
        }
        in_new = {
            "message_id": self.next_message_id(new_chat_id),
            "date": self.now(),
            "chat": new.to_dict(),
            "from": author.to_dict(),
            "migrate_from_chat_id": old_chat_id,
        }
        self.store(in_old)
        self.store(in_new)
        self.migrated[old_chat_id] = new_chat_id
        return [self._next_update(message=in_old), self._next_update(message=in_new)]

    def bot_sees(self, update: dict[str, Any]) -> bool:
        """Privacy mode: in groups a non-admin bot gets commands, replies to it and mentions."""
        message = update.get("message")
        if not self.privacy_mode or message is None:
            return True
        if "text" not in message and "caption" not in message and "document" not in message:
            return True  # service messages
        chat = message["chat"]
        if chat["type"] not in ("group", "supergroup"):
            return True
        if self.bot_status(chat["id"]) in ("administrator", "creator"):
            return True
        text: str = message.get("text", message.get("caption", ""))
        replied = message.get("reply_to_message", {})
        return (
            text.startswith("/")
            or f"@{BOT_USERNAME}".lower() in text.lower()
            or replied.get("from", {}).get("id") == BOT_ID
        )
