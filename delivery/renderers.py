"""How each kind of reminder is worded: a registry of renderers.

A renderer takes the row's payload, the language and whether the send is late, and returns
Telegram HTML. Anything that came from users (titles, names) must go through `escape`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from i18n import N_, t

Renderer = Callable[[dict[str, Any], str, bool], str]

_renderers: dict[str, Renderer] = {}


class UnknownKind(LookupError):
    """No renderer is registered for a reminder's kind: it is marked failed, not retried."""


def register(kind: str, renderer: Renderer) -> Renderer:
    """Register (or replace) the renderer of `kind`; returns it, so it can be a decorator."""
    _renderers[kind] = renderer
    return renderer


def renders(kind: str) -> Callable[[Renderer], Renderer]:
    """Decorator form: `@renders("meeting.before")`."""

    def decorator(renderer: Renderer) -> Renderer:
        return register(kind, renderer)

    return decorator


def unregister(kind: str) -> None:
    _renderers.pop(kind, None)


def is_registered(kind: str) -> bool:
    return kind in _renderers


def render(kind: str, payload: dict[str, Any], language: str, late: bool) -> str:
    renderer = _renderers.get(kind)
    if renderer is None:
        raise UnknownKind(kind)
    return renderer(payload, language, late)


def escape(text: object) -> str:
    """User text inside Telegram HTML: markup characters shown, never interpreted."""
    return html.escape(str(text), quote=False)


LATE_NOTE = N_("Sent late: the bot was unavailable when this reminder was due.")


def late_note(language: str) -> str:
    return f"<i>{escape(t(language, LATE_NOTE))}</i>"


def with_late_note(text: str, language: str, late: bool) -> str:
    """The common way to mark a late send: an italic note under the text."""
    return f"{text}\n\n{late_note(language)}" if late else text


@renders("text")
def _render_text(payload: dict[str, Any], language: str, late: bool) -> str:
    """A plain reminder whose wording was fixed when it was scheduled (stored as plain text)."""
    return with_late_note(escape(payload.get("text", "")), language, late)
