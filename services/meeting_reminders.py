"""Reminders of one meeting: group reminders before it, private nudges to members who have not
answered, and a re-sync of the cadence deadlines that a called meeting satisfies."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import Meeting

__all__ = ["sync_meeting_reminders"]


def sync_meeting_reminders(session: Session, meeting: Meeting, *, now: datetime) -> None:
    """Recompute every reminder row of ``meeting`` (stub; filled in shortly)."""
    return None
