"""What an outbox row sends: texts, documents and edits, as plain data (no telegram import).

A row is a list of parts sent in order, in one chat; a long text becomes several messages and
its keyboard goes on the last one. Parts are stored as JSON in the row (`to_json`/`from_json`);
a document's bytes live in `outbox_file` and the part keeps the file's id. Renderers (views/)
return the same parts when a row is rendered at send time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from governance.textsplit import CAPTION_LIMIT, MESSAGE_LIMIT, split_html, visible_len

# Room kept free in every text for the engine's own notes ("sent late", "may have been sent
# before"), so adding one never pushes a message over Telegram's limit.
NOTE_ROOM = 200
TEXT_LIMIT = MESSAGE_LIMIT - NOTE_ROOM
CAPTION_ROOM_LIMIT = CAPTION_LIMIT - NOTE_ROOM
MAX_BUTTONS = 100
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Button:
    """An inline button: `data` (callback data, at most 64 bytes) or `url`."""

    text: str
    data: str | None = None
    url: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"text": self.text}
        if self.data is not None:
            out["data"] = self.data
        if self.url is not None:
            out["url"] = self.url
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Button:
        return cls(str(raw["text"]), raw.get("data"), raw.get("url"))


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(rows: Sequence[Sequence[Button]] | Mapping[str, Any] | Any | None) -> Keyboard | None:
    """A keyboard from rows of Buttons, from the Bot API's own JSON, or from a PTB
    `InlineKeyboardMarkup` (anything with `to_dict()`; delivery imports no views)."""
    if rows is None:
        return None
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict()
    if isinstance(rows, Mapping):
        found: list[tuple[Button, ...]] = []
        for row in rows.get("inline_keyboard", []):
            found.append(
                tuple(
                    Button(b["text"], b.get("callback_data"), b.get("url"))
                    if "callback_data" in b or "url" in b
                    else Button.from_json(b)
                    for b in row
                )
            )
        built: Keyboard = tuple(found)
    else:
        built = tuple(tuple(row) for row in rows)
    _check_keyboard(built)
    return built or None


def _check_keyboard(rows: Keyboard) -> None:
    """Refused when queued, never at Telegram: over-long callback data, too many buttons."""
    count = 0
    for row in rows:
        for button in row:
            count += 1
            if (button.data is None) == (button.url is None):
                raise ValueError("a button needs exactly one of data or url")
            if button.data is not None and len(button.data.encode()) > MAX_CALLBACK_BYTES:
                raise ValueError("callback data over 64 bytes")
    if count > MAX_BUTTONS:
        raise ValueError(f"{count} buttons: Telegram allows {MAX_BUTTONS}")


def _keyboard_json(rows: Keyboard | None) -> list[list[dict[str, str]]] | None:
    return None if rows is None else [[b.to_json() for b in row] for row in rows]


def _keyboard_of(raw: Any) -> Keyboard | None:
    if not raw:
        return None
    return tuple(tuple(Button.from_json(b) for b in row) for row in raw)


@dataclass(frozen=True)
class Text:
    """A message in Telegram HTML (user text escaped by the caller); split when long.
    `reply_to`: a message id in the same chat it answers (sent anyway if that one is gone)."""

    html: str
    keyboard: Keyboard | None = None
    silent: bool = False
    reply_to: int | None = None


@dataclass(frozen=True)
class Document:
    """A file: `data` (stored in outbox_file when queued, or rendered at send time) or the id
    of a file already stored (`delivery.outbox.store_file`). The caption is Telegram HTML."""

    filename: str
    data: bytes | None = None
    file_id: int | None = None
    caption: str | None = None
    keyboard: Keyboard | None = None
    silent: bool = False
    mime_type: str | None = None


@dataclass(frozen=True)
class Edit:
    """New text (and keyboard) for an earlier message: the message of an outbox row, named by
    its key (`target`) and the index of the part given when it was queued (-1: its last
    message), or a message sent outside the outbox (`message_id`)."""

    html: str
    keyboard: Keyboard | None = None
    target: str | None = None
    part: int = -1
    message_id: int | None = None


@dataclass(frozen=True)
class Pin:
    """Pin (or unpin) an earlier message: addressed like an `Edit` (an outbox row's key and
    part, or a message id). Pinned quietly. A chat where the bot may not pin, or a message
    already gone or not pinned, leaves it as it is: pinning is a courtesy, never a failure."""

    target: str | None = None
    part: int = -1
    message_id: int | None = None
    unpin: bool = False
    keyboard: Keyboard | None = None  # never set; parts have one
    silent: bool = True


Part = Text | Document | Edit | Pin


@dataclass(frozen=True)
class Message:
    """One Telegram call of a row, after splitting: `of` is the index of the part it came from."""

    part: Part
    of: int
    repeat_note: bool = field(default=False, compare=False)


def expand(parts: Sequence[Part | str]) -> list[Message]:
    """Parts as the Telegram calls they become, in order: long texts split (the keyboard on the
    last piece), a caption too long for a document sent as a text just before it."""
    out: list[Message] = []
    for index, part in enumerate(parts):
        if isinstance(part, str):
            part = Text(part)
        if isinstance(part, Text):
            chunks = split_html(part.html, TEXT_LIMIT)
            if not chunks:
                raise ValueError("an empty text cannot be sent")
            for n, chunk in enumerate(chunks):
                last = n == len(chunks) - 1
                piece = Text(
                    chunk,
                    part.keyboard if last else None,
                    part.silent,
                    part.reply_to if n == 0 else None,
                )
                out.append(Message(piece, index))
        elif isinstance(part, Document):
            if part.caption and visible_len(part.caption) > CAPTION_ROOM_LIMIT:
                for chunk in split_html(part.caption, TEXT_LIMIT):
                    out.append(Message(Text(chunk, None, part.silent), index))
                part = Document(
                    part.filename,
                    part.data,
                    part.file_id,
                    None,
                    part.keyboard,
                    part.silent,
                    part.mime_type,
                )
            out.append(Message(part, index))
        elif isinstance(part, Pin):
            if (part.target is None) == (part.message_id is None):
                raise ValueError("a pin needs exactly one of target or message_id")
            out.append(Message(part, index))
        elif isinstance(part, Edit):
            if len(split_html(part.html, TEXT_LIMIT)) > 1:
                raise ValueError("an edited message must fit in one message")
            if (part.target is None) == (part.message_id is None):
                raise ValueError("an edit needs exactly one of target or message_id")
            out.append(Message(part, index))
        else:  # pragma: no cover - a programming error
            raise TypeError(f"not a part: {part!r}")
    return out


def message_to_json(message: Message) -> dict[str, Any]:
    part = message.part
    if isinstance(part, Text):
        out: dict[str, Any] = {"t": "text", "html": part.html}
        if part.reply_to is not None:
            out["reply_to"] = part.reply_to
    elif isinstance(part, Document):
        if part.file_id is None:
            raise ValueError("store a document's bytes before writing it as JSON")
        out = {"t": "doc", "file": part.file_id, "filename": part.filename}
        if part.caption:
            out["caption"] = part.caption
        if part.mime_type:
            out["mime"] = part.mime_type
    elif isinstance(part, Pin):
        out = {"t": "pin", "part": part.part, "unpin": part.unpin}
        if part.target is not None:
            out["target"] = part.target
        if part.message_id is not None:
            out["message_id"] = part.message_id
    else:
        out = {"t": "edit", "html": part.html, "part": part.part}
        if part.target is not None:
            out["target"] = part.target
        if part.message_id is not None:
            out["message_id"] = part.message_id
    board = _keyboard_json(part.keyboard)
    if board:
        out["keyboard"] = board
    if getattr(part, "silent", False) and not isinstance(part, Pin):
        out["silent"] = True
    out["of"] = message.of
    return out


def message_from_json(raw: Mapping[str, Any]) -> Message:
    kind = raw.get("t")
    board = _keyboard_of(raw.get("keyboard"))
    silent = bool(raw.get("silent", False))
    part: Part
    if kind == "text":
        part = Text(str(raw["html"]), board, silent, raw.get("reply_to"))
    elif kind == "doc":
        part = Document(
            str(raw["filename"]),
            None,
            int(raw["file"]),
            raw.get("caption"),
            board,
            silent,
            raw.get("mime"),
        )
    elif kind == "pin":
        part = Pin(
            raw.get("target"),
            int(raw.get("part", -1)),
            raw.get("message_id"),
            bool(raw.get("unpin", False)),
        )
    elif kind == "edit":
        part = Edit(
            str(raw["html"]),
            board,
            raw.get("target"),
            int(raw.get("part", -1)),
            raw.get("message_id"),
        )
    else:
        raise ValueError(f"unknown part type {kind!r}")
    return Message(part, int(raw.get("of", 0)))


__all__ = [
    "Button",
    "Document",
    "Edit",
    "Keyboard",
    "Message",
    "Part",
    "Pin",
    "Text",
    "expand",
    "keyboard",
    "message_from_json",
    "message_to_json",
]
