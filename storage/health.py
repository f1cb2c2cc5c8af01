"""What /healthz reports about the database: reachable, and how much work waits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from storage.reminders import Reminder, ReminderState


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))


def outbox_depth(session: Session, now: datetime) -> int:
    """Reminders due and not yet sent (waiting, or in the hands of a dispatcher)."""
    return int(
        session.execute(
            select(func.count())
            .select_from(Reminder)
            .where(
                col(Reminder.state).in_([ReminderState.PENDING, ReminderState.CLAIMED]),
                col(Reminder.due_at) <= now,
            )
        ).scalar_one()
    )
