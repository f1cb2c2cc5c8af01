"""The verksamhetsrapport's tables and repository functions.

* `ActivityReport`: one per partnership and deadline key (a half-year, or an annual compilation
  year): open → compiled → sent. The compilation is stored as it was compiled (JSON), so the next
  period compares with exactly what was sent, and the files can be rendered again.
* `ReportEntry`: one per reporting unit (activity) of a report: the form's state while it is
  filled in (so it survives restarts and continues from any device) and the submitted figures.
  A correction works on the form while the submitted figures stay valid until resubmitted.
* `ReportFormSession`: which entry a person's private chat is filling in right now.

Functions take a Session and flush; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from storage.types import UTCDateTime

__all__ = [
    "ActivityReport",
    "EntryState",
    "ReportEntry",
    "ReportFormSession",
    "ReportKind",
    "ReportStatus",
    "active_entry",
    "entries_for_party",
    "entries_of",
    "get_entry",
    "get_report",
    "report_by_key",
    "reports_of",
    "set_active_entry",
]


class ReportKind(StrEnum):
    HALF_YEAR = "half_year"
    ANNUAL = "annual"


class ReportStatus(StrEnum):
    OPEN = "open"
    COMPILED = "compiled"  # files posted in the samverkansgrupp
    SENT = "sent"  # sent on to the styrgrupp; the deadline met


class EntryState(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class ActivityReport(SQLModel, table=True):
    __tablename__ = "activity_report"
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    body_id: int = Field(foreign_key="body.id")  # the body that delivers it (samverkansgrupp)
    kind: str = Field(default=ReportKind.HALF_YEAR, max_length=16)
    key: str = Field(max_length=100)  # the deadline key: "activity_report:2025-11..2026-04"
    period_start: date
    period_end: date
    due_on: date
    status: str = Field(default=ReportStatus.OPEN, max_length=16)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    opened_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    compiled_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    compiled_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    compilation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sent_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    # The outbox key of the group's latest status message, edited as entries move on.
    status_key: str | None = Field(default=None, max_length=255)


class ReportEntry(SQLModel, table=True):
    __tablename__ = "report_entry"
    __table_args__ = (UniqueConstraint("report_id", "unit_key"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="activity_report.id", index=True)
    position: int = 0
    unit_key: str = Field(max_length=100)
    party_key: str = Field(max_length=64)
    party_name: str = Field(max_length=500)
    unit_name: str = Field(max_length=500)
    state: str = Field(default=EntryState.NOT_STARTED, max_length=16)
    form: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    figures: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # A submitted entry whose form is open again for a correction.
    correcting: bool = False
    person_id: int | None = Field(default=None, foreign_key="person.id")
    submitted_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    submitted_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReportFormSession(SQLModel, table=True):
    __tablename__ = "report_form_session"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    entry_id: int = Field(foreign_key="report_entry.id")
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def _locked(query: Any, lock: bool) -> Any:
    if lock:
        return query.with_for_update().execution_options(populate_existing=True)
    return query


def get_report(session: Session, report_id: int, *, lock: bool = False) -> ActivityReport | None:
    return session.exec(
        _locked(select(ActivityReport).where(ActivityReport.id == report_id), lock)
    ).first()


def report_by_key(
    session: Session, partnership_id: int, key: str, *, lock: bool = False
) -> ActivityReport | None:
    query = select(ActivityReport).where(
        ActivityReport.partnership_id == partnership_id, ActivityReport.key == key
    )
    return session.exec(_locked(query, lock)).first()


def reports_of(
    session: Session, partnership_id: int, *, statuses: Sequence[str] | None = None
) -> list[ActivityReport]:
    query = select(ActivityReport).where(ActivityReport.partnership_id == partnership_id)
    if statuses is not None:
        query = query.where(col(ActivityReport.status).in_(list(statuses)))
    return list(session.exec(query.order_by(col(ActivityReport.period_start))).all())


def entries_of(session: Session, report_id: int) -> list[ReportEntry]:
    return list(
        session.exec(
            select(ReportEntry)
            .where(ReportEntry.report_id == report_id)
            .order_by(col(ReportEntry.position), col(ReportEntry.id))
        ).all()
    )


def get_entry(session: Session, entry_id: int, *, lock: bool = False) -> ReportEntry | None:
    return session.exec(
        _locked(select(ReportEntry).where(ReportEntry.id == entry_id), lock)
    ).first()


def entries_for_party(
    session: Session, party_keys: Sequence[str]
) -> list[tuple[ReportEntry, ActivityReport]]:
    """Entries of open reports whose unit belongs to one of these parties."""
    rows = session.exec(
        select(ReportEntry, ActivityReport)
        .join(ActivityReport, col(ActivityReport.id) == ReportEntry.report_id)
        .where(
            col(ReportEntry.party_key).in_(list(party_keys)),
            ActivityReport.status == ReportStatus.OPEN,
        )
        .order_by(col(ActivityReport.period_start), col(ReportEntry.position))
    ).all()
    return [(entry, report) for entry, report in rows]


def active_entry(session: Session, person_id: int) -> ReportEntry | None:
    row = session.exec(
        select(ReportFormSession).where(ReportFormSession.person_id == person_id)
    ).first()
    return None if row is None else session.get(ReportEntry, row.entry_id)


def set_active_entry(session: Session, person_id: int, entry_id: int | None, now: datetime) -> None:
    row = session.exec(
        select(ReportFormSession).where(ReportFormSession.person_id == person_id)
    ).first()
    if entry_id is None:
        if row is not None:
            session.delete(row)
            session.flush()
        return
    if row is None:
        row = ReportFormSession(person_id=person_id, entry_id=entry_id, started_at=now)
    else:
        row.entry_id = entry_id
        row.started_at = now
    session.add(row)
    session.flush()
