"""Repository functions for the live meeting, its recorded lines, protokoll versions and justering.

Rows changed by concurrent updates (the meeting while lines are recorded, a protokoll version
while it is approved) are read with FOR UPDATE: PostgreSQL locks them; SQLite serialises writers
with BEGIN IMMEDIATE instead.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import (
    ActionItem,
    Attendance,
    Decision,
    Justering,
    Meeting,
    MeetingStatus,
    MinuteEntry,
    MinuteRevision,
    Party,
    Person,
    ProtokollRecord,
)

__all__ = [
    "action_of_entry",
    "actions_of_meeting",
    "add_revision",
    "attendance_of",
    "decision_of_entry",
    "entries_of",
    "entry_counts",
    "get_attendance",
    "get_entry",
    "get_protokoll",
    "justeringar_of",
    "latest_final",
    "latest_protokoll",
    "next_version",
    "open_meeting",
    "previous_closed_meeting",
    "revisions_of",
]


def open_meeting(session: Session, body_id: int, *, lock: bool = False) -> Meeting | None:
    """The body's meeting in session (opened, not closed)."""
    query = select(Meeting).where(
        Meeting.body_id == body_id,
        col(Meeting.opened_at).is_not(None),
        col(Meeting.closed_at).is_(None),
        Meeting.status != MeetingStatus.CANCELLED,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query.order_by(col(Meeting.opened_at))).first()


def previous_closed_meeting(
    session: Session, body_id: int, *, before_id: int | None = None
) -> Meeting | None:
    """The most recently closed meeting of the body (other than `before_id`)."""
    query = select(Meeting).where(Meeting.body_id == body_id, col(Meeting.closed_at).is_not(None))
    if before_id is not None:
        query = query.where(Meeting.id != before_id)
    return session.exec(query.order_by(col(Meeting.closed_at).desc())).first()


def attendance_of(
    session: Session, meeting_id: int
) -> list[tuple[Attendance, Person, Party | None]]:
    rows = session.exec(
        select(Attendance, Person, Party)
        .join(Person, col(Person.id) == Attendance.person_id)
        .join(Party, col(Party.id) == Attendance.party_id, isouter=True)
        .where(Attendance.meeting_id == meeting_id)
        .order_by(col(Attendance.id))
    ).all()
    return [(a, p, party) for a, p, party in rows]


def get_attendance(session: Session, meeting_id: int, person_id: int) -> Attendance | None:
    return session.exec(
        select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.person_id == person_id
        )
    ).first()


def entries_of(session: Session, meeting_id: int) -> list[MinuteEntry]:
    return list(
        session.exec(
            select(MinuteEntry)
            .where(MinuteEntry.meeting_id == meeting_id)
            .order_by(col(MinuteEntry.id))
        ).all()
    )


def entry_counts(session: Session, meeting_id: int, item_id: int | None) -> dict[str, int]:
    """Lines not struck under one item of the meeting (None: before any item), by kind: the
    panel's counts, without reading every line of the meeting."""
    item = (
        col(MinuteEntry.agenda_item_id).is_(None)
        if item_id is None
        else col(MinuteEntry.agenda_item_id) == item_id
    )
    rows = session.exec(
        select(MinuteEntry.kind, func.count())
        .where(MinuteEntry.meeting_id == meeting_id, item, col(MinuteEntry.struck).is_(False))
        .group_by(col(MinuteEntry.kind))
    ).all()
    return {kind: int(n) for kind, n in rows}


