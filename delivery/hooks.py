"""On-sent hooks: what a delivered outbox row writes back on its domain row.

A row queued with `on_sent="meeting.kallelse"` runs the hook registered under that name in the
transaction that records the row as sent, e.g. to store the kallelse's message id on the meeting
(needed later to pin it or to recognise replies to it). A hook that raises is logged and rolled
back on its own (a savepoint); the delivery is recorded all the same.

    from delivery import hooks

    @hooks.on_sent("meeting.kallelse")
    def _kallelse_sent(session: Session, sent: hooks.Sent) -> None:
        meeting = session.get(Meeting, sent.data["meeting_id"])
        meeting.kallelse_message_id = sent.last_id_of(1)  # part 1: the panel with the buttons

Hooks are registered when their module is imported: the services module that queues the row
defines its hook, so the hook exists wherever the row can be queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    """A delivered row: its key, chat, each Telegram message id in order, and which part (as
    given when queued) each message came from; `data` is the row's `hook` data."""

    key: str
    chat_id: int
    message_ids: tuple[int, ...]
    parts: tuple[int, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def ids_of(self, part: int) -> tuple[int, ...]:
        """The message ids that part `part` became (a long text is several messages)."""
        if not self.parts:
            return self.message_ids
        return tuple(m for m, p in zip(self.message_ids, self.parts, strict=False) if p == part)

    def last_id_of(self, part: int = -1) -> int | None:
        if part < 0:
            return self.message_ids[-1] if self.message_ids else None
        ids = self.ids_of(part)
        return ids[-1] if ids else None


Hook = Callable[[Session, Sent], None]

_hooks: dict[str, Hook] = {}


def register(name: str, hook: Hook) -> Hook:
    _hooks[name] = hook
    return hook


def on_sent(name: str) -> Callable[[Hook], Hook]:
    """Decorator form of `register`."""

    def decorator(hook: Hook) -> Hook:
        return register(name, hook)

    return decorator


def is_registered(name: str) -> bool:
    return name in _hooks


def run(session: Session, name: str, sent: Sent) -> None:
    """Run the hook in a savepoint: its failure never undoes the record of the delivery."""
    hook = _hooks.get(name)
    if hook is None:
        log.error("outbox row %s: no on-sent hook %r is registered", sent.key, name)
        return
    try:
        with session.begin_nested():
            hook(session, sent)
    except Exception:
        log.exception("outbox row %s: on-sent hook %r failed", sent.key, name)


__all__ = ["Hook", "Sent", "is_registered", "on_sent", "register", "run"]
