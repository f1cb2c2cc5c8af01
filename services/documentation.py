"""Who writes the next minutes (the partnership file's documentation duty)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from storage.models import Body, Party, Person


def next_minute_taker(
    session: Session, body: Body, *, today: date
) -> tuple[str, Person | None, Party | None]:
    """(duty kind, person if chair-led, party if rotating)."""
    return ("chair", None, None)