def get_entry(session: Session, entry_id: int, *, lock: bool = False) -> MinuteEntry | None:
    query = select(MinuteEntry).where(MinuteEntry.id == entry_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def entry_by_source(
    session: Session, meeting_ids: list[int], message_id: int
) -> MinuteEntry | None:
    """The line recorded from that message (message ids are per chat: pass the body's meetings)."""
    if not meeting_ids:
        return None
    return session.exec(
        select(MinuteEntry)
        .where(
            col(MinuteEntry.meeting_id).in_(meeting_ids),
            MinuteEntry.source_message_id == message_id,
        )
        .order_by(col(MinuteEntry.id).desc())
    ).first()


def add_revision(session: Session, revision: MinuteRevision) -> MinuteRevision:
    session.add(revision)
    session.flush()
    return revision


def revisions_of(session: Session, entry_id: int) -> list[MinuteRevision]:
    return list(
        session.exec(
            select(MinuteRevision)
            .where(MinuteRevision.entry_id == entry_id)
            .order_by(col(MinuteRevision.id))
        ).all()
    )


def decision_of_entry(session: Session, entry_id: int) -> Decision | None:
    return session.exec(select(Decision).where(Decision.entry_id == entry_id)).first()


def action_of_entry(session: Session, entry_id: int) -> ActionItem | None:
    return session.exec(select(ActionItem).where(ActionItem.entry_id == entry_id)).first()


def actions_of_meeting(session: Session, meeting_id: int) -> list[tuple[ActionItem, Person]]:
    rows = session.exec(
        select(ActionItem, Person)
        .join(Person, col(Person.id) == ActionItem.owner_person_id)
        .where(ActionItem.meeting_id == meeting_id)
        .order_by(col(ActionItem.id))
    ).all()
    return [(a, p) for a, p in rows]


def get_protokoll(
    session: Session, protokoll_id: int, *, lock: bool = False
) -> ProtokollRecord | None:
    query = select(ProtokollRecord).where(ProtokollRecord.id == protokoll_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def latest_protokoll(session: Session, meeting_id: int) -> ProtokollRecord | None:
    return session.exec(
        select(ProtokollRecord)
        .where(ProtokollRecord.meeting_id == meeting_id)
        .order_by(col(ProtokollRecord.version).desc())
    ).first()


def latest_final(session: Session, meeting_id: int) -> ProtokollRecord | None:
    return session.exec(
        select(ProtokollRecord)
        .where(ProtokollRecord.meeting_id == meeting_id, ProtokollRecord.status == "final")
        .order_by(col(ProtokollRecord.version).desc())
    ).first()


def next_version(session: Session, meeting_id: int) -> int:
    current = session.exec(
        select(func.max(ProtokollRecord.version)).where(ProtokollRecord.meeting_id == meeting_id)
    ).one()
    return int(current or 0) + 1


def justeringar_of(session: Session, protokoll_id: int) -> list[Justering]:
    return list(
        session.exec(
            select(Justering)
            .where(Justering.protokoll_id == protokoll_id)
            .order_by(col(Justering.id))
        ).all()
    )


def get_justering(
    session: Session, protokoll_id: int, person_id: int, role: str
) -> Justering | None:
    return session.exec(
        select(Justering).where(
            Justering.protokoll_id == protokoll_id,
            Justering.person_id == person_id,
            Justering.role == role,
        )
    ).first()


def unlocked_closed_meetings(session: Session, body_id: int) -> list[Meeting]:
    """Closed meetings of the body whose minutes are not yet approved (oldest first)."""
    final = select(ProtokollRecord.meeting_id).where(ProtokollRecord.status == "final")
    return list(
        session.exec(
            select(Meeting)
            .where(
                Meeting.body_id == body_id,
                col(Meeting.closed_at).is_not(None),
                col(Meeting.id).not_in(final),
            )
            .order_by(col(Meeting.closed_at))
        ).all()
    )


def closed_meetings(session: Session, body_id: int) -> list[Meeting]:
    """Closed meetings of the body, most recently closed first."""
    return list(
        session.exec(
            select(Meeting)
            .where(Meeting.body_id == body_id, col(Meeting.closed_at).is_not(None))
            .order_by(col(Meeting.closed_at).desc(), col(Meeting.id).desc())
        ).all()
    )


__all__ += ["closed_meetings", "entry_by_source", "get_justering", "unlocked_closed_meetings"]
