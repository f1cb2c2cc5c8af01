"""Telegram's limits that the schema does not express (lengths, keyboards, commands)."""

from __future__ import annotations

import re
from typing import Any

from fakeapi.html import HtmlError, parse_html, utf16_len
from fakeapi.schema import bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_MAX_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_COMMANDS = 100
COMMAND_DESCRIPTION_LIMIT = 256
DESCRIPTION_LIMIT = 512  # setMyDescription
SHORT_DESCRIPTION_LIMIT = 120  # setMyShortDescription

PARSE_MODES = ("html", "markdown", "markdownv2")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
# A deep link to a bot: https://t.me/<bot>?start=<payload>, payload 1-64 of A-Za-z0-9_- .
_DEEP_LINK = re.compile(r"https://t\.me/([A-Za-z0-9_]{5,32})\?start(?:group)?=(.*)")
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LANGUAGE = re.compile(r"[a-z]{2}")
# Everything on an inline button besides its label is an action; exactly one must be set.
_NOT_ACTIONS = frozenset({"text", "icon_custom_emoji_id", "style"})


def visible(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The text after entity parsing and its entities; 400 when the markup is broken."""
    if parse_mode is None or parse_mode == "":
        return text, []
    mode = parse_mode.lower()
    if mode not in PARSE_MODES:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    if mode != "html":
        return text, []  # Markdown is not modelled: counted as sent
    try:
        return parse_html(text)
    except HtmlError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc


def check_limits(method: str, params: dict[str, Any]) -> None:
    """Raises the ApiError Telegram would answer when a limit is broken."""
    if method in ("sendMessage", "editMessageText"):
        _check_text(params["text"], params.get("parse_mode"))
    if isinstance(params.get("caption"), str):
        caption, _ = visible(params["caption"], params.get("parse_mode"))
        if utf16_len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        check_inline_keyboard(markup["inline_keyboard"])
    if (
        method == "answerCallbackQuery"
        and utf16_len(params.get("text", "")) > CALLBACK_ANSWER_LIMIT
    ):
        raise bad_request("MESSAGE_TOO_LONG: callback answer text is longer than 200 characters")
    if method == "setMyCommands":
        check_commands(params["commands"])
    if (
        method == "setMyDescription"
        and utf16_len(params.get("description", "")) > DESCRIPTION_LIMIT
    ):
        raise bad_request("BOT_DESCRIPTION_INVALID: at most 512 characters")
    if (
        method == "setMyShortDescription"
        and utf16_len(params.get("short_description", "")) > SHORT_DESCRIPTION_LIMIT
    ):
        raise bad_request("BOT_SHORT_DESCRIPTION_INVALID: at most 120 characters")
    if method in (
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "setMyDescription",
        "setMyShortDescription",
    ):
        language = params.get("language_code", "")
        if language and not _LANGUAGE.fullmatch(language):
            raise bad_request(f"invalid language code {language!r}: expected ISO 639-1")


def _check_text(text: str, parse_mode: str | None) -> None:
    shown, _ = visible(text, parse_mode)
    if not shown.strip():
        raise bad_request("message text is empty")
    if utf16_len(shown) > TEXT_LIMIT:
        raise bad_request("message is too long")


def check_inline_keyboard(rows: list[list[dict[str, Any]]]) -> None:
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long: more than 100 inline buttons")
    for row in rows:
        for button in row:
            _check_button(button)


def _check_button(button: dict[str, Any]) -> None:
    if not str(button.get("text", "")).strip():
        raise bad_request("can't parse inline keyboard button: button text must be non-empty")
    actions = [key for key in button if key not in _NOT_ACTIONS]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            f"can't parse inline keyboard button: exactly one action expected, got {actions}"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES:
        raise bad_request("BUTTON_DATA_INVALID: callback_data must be 1-64 bytes")
    url = button.get("url")
    if url is not None:
        _check_url(str(url))


def _check_url(url: str) -> None:
    """URL buttons: http(s) or tg://; a deep link's start payload as Telegram allows it."""
    if not url.startswith(("https://", "http://", "tg://")):
        raise bad_request("BUTTON_URL_INVALID: unsupported URL protocol")
    found = _DEEP_LINK.fullmatch(url)
    if found is not None and not _PAYLOAD.fullmatch(found[2]):
        raise bad_request("BUTTON_URL_INVALID: a start payload is 1-64 characters of A-Za-z0-9_-")


def check_commands(commands: list[dict[str, Any]]) -> None:
    if len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH: at most 100 commands")
    for entry in commands:
        command = entry["command"]
        if not _COMMAND.fullmatch(command):
            raise bad_request(f"BOT_COMMAND_INVALID: {command!r} is not 1-32 chars of a-z, 0-9, _")
        if not 1 <= utf16_len(entry["description"]) <= COMMAND_DESCRIPTION_LIMIT:
            raise bad_request(
                f"BOT_COMMAND_DESCRIPTION_INVALID: description of {command!r} must be 1-256 chars"
            )
