"""Repository functions for escalations (questions raised from the samverkansgrupp).

An escalation that two updates may change at once (two confirm presses, a decision recorded while
the chat is linked) is read with FOR UPDATE; SQLite serialises writers with BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import AgendaItem, Escalation

__all__ = [
    "add",
    "get",
    "of_agenda_item",
    "of_meeting",
    "of_partnership",
    "pending_of_body",
]


def add(session: Session, escalation: Escalation) -> Escalation:
    session.add(escalation)
    session.flush()
    return escalation


def get(session: Session, escalation_id: int, *, lock: bool = False) -> Escalation | None:
    query = select(Escalation).where(Escalation.id == escalation_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def of_agenda_item(
    session: Session, agenda_item_id: int, *, lock: bool = False
) -> Escalation | None:
    query = select(Escalation).where(Escalation.agenda_item_id == agenda_item_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def of_partnership(
    session: Session, partnership_id: int, statuses: Sequence[str]
) -> list[Escalation]:
    """The partnership's escalations in these states, oldest first."""
    return list(
        session.exec(
            select(Escalation)
            .where(
                Escalation.partnership_id == partnership_id,
                col(Escalation.status).in_(list(statuses)),
            )
            .order_by(col(Escalation.created_at), col(Escalation.id))
        ).all()
    )


def of_meeting(session: Session, meeting_id: int) -> list[tuple[Escalation, AgendaItem]]:
    """Escalations whose agenda item is on that meeting."""
    rows = session.exec(
        select(Escalation, AgendaItem)
        .join(AgendaItem, col(AgendaItem.id) == Escalation.agenda_item_id)
        .where(AgendaItem.meeting_id == meeting_id)
        .order_by(col(Escalation.id))
    ).all()
    return [(e, i) for e, i in rows]


def pending_of_body(session: Session, body_id: int) -> list[tuple[Escalation, AgendaItem]]:
    """Escalations whose agenda item waits for the body's next meeting to be called."""
    rows = session.exec(
        select(Escalation, AgendaItem)
        .join(AgendaItem, col(AgendaItem.id) == Escalation.agenda_item_id)
        .where(AgendaItem.body_id == body_id, col(AgendaItem.meeting_id).is_(None))
        .order_by(col(Escalation.id))
    ).all()
    return [(e, i) for e, i in rows]
