"""Domain events: a use case says what it recorded; the others react without importing it.

`publish(session, event, now=...)` runs the subscribers of the event's type at once, in the same
session: what they schedule (outbox rows – reminders, a decision posted back to the
samverkansgrupp) commits or rolls back together with the fact itself, so a process that dies
right after the commit still delivers it. The event is also kept on the session: after the
commit the handler wrapper reads `published(session)` for what happens outside the database
(waking the dispatcher, so the queued message goes out now rather than at its next run).

A subscriber registers with `@subscribe(EventType)` in the module that reacts (escalations,
deadlines, …); `services.subscribers` imports all of them, and the composition root imports that
once. Publishing before that is a programming error and says so, rather than silently dropping a
reaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from sqlmodel import Session

_KEY = "domain_events"

E = TypeVar("E")
Subscriber = Callable[[Session, Any, datetime], None]

_subscribers: defaultdict[type, list[Subscriber]] = defaultdict(list)
_installed = False


@dataclass(frozen=True)
class DecisionRecorded:
    """A decision got its number in a body's register (from /beslut, a closed vote, …)."""

    decision_id: int
    body_id: int
    partnership_id: int
    kind: str
    agenda_item_id: int | None
    # An escalated question's answer is posted back at once.
    wakes_dispatcher: ClassVar[bool] = True


@dataclass(frozen=True)
class ChairAppointed:
    """A body has a new chair (and a term, whose end is a deadline)."""

    term_id: int
    body_id: int
    partnership_id: int
    wakes_dispatcher: ClassVar[bool] = False


@dataclass(frozen=True)
class ChatLinked:
    """A group chat became a body's chat (/koppla)."""

    partnership_id: int
    body_id: int
    # Its deadline reminders and the questions kept for it go out at once.
    wakes_dispatcher: ClassVar[bool] = True


def subscribe(event_type: type[E]) -> Callable[[Callable[[Session, E, datetime], None]], Any]:
    def decorator(
        fn: Callable[[Session, E, datetime], None],
    ) -> Callable[[Session, E, datetime], None]:
        _subscribers[event_type].append(fn)
        return fn

    return decorator


def mark_installed() -> None:
    global _installed
    _installed = True


def publish(session: Session, event: object, *, now: datetime) -> None:
    if not _installed:
        raise RuntimeError("import services.subscribers before recording anything")
    session.info.setdefault(_KEY, []).append(event)
    for subscriber in _subscribers[type(event)]:
        subscriber(session, event, now)


def published(session: Session) -> list[object]:
    """The events published in this session so far (read after the commit)."""
    return list(session.info.get(_KEY, []))
