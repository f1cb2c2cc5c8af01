"""Erasure and retention on SQLite and PostgreSQL alike: JSON columns searched as text (names
escaped inside JSON), free text matched case-insensitively, batches deleted by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import select

from bot.app import make_services
from services import privacy
from services.retention import run_retention
from storage.db import transaction
from storage.models import AuditEntry, Escalation, Person, ProcessedUpdate
from storage.reminders import Reminder, ReminderSpec, schedule
from tests.conftest import FakeClock, import_example, make_settings

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_erasure_and_retention_on_both_databases(database_url: str) -> None:
    clock = FakeClock(NOW)
    svc = make_services(make_settings(database_url), clock=clock)
    import_example(svc, "sof-2025-144.toml")
    with transaction(svc.session_factory) as s:
        asa = Person(
            telegram_user_id=777001, first_name="Åsa", last_name="Öberg", username="asa_o",
            private_chat_id=777001, created_at=NOW,
        )  # fmt: skip
        s.add(asa)
        s.flush()
        assert asa.id is not None
        schedule(
            s,
            [
                ReminderSpec(
                    kind="text", source="t:1", dedupe_key="t:1", chat_id=-100, due_at=NOW,
                    payload={"names": [{"name": "Åsa Öberg", "user_id": 777001}], "n": 3},
                ),
                ReminderSpec(
                    kind="text", source="t:2", dedupe_key="t:2", chat_id=777001, due_at=NOW,
                    person_id=asa.id, payload={"text": "Hej Åsa"},
                ),
            ],
            now=NOW,
        )  # fmt: skip
        s.add(AuditEntry(at=NOW, actor_user_id=777001, action="x", detail={"by": "@ASA_O"}))
        s.add(
            Escalation(
                partnership_id=1, from_body_id=1, to_body_id=2, created_at=NOW,
                question="ÅSA ÖBERG och Åsa tar fram underlag",
            )
        )  # fmt: skip
        s.add(ProcessedUpdate(update_id=1, processed_at=NOW - timedelta(days=3)))
        person_id = asa.id
    with transaction(svc.session_factory) as s:
        person = s.get(Person, person_id)
        assert person is not None
        privacy.erase_person(s, person, now=NOW)
    with transaction(svc.session_factory) as s:
        (group,) = s.exec(select(Reminder)).all()  # the private one is gone
        assert group.payload == {"names": [{"name": "Raderad ledamot", "user_id": None}], "n": 3}
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "x")).one()
        assert audit.actor_user_id == -person_id and audit.detail == {"by": "Raderad ledamot"}
        question = s.exec(select(Escalation)).one().question
        assert question == "Raderad ledamot och Raderad ledamot tar fram underlag"
        erased = s.get(Person, person_id)
        assert erased is not None and erased.telegram_user_id == -person_id
    report = run_retention(svc.session_factory, now=NOW)
    assert report.processed_updates == 1
    with transaction(svc.session_factory) as s:
        assert s.exec(select(ProcessedUpdate)).all() == []
    svc.engine.dispose()


def test_a_row_the_database_refuses_to_change_is_left_and_the_erasure_goes_on(
    sqlite_url: str,
) -> None:
    """A record locked by the database's own triggers (as a paragraph approved at the meeting
    is) stays as it is: a public record; everything else is still erased."""
    svc = make_services(make_settings(sqlite_url), clock=FakeClock(NOW))
    import_example(svc, "sof-2025-144.toml")
    with transaction(svc.session_factory) as s:
        bo = Person(telegram_user_id=777002, first_name="Bo", last_name="Ek", created_at=NOW)
        s.add(bo)
        for question in ("Bo Ek: låst", "Bo Ek: fri"):
            s.add(
                Escalation(
                    partnership_id=1, from_body_id=1, to_body_id=2, created_at=NOW,
                    question=question,
                )
            )  # fmt: skip
        s.flush()
        person_id = bo.id
        s.execute(
            text(
                "CREATE TRIGGER locked_question BEFORE UPDATE ON escalation "
                "WHEN OLD.question LIKE '%låst' BEGIN SELECT RAISE(ABORT, 'locked'); END"
            )
        )
    with transaction(svc.session_factory) as s:
        person = s.get(Person, person_id)
        assert person is not None
        privacy.erase_person(s, person, now=NOW)
    with transaction(svc.session_factory) as s:
        questions = sorted(e.question for e in s.exec(select(Escalation)).all())
        assert questions == ["Bo Ek: låst", "Raderad ledamot: fri"]
        erased = s.get(Person, person_id)
        assert erased is not None and erased.erased and erased.first_name == "Raderad ledamot"
    svc.engine.dispose()
