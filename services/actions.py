"""Action items: owner, due date, status, reminders."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from storage.models import ActionItem, Body, Person


def record_action_item(
    session: Session,
    *,
    body: Body,
    owner: Person,
    due_on: date,
    text: str,
    now: datetime,
    meeting_id: int | None = None,
    entry_id: int | None = None,
) -> ActionItem:
    """Store an action item and schedule its reminders (stub: filled in shortly)."""
    raise NotImplementedError


def open_action_items(session: Session, body_id: int) -> list[tuple[ActionItem, Person]]:
    """Open items of a body with their owners, earliest due first."""
    return []
