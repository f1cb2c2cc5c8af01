"""Personal calendar subscriptions: a secret address per member and body, revocable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, Session, SQLModel, col, select

from storage.types import UTCDateTime


class CalendarSubscription(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    secret: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


def active(session: Session, person_id: int, body_id: int) -> CalendarSubscription | None:
    return session.exec(
        select(CalendarSubscription).where(
            CalendarSubscription.person_id == person_id,
            CalendarSubscription.body_id == body_id,
            col(CalendarSubscription.revoked_at).is_(None),
        )
    ).first()


def by_secret(session: Session, secret: str) -> CalendarSubscription | None:
    return session.exec(
        select(CalendarSubscription).where(
            CalendarSubscription.secret == secret, col(CalendarSubscription.revoked_at).is_(None)
        )
    ).first()


def create(
    session: Session, person_id: int, body_id: int, secret: str, now: datetime
) -> CalendarSubscription:
    row = CalendarSubscription(person_id=person_id, body_id=body_id, secret=secret, created_at=now)
    session.add(row)
    session.flush()
    return row


def revoke(session: Session, row: CalendarSubscription, now: datetime) -> None:
    row.revoked_at = now
    session.add(row)
    session.flush()
