"""Claiming Telegram update ids, so a redelivered update is handled once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.models import ProcessedUpdate


def claim_update(session: Session, update_id: int, now: datetime) -> bool:
    """True for the first claim of this id; False when another delivery already took it."""
    try:
        with session.begin_nested():
            session.add(ProcessedUpdate(update_id=update_id, processed_at=now))
            session.flush()
    except IntegrityError:
        return False
    return True


def forget_old_updates(session: Session, now: datetime, keep: timedelta = timedelta(days=2)) -> int:
    """Telegram keeps undelivered updates 24 h; ids older than that cannot come back."""
    result = session.execute(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < now - keep)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
