"""A strict fake Telegram Bot API server for end-to-end tests (see server.FakeTelegram)."""

from tests.fakebot.methods import UploadedFile, scope_key
from tests.fakebot.models import (
    ANONYMOUS_ADMIN,
    ANONYMOUS_ADMIN_ID,
    BOT_ID,
    BOT_USER,
    BOT_USERNAME,
    FakeChat,
    FakeUser,
    SentMessage,
    Violation,
)
from tests.fakebot.server import DEFAULT_TOKEN, FakeTelegram

__all__ = [
    "ANONYMOUS_ADMIN",
    "ANONYMOUS_ADMIN_ID",
    "BOT_ID",
    "BOT_USER",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "SentMessage",
    "UploadedFile",
    "Violation",
    "scope_key",
]
