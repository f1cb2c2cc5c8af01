"""Omedelbar justering: a paragraph approved by the chair and the justerare during the meeting,
locked then, and posted as an extract; the rest of the protokoll follows the normal path.

One row per decision tagged `[omedelbar justering]` (`ImmediateJustering`): open until the chair
and every justerare have approved the same content hash (`ImmediateApproval`), then final with
the locked one-paragraph protokoll as its content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from storage.types import UTCDateTime

__all__ = [
    "ImmediateApproval",
    "ImmediateJustering",
    "approvals_of",
    "for_decision",
    "get",
    "locked_decision_ids",
]


class ImmediateJustering(SQLModel, table=True):
    __tablename__ = "immediate_justering"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    decision_id: int = Field(foreign_key="decision.id", unique=True)
    status: str = Field(default="open", max_length=16)  # open | final
    number: int | None = None  # the § when locked
    content: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    content_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    locked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ImmediateApproval(SQLModel, table=True):
    """The chair's or a justerare's approval of the paragraph as it read (its hash)."""

    __tablename__ = "immediate_approval"
    __table_args__ = (UniqueConstraint("immediate_id", "person_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    immediate_id: int = Field(foreign_key="immediate_justering.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    role: str = Field(max_length=16)  # chair | justerare
    content_hash: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def get(session: Session, immediate_id: int) -> ImmediateJustering | None:
    return session.get(ImmediateJustering, immediate_id)


def for_decision(session: Session, decision_id: int) -> ImmediateJustering | None:
    return session.exec(
        select(ImmediateJustering).where(ImmediateJustering.decision_id == decision_id)
    ).first()


def approvals_of(session: Session, immediate_id: int) -> list[ImmediateApproval]:
    return list(
        session.exec(
            select(ImmediateApproval).where(ImmediateApproval.immediate_id == immediate_id)
        ).all()
    )


def locked_decision_ids(session: Session, meeting_id: int) -> set[int]:
    return set(
        session.exec(
            select(ImmediateJustering.decision_id)
            .where(ImmediateJustering.meeting_id == meeting_id)
            .where(ImmediateJustering.status == "final")
        ).all()
    )
