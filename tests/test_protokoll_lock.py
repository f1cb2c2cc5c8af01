"""A locked protokoll cannot change in the database, whatever code tries (RELIABILITY 22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Body, Meeting, MinuteEntry, Partnership, ProtokollRecord

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _setup(session: Session) -> int:
    p = Partnership(
        diarienummer="T 1",
        name="t",
        timezone="Europe/Stockholm",
        language="sv",
        spec={},
        spec_hash="x",
        imported_at=NOW,
        updated_at=NOW,
    )
    session.add(p)
    session.flush()
    b = Body(partnership_id=p.id or 0, kind="styrgrupp", name="SG", decision_prefix="SG")
    session.add(b)
    session.flush()
    m = Meeting(
        body_id=b.id or 0,
        uid="u1",
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=1),
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(m)
    session.flush()
    assert m.id is not None
    session.add(
        MinuteEntry(meeting_id=m.id, kind="note", text="before", created_at=NOW, updated_at=NOW)
    )
    session.add(
        ProtokollRecord(
            meeting_id=m.id,
            status="final",
            content={"a": 1},
            content_hash="h",
            created_at=NOW,
            locked_at=NOW,
        )
    )
    session.commit()
    return m.id


def test_final_protokoll_and_its_minutes_are_immutable(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as session:
        meeting_id = _setup(session)
    attempts = [
        lambda s: setattr(s.exec(select(ProtokollRecord)).one(), "content", {"a": 2}),
        lambda s: s.delete(s.exec(select(ProtokollRecord)).one()),
        lambda s: setattr(s.exec(select(MinuteEntry)).one(), "text", "after"),
        lambda s: s.delete(s.exec(select(MinuteEntry)).one()),
        lambda s: s.add(
            MinuteEntry(
                meeting_id=meeting_id, kind="note", text="new", created_at=NOW, updated_at=NOW
            )
        ),
    ]
    for attempt in attempts:
        with Session(engine) as session:
            attempt(session)
            with pytest.raises(DBAPIError, match="protokoll is locked"):
                session.commit()
    with Session(engine) as session:
        assert session.exec(select(ProtokollRecord)).one().content == {"a": 1}
        assert session.exec(select(MinuteEntry)).one().text == "before"
    engine.dispose()
