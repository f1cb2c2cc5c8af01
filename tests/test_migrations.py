"""Every migration goes up and down on both engines, and the models match the head revision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel

import storage.models
import storage.reports  # noqa: F401
from storage.db import make_engine
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.models import Partnership


def test_up_down_up_and_models_match_head(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models differ from the head migration: {diff}"
    engine.dispose()


def test_instants_come_back_aware_utc(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    stockholm_noon = datetime(2026, 3, 29, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with Session(engine) as session:
        session.add(
            Partnership(
                diarienummer="X 1",
                name="x",
                timezone="Europe/Stockholm",
                language="sv",
                spec={},
                spec_hash="0",
                imported_at=stockholm_noon,
                updated_at=stockholm_noon,
            )
        )
        session.commit()
    with Session(engine) as session:
        row = session.get(Partnership, 1)
        assert row is not None
        assert row.imported_at.tzinfo is not None
        assert row.imported_at.utcoffset() == timedelta(0)
        assert row.imported_at == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    engine.dispose()


def test_naive_datetimes_are_refused(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    with Session(engine) as session:
        session.add(
            Partnership(
                diarienummer="X 2",
                name="x",
                timezone="Europe/Stockholm",
                language="sv",
                spec={},
                spec_hash="0",
                imported_at=datetime(2026, 1, 1, 12, 0),
                updated_at=datetime(2026, 1, 1, 12, 0),
            )
        )
        with pytest.raises(Exception, match="timezone-aware"):
            session.commit()
    engine.dispose()
