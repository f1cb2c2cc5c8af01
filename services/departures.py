"""A member who leaves a body's group chat, or is removed from it, leaves the body: the
membership ends, and retention counts from that day (`services.retention`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage import bodies, people
from storage.models import AuditEntry, MembershipStatus


def left_chat(
    session: Session, *, chat_id: int, telegram_user_id: int, removed: bool, now: datetime
) -> bool:
    """The person left (or was removed from) the chat of a body: their membership of that body
    ends. Returns whether one ended."""
    body = bodies.get_body_by_chat(session, chat_id)
    person = people.get_person_by_telegram_id(session, telegram_user_id)
    if body is None or body.id is None or person is None or person.id is None:
        return False
    membership = people.get_membership(session, body.id, person.id)
    if membership is None or membership.status not in (
        MembershipStatus.PENDING,
        MembershipStatus.CONFIRMED,
    ):
        return False
    membership.status = MembershipStatus.LEFT
    membership.ended_at = now
    membership.requested_party_id = None
    session.add(membership)
    session.add(
        AuditEntry(
            partnership_id=body.partnership_id,
            at=now,
            action="membership.ended",
            detail={
                "body_id": body.id,
                "person_id": person.id,
                "reason": "removed" if removed else "left",
            },
        )
    )
    session.flush()
    return True
