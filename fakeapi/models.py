"""Plain records of the fake Telegram: users, chats, what the bot sent, what went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeapi.html import plain_text

BOT_ID = 123456
BOT_USERNAME = "iop_test_bot"
BOT_FIRST_NAME = "IOP Test Bot"
ANONYMOUS_ADMIN_ID = 1087968824  # @GroupAnonymousBot, the sender of anonymous admins' messages


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "sv"
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


BOT_USER = FakeUser(BOT_ID, BOT_FIRST_NAME, BOT_USERNAME, language_code=None, is_bot=True)
ANONYMOUS_ADMIN = FakeUser(
    ANONYMOUS_ADMIN_ID, "Group", "GroupAnonymousBot", language_code=None, is_bot=True
)


@dataclass(frozen=True)
class FakeChat:
    id: int
    type: str = "group"  # "group" | "supergroup" | "private" | "channel"
    title: str | None = None
    is_forum: bool = False
    username: str | None = None

    @classmethod
    def private(cls, user: FakeUser) -> FakeChat:
        """The private chat of ``user`` with the bot (its id is the user's id)."""
        return cls(user.id, "private", title=user.first_name, username=user.username)

    def to_dict(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.title or "User"
        else:
            chat["title"] = self.title or f"Chat {self.id}"
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat


@dataclass
class SentMessage:
    """A message the bot sent, kept up to date with its edits and deletion."""

    chat_id: int
    message_id: int
    method: str
    thread_id: int | None = None
    text: str | None = None  # as sent (with markup); the caption for media
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    document_name: str | None = None
    document_bytes: bytes | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] = field(default_factory=dict)  # the Message object as returned

    @property
    def plain(self) -> str:
        """The visible text: tags stripped, entities unescaped."""
        return plain_text(self.text or "", self.parse_mode)

    def buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        return [b for row in self.reply_markup.get("inline_keyboard", []) for b in row]

    def button_texts(self) -> list[str]:
        return [str(b["text"]) for b in self.buttons()]

    def button_data(self) -> list[str]:
        return [str(b["callback_data"]) for b in self.buttons() if "callback_data" in b]

    def summary(self) -> str:
        flags = " (deleted)" if self.deleted else ""
        edits = f" [{len(self.edits)} edits]" if self.edits else ""
        where = f"{self.chat_id}" + (f"/{self.thread_id}" if self.thread_id else "")
        shown = self.plain if self.text else self.document_name or ""
        return (
            f"#{self.message_id} {self.method} to {where}{flags}{edits}: {shown[:200]!r}"
            f" buttons={self.button_texts()}"
        )


@dataclass
class Violation:
    """A request that real Telegram would refuse whatever the state: a bug in the bot."""

    method: str
    params: dict[str, Any]
    description: str
    error_code: int = 400
    expected: bool = False  # recorded inside ``allow_violations()``


@dataclass
class Fault:
    method: str
    error_code: int
    description: str
    parameters: dict[str, Any] | None
    chat_id: int | str | None
    times: int


@dataclass
class Delay:
    method: str
    seconds: float
    chat_id: int | str | None
    deliver: bool
