"""How each kind of outbox row is worded: a registry of renderers.

A renderer takes the row's payload, the language and whether the send is late, and returns
Telegram HTML (one text message), or a list of parts (`delivery.parts`: texts with keyboards,
documents, edits) sent in order. Anything that came from users (titles, names) must go through
`escape`. Renderers live in `views/` and register here; delivery imports nothing above it.

A renderer that builds files (a PDF) is registered with `heavy=True`: the dispatcher then runs it
in a worker thread, off the event loop that carries every other send.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from delivery.parts import Part
from i18n import N_, t

Renderer = Callable[[dict[str, Any], str, bool], "str | Sequence[Part | str]"]

_renderers: dict[str, Renderer] = {}
_heavy: set[str] = set()


class UnknownKind(LookupError):
    """No renderer is registered for a reminder's kind: it is marked failed, not retried."""


def register(kind: str, renderer: Renderer, *, heavy: bool = False) -> Renderer:
    """Register (or replace) the renderer of `kind`; returns it, so it can be a decorator."""
    _renderers[kind] = renderer
    if heavy:
        _heavy.add(kind)
    else:
        _heavy.discard(kind)
    return renderer


def renders(kind: str, *, heavy: bool = False) -> Callable[[Renderer], Renderer]:
    """Decorator form: `@renders("meeting.before")`."""

    def decorator(renderer: Renderer) -> Renderer:
        return register(kind, renderer, heavy=heavy)

    return decorator


def unregister(kind: str) -> None:
    _renderers.pop(kind, None)
    _heavy.discard(kind)


def is_registered(kind: str) -> bool:
    return kind in _renderers


def is_heavy(kind: str) -> bool:
    return kind in _heavy


def render(kind: str, payload: dict[str, Any], language: str, late: bool) -> str:
    """A one-text renderer's HTML (the reminders' form)."""
    result = render_parts(kind, payload, language, late)
    if len(result) != 1 or not isinstance(result[0], str):
        raise TypeError(f"the renderer of {kind!r} returns parts, not one text")
    return result[0]


def render_parts(kind: str, payload: dict[str, Any], language: str, late: bool) -> list[Part | str]:
    """What the row sends, as parts (a plain string is one text message)."""
    renderer = _renderers.get(kind)
    if renderer is None:
        raise UnknownKind(kind)
    result = renderer(payload, language, late)
    if isinstance(result, str):
        return [result]
    return list(result)


def escape(text: object) -> str:
    """User text inside Telegram HTML: markup characters shown, never interpreted."""
    return html.escape(str(text), quote=False)


LATE_NOTE = N_("Sent late: the bot was unavailable when this reminder was due.")


def late_note(language: str) -> str:
    return f"<i>{escape(t(language, LATE_NOTE))}</i>"


def with_late_note(text: str, language: str, late: bool) -> str:
    """The common way to mark a late send: an italic note under the text."""
    return f"{text}\n\n{late_note(language)}" if late else text


REPEAT_NOTE = N_("(may have been sent before)")


def repeat_note(language: str) -> str:
    """Under a send that may repeat one the chat already has (see the dispatcher)."""
    return f"<i>{escape(t(language, REPEAT_NOTE))}</i>"


def with_repeat_note(text: str | None, language: str) -> str:
    return f"{text}\n\n{repeat_note(language)}" if text else repeat_note(language)


@renders("text")
def _render_text(payload: dict[str, Any], language: str, late: bool) -> str:
    """A plain reminder whose wording was fixed when it was scheduled (stored as plain text)."""
    return with_late_note(escape(payload.get("text", "")), language, late)
