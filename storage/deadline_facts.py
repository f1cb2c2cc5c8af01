"""Deadlines recorded as met: the fact that stops a deadline's listing and its reminders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from storage.types import UTCDateTime


class DeadlineMet(SQLModel, table=True):
    __tablename__ = "deadline_met"
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    # The deadline's stable key, e.g. "financial_report:convictus:2026".
    key: str = Field(max_length=200)
    met_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    met_by_user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


def met_keys(session: Session, partnership_id: int) -> set[str]:
    return set(
        session.exec(
            select(DeadlineMet.key).where(DeadlineMet.partnership_id == partnership_id)
        ).all()
    )


def get_met(session: Session, partnership_id: int, key: str) -> DeadlineMet | None:
    return session.exec(
        select(DeadlineMet).where(
            DeadlineMet.partnership_id == partnership_id, DeadlineMet.key == key
        )
    ).first()


def record_met(
    session: Session, partnership_id: int, key: str, *, user_id: int | None, now: datetime
) -> tuple[DeadlineMet, bool]:
    """Record `key` as met; (row, created). A second recording keeps the first one."""
    existing = get_met(session, partnership_id, key)
    if existing is not None:
        return existing, False
    row = DeadlineMet(partnership_id=partnership_id, key=key, met_at=now, met_by_user_id=user_id)
    session.add(row)
    session.flush()
    return row, True


__all__ = ["DeadlineMet", "get_met", "met_keys", "record_met"]
