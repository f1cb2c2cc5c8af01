"""A strict fake Telegram Bot API server (see server.FakeTelegram): the tests use it, and
`python -m bot demo` runs the bot against it."""

from fakeapi.methods import UploadedFile, scope_key
from fakeapi.models import (
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
from fakeapi.server import DEFAULT_TOKEN, FakeTelegram

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
