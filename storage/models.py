"""Database tables. Every instant is a `UTCDateTime`; calendar days are plain dates."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class BodyKind(StrEnum):
    STYRGRUPP = "styrgrupp"
    SAMVERKANSGRUPP = "samverkansgrupp"


class ChatStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  # the bot was removed or blocked: nothing is sent until it is re-added


class MembershipStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    LEFT = "left"


class Partnership(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    diarienummer: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(max_length=500)
    timezone: str = Field(max_length=64)
    language: str = Field(max_length=8)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    spec_hash: str = Field(max_length=64)
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Party(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    key: str = Field(max_length=64)
    name: str = Field(max_length=500)
    org_number: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    active: bool = True


class Body(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    kind: str = Field(max_length=32)
    name: str = Field(max_length=200)
    decision_prefix: str = Field(max_length=16)
    chat_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True)
    )
    thread_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    chat_title: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    chat_status: str = Field(default=ChatStatus.ACTIVE, max_length=16)
    linked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    linked_by_user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    # Names are stored exactly as Telegram gives them; rendering escapes and shortens them.
    first_name: str = Field(default="", sa_column=Column(Text, nullable=False))
    last_name: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    username: str | None = Field(default=None, max_length=64, index=True)
    language_code: str | None = Field(default=None, max_length=16)
    # Set once the person has opened a private chat with the bot: private nudges need it.
    private_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    erased: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("body_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    # The party the member represents once confirmed (vote weight depends on it).
    party_id: int | None = Field(default=None, foreign_key="party.id")
    requested_party_id: int | None = Field(default=None, foreign_key="party.id")
    status: str = Field(default=MembershipStatus.PENDING, max_length=16)
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    decided_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    request_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )


class ChairTerm(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    starts_on: date
    ends_on: date | None = None
    appointed_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Administrator(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "telegram_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    source: str = Field(default="file", max_length=16)  # "file" or "cli"


class AuditEntry(SQLModel, table=True):
    """Who changed what, including refused attempts on protected records."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int | None = Field(default=None, foreign_key="partnership.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor_user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MeetingStatus(StrEnum):
    DRAFT = "draft"  # called by the chair, agenda still being put together
    PUBLISHED = "published"  # kallelse sent
    CANCELLED = "cancelled"


class RsvpAnswer(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    # Stable iCalendar UID; SEQUENCE is raised on every change the invitation carries.
    uid: str = Field(max_length=128, unique=True)
    sequence: int = 0
    status: str = Field(default=MeetingStatus.DRAFT, max_length=16)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    place: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Numbered per body and year when the kallelse is published (e.g. the 3rd SG meeting 2026).
    year: int | None = None
    number: int | None = None
    created_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    kallelse_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    published_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    cancelled_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class AgendaItem(SQLModel, table=True):
    """An item on a meeting's dagordning, or one a member raised for the next meeting."""

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    # None until the item is placed on a called meeting.
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    position: int = 0
    kind: str = Field(default="member", max_length=16)  # standard | member | followup | escalation
    standard_key: str | None = Field(default=None, max_length=32)
    title: str = Field(sa_column=Column(Text, nullable=False))
    added_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    dropped: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Rsvp(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    answer: str = Field(max_length=8)
    answered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ProcessedUpdate(SQLModel, table=True):
    """Telegram delivers updates at least once (getUpdates after a restart, webhook retries,
    several webhook workers): an update id is claimed here before any handler runs."""

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


__all__ = [
    "Administrator",
    "AgendaItem",
    "AuditEntry",
    "Body",
    "BodyKind",
    "ChairTerm",
    "ChatStatus",
    "Meeting",
    "MeetingStatus",
    "Membership",
    "MembershipStatus",
    "Partnership",
    "Party",
    "Person",
    "ProcessedUpdate",
    "Rsvp",
    "RsvpAnswer",
    "utcnow",
]
