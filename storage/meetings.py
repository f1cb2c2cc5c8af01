"""Repository functions for meetings, their agenda items and RSVPs.

Rows that several updates may change at once (a body while a meeting is called or numbered, a
meeting while it is answered or changed) are read with FOR UPDATE: PostgreSQL locks them; SQLite
ignores the clause and serialises writers with BEGIN IMMEDIATE instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from storage.models import AgendaItem, Body, Meeting, MeetingStatus, Person, Rsvp

__all__ = [
    "add_item",
    "agenda_of",
    "agendas_of",
    "clear_rsvps",
    "count_items",
    "draft_of",
    "get_meeting",
    "get_rsvp",
    "lock_body",
    "meeting_at",
    "meeting_ids_of",
    "meetings_by_id",
    "next_number",
    "past_meetings",
    "pending_items",
    "rsvps_of",
    "rsvps_of_meetings",
    "upcoming_meetings",
]


def lock_body(session: Session, body_id: int) -> Body | None:
    return session.exec(select(Body).where(Body.id == body_id).with_for_update()).first()


def get_meeting(session: Session, meeting_id: int, *, lock: bool = False) -> Meeting | None:
    query = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        query = query.with_for_update()
        # A row already in the session would otherwise be returned as it was first read.
        return session.exec(query.execution_options(populate_existing=True)).first()
    return session.exec(query).first()


def meeting_ids_of(session: Session, body_id: int) -> list[int]:
    return [m for m in session.exec(select(Meeting.id).where(Meeting.body_id == body_id)) if m]


def draft_of(session: Session, body_id: int) -> Meeting | None:
    return session.exec(
        select(Meeting)
        .where(Meeting.body_id == body_id, Meeting.status == MeetingStatus.DRAFT)
        .order_by(col(Meeting.id))
    ).first()


def meeting_at(session: Session, body_id: int, starts_at: datetime) -> Meeting | None:
    """A meeting of the body (not cancelled) that starts at that instant."""
    return session.exec(
        select(Meeting).where(
            Meeting.body_id == body_id,
            Meeting.starts_at == starts_at,
            Meeting.status != MeetingStatus.CANCELLED,
        )
    ).first()


def upcoming_meetings(
    session: Session, body_id: int, now: datetime, *, include_drafts: bool = True
) -> list[Meeting]:
    """Meetings not yet over, soonest first (cancelled ones excluded)."""
    statuses = [MeetingStatus.PUBLISHED] + ([MeetingStatus.DRAFT] if include_drafts else [])
    return list(
        session.exec(
            select(Meeting)
            .where(
                Meeting.body_id == body_id,
                col(Meeting.status).in_(statuses),
                Meeting.ends_at > now,
            )
            .order_by(col(Meeting.starts_at), col(Meeting.id))
        ).all()
    )


def past_meetings(session: Session, body_id: int, now: datetime, *, limit: int) -> list[Meeting]:
    """Published meetings that are over, most recent first."""
    return list(
        session.exec(
            select(Meeting)
            .where(
                Meeting.body_id == body_id,
                Meeting.status == MeetingStatus.PUBLISHED,
                Meeting.ends_at <= now,
            )
            .order_by(col(Meeting.starts_at).desc())
            .limit(limit)
        ).all()
    )


def next_number(session: Session, body_id: int, year: int) -> int:
    """The next meeting number of the body in that year (call with the body locked)."""
    current = session.exec(
        select(func.max(Meeting.number)).where(Meeting.body_id == body_id, Meeting.year == year)
    ).one()
    return int(current or 0) + 1


def agenda_of(session: Session, meeting_id: int) -> list[AgendaItem]:
    return list(
        session.exec(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(col(AgendaItem.position), col(AgendaItem.id))
        ).all()
    )


def agendas_of(session: Session, meeting_ids: list[int]) -> list[AgendaItem]:
    """The agenda items of several meetings in one read, each meeting's in `agenda_of` order."""
    if not meeting_ids:
        return []
    return list(
        session.exec(
            select(AgendaItem)
            .where(col(AgendaItem.meeting_id).in_(meeting_ids))
            .order_by(col(AgendaItem.meeting_id), col(AgendaItem.position), col(AgendaItem.id))
        ).all()
    )


def meetings_by_id(session: Session, meeting_ids: list[int]) -> dict[int, Meeting]:
    if not meeting_ids:
        return {}
    rows = session.exec(select(Meeting).where(col(Meeting.id).in_(meeting_ids))).all()
    return {m.id: m for m in rows if m.id is not None}


def count_items(session: Session, meeting_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
        ).one()
    )


def pending_items(session: Session, body_id: int) -> list[AgendaItem]:
    """Items raised for the body's next meeting, oldest first."""
    return list(
        session.exec(
            select(AgendaItem)
            .where(
                AgendaItem.body_id == body_id,
                col(AgendaItem.meeting_id).is_(None),
                col(AgendaItem.dropped).is_(False),
            )
            .order_by(col(AgendaItem.created_at), col(AgendaItem.id))
        ).all()
    )


def add_item(session: Session, item: AgendaItem) -> AgendaItem:
    session.add(item)
    session.flush()
    return item


def get_rsvp(session: Session, meeting_id: int, person_id: int) -> Rsvp | None:
    return session.exec(
        select(Rsvp).where(Rsvp.meeting_id == meeting_id, Rsvp.person_id == person_id)
    ).first()


def rsvps_of(session: Session, meeting_id: int) -> list[tuple[Rsvp, Person]]:
    rows = session.exec(
        select(Rsvp, Person)
        .join(Person, col(Person.id) == Rsvp.person_id)
        .where(Rsvp.meeting_id == meeting_id)
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    ).all()
    return [(rsvp, person) for rsvp, person in rows]


def rsvps_of_meetings(
    session: Session, meeting_ids: list[int]
) -> dict[int, list[tuple[Rsvp, Person]]]:
    """`rsvps_of` for several meetings in one query (a list of meetings shows each one's
    answers)."""
    found: dict[int, list[tuple[Rsvp, Person]]] = {m: [] for m in meeting_ids}
    if not meeting_ids:
        return found
    rows = session.exec(
        select(Rsvp, Person)
        .join(Person, col(Person.id) == Rsvp.person_id)
        .where(col(Rsvp.meeting_id).in_(meeting_ids))
        .order_by(col(Rsvp.answered_at), col(Rsvp.id))
    ).all()
    for rsvp, person in rows:
        found[rsvp.meeting_id].append((rsvp, person))
    return found


def clear_rsvps(session: Session, meeting_id: int) -> int:
    result = session.exec(delete(Rsvp).where(col(Rsvp.meeting_id) == meeting_id))  # type: ignore[call-overload]
    session.flush()
    return int(result.rowcount or 0)
