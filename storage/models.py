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
    # The privacy notice is shown once, when the person first says which party they represent.
    notice_shown_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    # The name and title the person gave with /namn, used in minutes, kallelser and the
    # register; the Telegram name is the fallback. Erased with the rest.
    formal_name: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    formal_title: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


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
    # When the member left, was removed or was refused: retention counts from here.
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


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


class ExportRecord(SQLModel, table=True):
    """Every export of a partnership: who asked, when, where, and what the file held."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    requested_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    requested_in: str = Field(max_length=16)  # private | group
    # waiting (for the private chat) | queued | sent | failed
    status: str = Field(default="waiting", max_length=16)
    # What was sent: file name, size, SHA-256, rows per table, protokoll PDFs.
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    built_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


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
    # The live meeting (/motesstart … /motesslut): stored as it happens, so a restart resumes.
    opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # Plain ids, not foreign keys: meeting and agendaitem would otherwise refer to each other.
    current_item_id: int | None = None
    minute_taker_person_id: int | None = None
    justerare_person_ids: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # The chair's panel of the meeting in session (one message, edited in place, pinned).
    panel_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


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


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    party_id: int | None = Field(default=None, foreign_key="party.id")
    present: bool = True
    source: str = Field(default="rsvp", max_length=16)  # rsvp | manual
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class MinuteEntry(SQLModel, table=True):
    """One recorded line of the minutes (note, decision or action), stored when received."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agendaitem.id")
    kind: str = Field(max_length=16)  # note | decision | action
    text: str = Field(sa_column=Column(Text, nullable=False))
    author_person_id: int | None = Field(default=None, foreign_key="person.id")
    struck: bool = False
    source_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class MinuteRevision(SQLModel, table=True):
    """The history of a corrected or struck line: nothing recorded is ever lost."""

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="minuteentry.id", index=True)
    old_text: str = Field(sa_column=Column(Text, nullable=False))
    new_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    struck: bool = False
    by_person_id: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Decision(SQLModel, table=True):
    """The decision register: numbered per body and year (e.g. SG 2026:7)."""

    __table_args__ = (UniqueConstraint("body_id", "year", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    year: int
    number: int
    decided_on: date
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agendaitem.id")
    entry_id: int | None = Field(default=None, foreign_key="minuteentry.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    # ordinary | revision_minor | revision_significant | budget_frame | deficiency_dialogue |
    # deficiency_action_plan | deficiency_removal | new_party
    kind: str = Field(default="ordinary", max_length=32)
    party_id: int | None = Field(default=None, foreign_key="party.id")
    # final | pending_approval (förvaltningschef / socialnämnden) | approved | rejected
    status: str = Field(default="final", max_length=24)
    approval_by: str | None = Field(default=None, max_length=32)
    approved_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    approval_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    due_on: date | None = None  # e.g. the action plan's due date in a deficiency procedure
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ActionItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    entry_id: int | None = Field(default=None, foreign_key="minuteentry.id")
    owner_person_id: int = Field(foreign_key="person.id")
    due_on: date
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=16)  # open | done | cancelled
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ProtokollRecord(SQLModel, table=True):
    """A protokoll version. Once final (locked) the database itself refuses any change."""

    __tablename__ = "protokoll"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    version: int = 1
    amendment_of_id: int | None = Field(default=None, foreign_key="protokoll.id")
    status: str = Field(default="draft", max_length=16)  # draft | final
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    locked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Justering(SQLModel, table=True):
    """The chair's and the justerare's verdicts on a protokoll version."""

    __table_args__ = (UniqueConstraint("protokoll_id", "person_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    protokoll_id: int = Field(foreign_key="protokoll.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    role: str = Field(max_length=16)  # chair | justerare
    verdict: str = Field(max_length=16)  # approve | change
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    content_hash: str = Field(max_length=64)  # what was approved
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Vote(SQLModel, table=True):
    """A vote on inline buttons (Telegram polls cannot weigh votes or stay open for days)."""

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    agenda_item_id: int | None = Field(default=None, foreign_key="agendaitem.id")
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    question: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=16)  # open | closed | cancelled
    # Entitlement is fixed when the vote opens: [{"person_id": 1, "party_key": "convictus"}, ...]
    entitled: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    rule: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    closes_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    opened_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    decision_id: int | None = Field(default=None, foreign_key="decision.id")


class Ballot(SQLModel, table=True):
    """Every press is kept (the audit trail); the latest per person counts."""

    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(foreign_key="vote.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    choice: str = Field(max_length=8)  # yes | no | abstain
    cast_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Escalation(SQLModel, table=True):
    """A question the samverkansgrupp raises to the styrgrupp, followed until reported back."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    from_body_id: int = Field(foreign_key="body.id")
    to_body_id: int = Field(foreign_key="body.id")
    question: str = Field(sa_column=Column(Text, nullable=False))
    # proposed | raised | on_agenda | decided | reported | withdrawn
    status: str = Field(default="proposed", max_length=16)
    raised_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    confirmed_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    agenda_item_id: int | None = Field(default=None, foreign_key="agendaitem.id")
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    source_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    raised_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    reported_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


__all__ = [
    "ActionItem",
    "Administrator",
    "AgendaItem",
    "Attendance",
    "AuditEntry",
    "Ballot",
    "Body",
    "BodyKind",
    "ChairTerm",
    "ChatStatus",
    "Decision",
    "Escalation",
    "ExportRecord",
    "Justering",
    "Meeting",
    "MeetingStatus",
    "Membership",
    "MembershipStatus",
    "MinuteEntry",
    "MinuteRevision",
    "Partnership",
    "Party",
    "Person",
    "ProcessedUpdate",
    "ProtokollRecord",
    "Rsvp",
    "RsvpAnswer",
    "Vote",
    "utcnow",
]
