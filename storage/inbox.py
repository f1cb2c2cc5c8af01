"""The inbox: every Telegram update is stored here before anyone handles it.

A webhook request is answered 200 only after its update is committed here, and the poller asks
Telegram for the next updates only after the last ones are committed, so a process killed at any
moment loses nothing. Workers take stored updates with a lease (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE): a row leased by a process that died
is taken over when its lease runs out. An update delivered twice (Telegram retrying, two workers
behind one address) is stored once, by its update_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, String, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, col

from storage.models import ProcessedUpdate
from storage.types import UTCDateTime


class InboundUpdate(SQLModel, table=True):
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    taken_by: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    attempts: int = 0
    handled_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True)
    )


@dataclass(frozen=True)
class Taken:
    update_id: int
    payload: dict[str, Any]
    attempts: int  # including this one


def store(session: Session, updates: list[dict[str, Any]], now: datetime) -> int:
    """Stores updates not stored before; returns how many were new."""
    rows = [
        {"update_id": int(u["update_id"]), "payload": u, "received_at": now, "attempts": 0}
        for u in updates
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(InboundUpdate)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(col(InboundUpdate.update_id))
    )
    return len(session.execute(statement).all())


def take(
    session: Session, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[Taken]:
    """Leases up to `limit` unhandled updates, oldest first, that nobody holds a live lease on.

    An update taken before (its earlier handler was interrupted with the process) is handled
    again: its claim in ProcessedUpdate is dropped so the handlers do not skip it."""
    ids = list(
        session.execute(
            select(InboundUpdate.update_id)  # type: ignore[call-overload]
            .where(
                col(InboundUpdate.handled_at).is_(None),
                or_(col(InboundUpdate.lease_until).is_(None), col(InboundUpdate.lease_until) < now),
            )
            .order_by(col(InboundUpdate.update_id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not ids:
        return []
    session.execute(
        update(InboundUpdate)
        .where(col(InboundUpdate.update_id).in_(ids))
        .values(lease_until=now + lease, taken_by=worker[:64], attempts=InboundUpdate.attempts + 1)
    )
    rows = session.execute(
        select(InboundUpdate.update_id, InboundUpdate.payload, InboundUpdate.attempts)  # type: ignore[call-overload]
        .where(col(InboundUpdate.update_id).in_(ids))
        .order_by(col(InboundUpdate.update_id))
    ).all()
    again = [r.update_id for r in rows if r.attempts > 1]
    if again:
        session.execute(delete(ProcessedUpdate).where(col(ProcessedUpdate.update_id).in_(again)))
    return [Taken(r.update_id, dict(r.payload), r.attempts) for r in rows]


def renew(
    session: Session, update_id: int, *, worker: str, now: datetime, lease: timedelta
) -> bool:
    """Extends this worker's lease; False when the row is no longer this worker's to handle."""
    result = session.execute(
        update(InboundUpdate)
        .where(
            col(InboundUpdate.update_id) == update_id,
            col(InboundUpdate.taken_by) == worker[:64],
            col(InboundUpdate.handled_at).is_(None),
        )
        .values(lease_until=now + lease)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_all(
    session: Session, update_ids: list[int], *, worker: str, now: datetime, lease: timedelta
) -> None:
    """Extends this worker's leases on the rows it holds (one statement for a whole batch)."""
    if not update_ids:
        return
    session.execute(
        update(InboundUpdate)
        .where(
            col(InboundUpdate.update_id).in_(update_ids),
            col(InboundUpdate.taken_by) == worker[:64],
            col(InboundUpdate.handled_at).is_(None),
        )
        .values(lease_until=now + lease)
    )


def release(session: Session, update_ids: list[int], *, worker: str) -> int:
    """Gives back rows taken but not begun (the process is stopping): free for the next worker
    at once, and not counted as an interrupted attempt."""
    if not update_ids:
        return 0
    result = session.execute(
        update(InboundUpdate)
        .where(
            col(InboundUpdate.update_id).in_(update_ids),
            col(InboundUpdate.taken_by) == worker[:64],
            col(InboundUpdate.handled_at).is_(None),
        )
        .values(lease_until=None, taken_by=None, attempts=InboundUpdate.attempts - 1)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_claim(session: Session, update_id: int) -> None:
    """Lets the handlers run again for an update whose earlier run was cut off."""
    session.execute(delete(ProcessedUpdate).where(col(ProcessedUpdate.update_id) == update_id))


def mark_handled(session: Session, update_id: int, now: datetime) -> bool:
    """Handled: the update's content (what people wrote, their names) is no longer kept; its id
    stays until `forget_handled`, so a redelivery is still recognised. False when it was
    already marked (by another process that took the row over): in the handler's transaction
    this is the update's claim, so the work is done once."""
    result = session.execute(
        update(InboundUpdate)
        .where(col(InboundUpdate.update_id) == update_id, col(InboundUpdate.handled_at).is_(None))
        .values(handled_at=now, lease_until=None, payload={})
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def pending_count(session: Session) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(InboundUpdate)
            .where(col(InboundUpdate.handled_at).is_(None))
        ).scalar_one()
    )


@dataclass(frozen=True)
class LastHandled:
    update_id: int
    handled_at: datetime


def last_handled(session: Session) -> LastHandled | None:
    row = session.execute(
        select(InboundUpdate.update_id, InboundUpdate.handled_at)  # type: ignore[call-overload]
        .where(col(InboundUpdate.handled_at).is_not(None))
        .order_by(col(InboundUpdate.handled_at).desc())
        .limit(1)
    ).first()
    return None if row is None else LastHandled(row.update_id, row.handled_at)


def forget_handled(session: Session, now: datetime, keep: timedelta = timedelta(days=2)) -> int:
    """Telegram retries an update for at most 24 h; handled ones older than that cannot return."""
    result = session.execute(
        delete(InboundUpdate).where(col(InboundUpdate.handled_at) < now - keep)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
