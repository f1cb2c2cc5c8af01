"""Links that lead people where things happen: into the private chat with the bot (deep links,
`https://t.me/<bot>?start=<payload>`) and back to a message in the group (`https://t.me/c/…`).

A deep link's payload is at most 64 characters of `A-Za-z0-9_-` (Telegram's rule); ours are
`<prefix>_<rest>`, routed by `handlers.start`. The bot's username is known once it has asked
Telegram (`getMe`): the composition root tells this module at start (`set_bot_username`), so the
reminder renderers, which run without a bot at hand, can build links too. Handlers may pass the
username they see on their own bot.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton

from delivery.parts import Button
from i18n import N_, t

PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
START_LABEL = N_("Start a private chat")

_username: str | None = None


def set_bot_username(username: str | None) -> None:
    global _username
    _username = username or None


def bot_username() -> str | None:
    return _username


def body_payload(body_id: int) -> str:
    """The payload of a body's group messages: "link me, and show what is waiting for me"."""
    return f"b_{body_id}"


def start_url(payload: str, username: str | None = None) -> str | None:
    """`https://t.me/<bot>?start=<payload>`, or None while the bot's username is unknown."""
    if not PAYLOAD.fullmatch(payload):
        raise ValueError(f"a deep-link payload is 1–64 characters of A-Za-z0-9_-: {payload!r}")
    name = username or _username
    return f"https://t.me/{name}?start={payload}" if name else None


def message_url(chat_id: int | None, message_id: int | None) -> str | None:
    """A link to a message in a supergroup (`https://t.me/c/<internal id>/<message id>`); plain
    groups have no message links, so None there."""
    if chat_id is None or message_id is None:
        return None
    text = str(chat_id)
    if not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


def start_button(payload: str, language: str, username: str | None = None) -> Button | None:
    """The "Start a private chat" URL button (outbox form), or None without a username."""
    url = start_url(payload, username)
    return Button("🔔 " + t(language, START_LABEL), url=url) if url else None


def open_button(label: str, url: str | None) -> Button | None:
    return Button(label, url=url) if url else None


def ptb_button(button: Button) -> InlineKeyboardButton:
    """The same button for a message a handler sends itself."""
    if button.url is not None:
        return InlineKeyboardButton(button.text, url=button.url)
    return InlineKeyboardButton(button.text, callback_data=button.data)
