"""Telegram's HTML parse mode, strictly: visible text, entities, or "can't parse entities"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|([a-zA-Z][a-zA-Z0-9]*));")
_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR = re.compile(r"""\s*([a-zA-Z_:][a-zA-Z0-9_:.-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")

# Telegram's tags and the entity type each one makes.
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
SUPPORTED_TAGS = frozenset({*_SIMPLE, "span", "a", "tg-emoji", "blockquote", "tg-time"})


class HtmlError(ValueError):
    """The text is not well-formed Telegram HTML."""


@dataclass
class _Open:
    tag: str
    entity: dict[str, Any] | None
    start: int  # UTF-16 offset in the visible text


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape(text: str, base: int, source: str) -> str:
    """Unescapes one run of text without tags; ``base`` locates it in ``source`` for errors."""
    out: list[str] = []
    pos = 0
    while True:
        amp = text.find("&", pos)
        if amp < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:amp])
        match = _ENTITY.match(text, amp)
        offset = len(source[: base + amp].encode())
        if not match:
            raise HtmlError(
                f"Character '&' is reserved and must be escaped at byte offset {offset}"
            )
        decimal, hexa, name = match.groups()
        if name is not None:
            if name not in _NAMED:
                raise HtmlError(f'Unsupported HTML entity "&{name};" at byte offset {offset}')
            out.append(_NAMED[name])
        else:
            code = int(decimal) if decimal is not None else int(hexa, 16)
            if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise HtmlError(f"Invalid character reference at byte offset {offset}")
            out.append(chr(code))
        pos = match.end()


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The visible text and its MessageEntity dicts (UTF-16 offsets), as Telegram computes them."""
    text: list[str] = []
    length = 0  # UTF-16 length of the visible text so far
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(source):
        lt = source.find("<", pos)
        chunk = source[pos:] if lt < 0 else source[pos:lt]
        if chunk:
            visible = _unescape(chunk, pos, source)
            text.append(visible)
            length += utf16_len(visible)
        if lt < 0:
            break
        offset = len(source[:lt].encode())
        if source.startswith("</", lt):
            pos = _close_tag(source, lt, offset, stack, entities, length)
        else:
            pos = _open_tag(source, lt, offset, stack, length)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(text), entities


def _open_tag(source: str, lt: int, offset: int, stack: list[_Open], length: int) -> int:
    name_match = _TAG_NAME.match(source, lt + 1)
    if not name_match:
        raise HtmlError(f"Unsupported start tag at byte offset {offset}: '<' must be escaped")
    tag = name_match.group(0).lower()
    attrs: dict[str, str] = {}
    pos = name_match.end()
    while True:
        attr = _ATTR.match(source, pos)
        if not attr or attr.end() == pos:
            break
        value = attr.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs[attr.group(1).lower()] = _unescape(value, attr.start(2) if value else 0, source)
        pos = attr.end()
    while pos < len(source) and source[pos].isspace():
        pos += 1
    if not source.startswith(">", pos):
        raise HtmlError(f'Can\'t find end of tag "{tag}" at byte offset {offset}')
    if tag not in SUPPORTED_TAGS:
        raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {offset}')
    parent = stack[-1].tag if stack else None
    if parent == "code" or (parent == "pre" and tag != "code"):
        raise HtmlError(
            f'Tag "{tag}" can\'t be nested in "{stack[-1].tag}" at byte offset {offset}'
        )
    stack.append(_Open(tag, _entity_for(tag, attrs, offset, stack), length))
    return pos + 1


def _entity_for(
    tag: str, attrs: dict[str, str], offset: int, stack: list[_Open]
) -> dict[str, Any] | None:
    if tag in _SIMPLE:
        if tag == "code" and stack and stack[-1].tag == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-") and stack[-1].entity is not None:
                stack[-1].entity["language"] = language.removeprefix("language-")
            return None  # <pre><code> is one pre entity
        return {"type": _SIMPLE[tag]}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        return {"type": "spoiler"}
    if tag == "a":
        href = attrs.get("href", "")
        if not href:
            return None  # Telegram shows the text and drops a link without a target
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            mentioned = {"id": int(user.group(1)), "is_bot": False, "first_name": "User"}
            return {"type": "text_mention", "user": mentioned}
        return {"type": "text_link", "url": href}
    if tag == "tg-emoji":
        if not attrs.get("emoji-id"):
            raise HtmlError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
    if tag == "tg-time":
        if not attrs.get("unix", "").isdigit():
            raise HtmlError(f'Tag "tg-time" must have attribute "unix" at byte offset {offset}')
        return {"type": "date_time", "unix_time": int(attrs["unix"])}
    kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    return {"type": kind}


def _close_tag(
    source: str,
    lt: int,
    offset: int,
    stack: list[_Open],
    entities: list[dict[str, Any]],
    length: int,
) -> int:
    name_match = _TAG_NAME.match(source, lt + 2)
    end = source.find(">", lt)
    if not name_match or end < 0 or source[name_match.end() : end].strip():
        raise HtmlError(f"Can't parse end tag at byte offset {offset}")
    tag = name_match.group(0).lower()
    if not stack:
        raise HtmlError(f'Unexpected end tag "{tag}" at byte offset {offset}')
    if stack[-1].tag != tag:
        raise HtmlError(
            f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1].tag}>", '
            f'found "</{tag}>"'
        )
    opened = stack.pop()
    if opened.entity is not None and length > opened.start:
        entities.append({**opened.entity, "offset": opened.start, "length": length - opened.start})
    return end + 1


def plain_text(text: str, parse_mode: str | None) -> str:
    """What a user sees: tags stripped and entities unescaped for HTML, else the text as is."""
    if parse_mode is not None and parse_mode.lower() == "html":
        return parse_html(text)[0]
    return text
