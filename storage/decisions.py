"""Repository functions for the decision register and action items.

Functions flush; the caller owns the transaction. Numbers are taken with the body row locked
(FOR UPDATE on PostgreSQL; SQLite serialises writers), and the unique constraint on
(body, year, number) is the backstop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from storage.models import ActionItem, AuditEntry, Body, Decision, Meeting, Party, Person

__all__ = [
    "CADENCE_AUDIT",
    "add",
    "cadence_months",
    "closed_meetings",
    "decision_label",
    "decisions_of",
    "decisions_of_kinds",
    "find_decision",
    "get_action_item",
    "get_decision",
    "lock_body",
    "next_number",
    "open_items",
    "open_items_of_partnership",
    "pending_of_partnership",
    "upcoming_meeting",
]

# The audit action that carries a cadence change's number of months (Decision has no column).
CADENCE_AUDIT = "decision.cadence_change"


def decision_label(body: Body, decision: Decision) -> str:
    """The register number as written in minutes: "SG 2026:7"."""
    return f"{body.decision_prefix} {decision.year}:{decision.number}"


def lock_body(session: Session, body_id: int) -> Body | None:
    return session.exec(select(Body).where(Body.id == body_id).with_for_update()).first()


def next_number(session: Session, body_id: int, year: int) -> int:
    """The next register number of the body in that year (call with the body locked)."""
    current = session.exec(
        select(func.max(Decision.number)).where(Decision.body_id == body_id, Decision.year == year)
    ).one()
    return int(current or 0) + 1


def add(session: Session, row: Decision | ActionItem | AuditEntry) -> None:
    session.add(row)
    session.flush()


def get_decision(session: Session, decision_id: int, *, lock: bool = False) -> Decision | None:
    query = select(Decision).where(Decision.id == decision_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def find_decision(
    session: Session, partnership_id: int, prefix: str, year: int, number: int
) -> tuple[Decision, Body] | None:
    row = session.exec(
        select(Decision, Body)
        .join(Body, col(Body.id) == Decision.body_id)
        .where(
            Body.partnership_id == partnership_id,
            Body.decision_prefix == prefix,
            Decision.year == year,
            Decision.number == number,
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def decisions_of(session: Session, body_id: int, *, limit: int | None = None) -> list[Decision]:
    """The body's register, newest first (`limit`: only the newest that many)."""
    query = (
        select(Decision)
        .where(Decision.body_id == body_id)
        .order_by(col(Decision.year).desc(), col(Decision.number).desc(), col(Decision.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def decisions_of_kinds(
    session: Session, partnership_id: int, kinds: Sequence[str]
) -> list[tuple[Decision, Body, Party | None]]:
    """Decisions of these kinds in every body of the partnership, oldest first."""
    rows = session.exec(
        select(Decision, Body, Party)
        .join(Body, col(Body.id) == Decision.body_id)
        .join(Party, col(Party.id) == Decision.party_id, isouter=True)
        .where(Body.partnership_id == partnership_id, col(Decision.kind).in_(list(kinds)))
        .order_by(col(Decision.decided_on), col(Decision.year), col(Decision.number))
    ).all()
    return [(d, b, p) for d, b, p in rows]


def pending_of_partnership(session: Session, partnership_id: int) -> list[tuple[Decision, Body]]:
    rows = session.exec(
        select(Decision, Body)
        .join(Body, col(Body.id) == Decision.body_id)
        .where(Body.partnership_id == partnership_id, Decision.status == "pending_approval")
        .order_by(col(Decision.decided_on), col(Decision.id))
    ).all()
    return [(d, b) for d, b in rows]


def cadence_months(session: Session, partnership_id: int) -> dict[int, int]:
    """decision id -> months, from the audit entries written when cadence changes were decided."""
    rows = session.exec(
        select(AuditEntry).where(
            AuditEntry.partnership_id == partnership_id, AuditEntry.action == CADENCE_AUDIT
        )
    ).all()
    found: dict[int, int] = {}
    for row in rows:
        decision_id, months = row.detail.get("decision_id"), row.detail.get("months")
        if isinstance(decision_id, int) and isinstance(months, int):
            found[decision_id] = months
    return found


def get_action_item(session: Session, item_id: int, *, lock: bool = False) -> ActionItem | None:
    query = select(ActionItem).where(ActionItem.id == item_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def open_items(session: Session, body_id: int) -> list[tuple[ActionItem, Person]]:
    rows = session.exec(
        select(ActionItem, Person)
        .join(Person, col(Person.id) == ActionItem.owner_person_id)
        .where(ActionItem.body_id == body_id, ActionItem.status == "open")
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
    ).all()
    return [(a, p) for a, p in rows]


def open_items_of_partnership(
    session: Session, partnership_id: int
) -> list[tuple[ActionItem, Body, Person]]:
    rows = session.exec(
        select(ActionItem, Body, Person)
        .join(Body, col(Body.id) == ActionItem.body_id)
        .join(Person, col(Person.id) == ActionItem.owner_person_id)
        .where(Body.partnership_id == partnership_id, ActionItem.status == "open")
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
    ).all()
    return [(a, b, p) for a, b, p in rows]


def closed_meetings(session: Session, body_id: int) -> list[Meeting]:
    """Meetings the body has held (closed with /motesslut), newest first."""
    return list(
        session.exec(
            select(Meeting)
            .where(Meeting.body_id == body_id, col(Meeting.closed_at).is_not(None))
            .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
        ).all()
    )


def upcoming_meeting(session: Session, body_id: int, since: datetime) -> Meeting | None:
    """The meeting in progress, or else the next one not cancelled starting from `since`."""
    return session.exec(
        select(Meeting)
        .where(
            Meeting.body_id == body_id,
            col(Meeting.closed_at).is_(None),
            Meeting.status != "cancelled",
            or_(col(Meeting.starts_at) >= since, col(Meeting.opened_at).is_not(None)),
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    ).first()
