"""Who sent an update: each update id taken once, the sender remembered, their language."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import Session

from storage import bodies, inbox, people, updates
from storage.models import Partnership


@dataclass
class Stored:
    """The inbox row the update in hand came from (set by the inbox worker, `bot.inbox`).

    The row is marked handled in the transaction that does the update's work (`mark_stored`),
    so the worker runs no transaction of its own for it, and a crash can no longer fall between
    the work's commit and the mark: either both are recorded or neither is."""

    update_id: int
    pending: bool = False  # marked in the transaction now open
    marked: bool = False  # marked, and that transaction committed


_STORED: contextvars.ContextVar[Stored | None] = contextvars.ContextVar(
    "stored_update", default=None
)


def handling_stored(update_id: int) -> tuple[Stored, contextvars.Token[Stored | None]]:
    """For the inbox worker: the update it hands to the Application came from this row."""
    stored = Stored(update_id)
    return stored, _STORED.set(stored)


def done_handling(token: contextvars.Token[Stored | None]) -> None:
    _STORED.reset(token)


def stored_update() -> Stored | None:
    """The inbox row of the update in hand, when it came from the inbox."""
    return _STORED.get()


def mark_stored(session: Session, update_id: int) -> bool:
    """In the caller's transaction: marks the update's inbox row handled; `Stored.marked` says
    so once this transaction committed. This is the update's claim: False when another process
    that took the row over marked it first (the caller rolls back and stays silent). True, and
    nothing written, for an update not from the inbox or already marked by this process."""
    stored = _STORED.get()
    if stored is None or stored.marked or stored.pending or stored.update_id != update_id:
        return True
    # Leases and their bookkeeping follow the wall clock, not the (injectable) calendar.
    if not inbox.mark_handled(session, update_id, datetime.now(UTC)):
        return False
    stored.pending = True

    def committed(_session: Session) -> None:
        stored.pending, stored.marked = False, True

    def rolled_back(_session: Session) -> None:
        stored.pending = False

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)
    return True


def claim(session: Session, update_id: int, now: datetime) -> bool:
    """True the first time an update id is seen, by this or any other bot process. An update
    from the inbox is claimed by marking its row handled (`mark_stored`), in the transaction
    that does its work; others (PTB's own updater, the tests' harness) by a row of their own."""
    if _STORED.get() is not None:
        return mark_stored(session, update_id)
    return updates.claim_update(session, update_id, now)


def forget_old(session: Session, now: datetime) -> None:
    updates.forget_old_updates(session, now)


@dataclass(frozen=True)
class Sender:
    telegram_user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None


def languages_of(partnership: Partnership | None, fallback: str) -> tuple[str, tuple[str, ...]]:
    """The partnership's language and the languages it allows (else the bot's default)."""
    if partnership is None:
        return fallback, ("sv", "en")
    allowed = partnership.spec.get("languages") or [partnership.language]
    return partnership.language, tuple(allowed)


def remember(
    session: Session,
    *,
    sender: Sender | None,
    group_chat_id: int | None,
    private_chat_id: int | None,
    fallback_language: str,
    now: datetime,
) -> tuple[str, tuple[str, ...]]:
    """Keep the sender's name, username, language and private chat up to date; returns the
    default and allowed languages of the partnership the update belongs to."""
    partnership = None
    if group_chat_id is not None:
        body = bodies.get_body_by_chat(session, group_chat_id)
        if body is not None:
            partnership = session.get(Partnership, body.partnership_id)
    if sender is not None:
        person = people.upsert_person(
            session,
            telegram_user_id=sender.telegram_user_id,
            first_name=sender.first_name,
            last_name=sender.last_name,
            username=sender.username,
            language_code=sender.language_code,
            now=now,
        )
        if private_chat_id is not None and person.private_chat_id != private_chat_id:
            person.private_chat_id = private_chat_id
            session.add(person)
        if partnership is None:
            memberships = people.body_memberships_of(session, person.id or 0)
            if memberships:
                partnership = session.get(Partnership, memberships[0][1].partnership_id)
    return languages_of(partnership, fallback_language)
