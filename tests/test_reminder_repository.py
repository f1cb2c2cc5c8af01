"""The reminder rows: scheduling, recompute, claiming with leases, chat moves (SQLite and PG)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage import reminders as repo
from storage.db import SessionFactory, make_engine, make_session_factory, transaction
from storage.migrate import current_revision, downgrade, upgrade
from storage.models import Body, ChatStatus, Partnership
from storage.reminders import Reminder, ReminderSpec, ReminderState

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
GROUP = -1001
OTHER = -1002


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> SessionFactory:
    return make_session_factory(engine)


def spec(
    key: str, due: datetime, *, source: str = "meeting:1", chat: int = GROUP, **kw
) -> ReminderSpec:  # type: ignore[no-untyped-def]
    return ReminderSpec(
        kind="text",
        source=source,
        dedupe_key=key,
        chat_id=chat,
        due_at=due,
        payload={"text": key},
        **kw,
    )


def rows(factory: SessionFactory) -> dict[str, Reminder]:
    with transaction(factory) as session:
        return {r.dedupe_key: r for r in session.exec(select(Reminder)).all()}


def add_body(factory: SessionFactory, chat_id: int, status: ChatStatus = ChatStatus.ACTIVE) -> None:
    with transaction(factory) as session:
        p = Partnership(
            diarienummer=f"SOF {chat_id}",
            name="P",
            timezone="Europe/Stockholm",
            language="sv",
            spec={},
            spec_hash="x",
            imported_at=T0,
            updated_at=T0,
        )
        session.add(p)
        session.flush()
        assert p.id is not None
        session.add(
            Body(
                partnership_id=p.id,
                kind="styrgrupp",
                name="SG",
                decision_prefix="SG",
                chat_id=chat_id,
                chat_status=status,
            )
        )


def test_migration_0002_up_and_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    eng = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(eng, "0002")
    assert current_revision(eng) == "0002"
    downgrade(eng, "0001")
    assert current_revision(eng) == "0001"
    upgrade(eng)
    with transaction(make_session_factory(eng)) as session:
        repo.schedule(session, [spec("k", T0)], now=T0)
    eng.dispose()


def test_schedule_is_an_upsert_by_dedupe_key(factory: SessionFactory) -> None:
    with transaction(factory) as session:
        first = repo.schedule(session, [spec("a", T0), spec("b", T0)], now=T0)
    assert first.inserted == 2
    with transaction(factory) as session:
        again = repo.schedule(session, [spec("a", T0), spec("b", T0 + timedelta(hours=1))], now=T0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    found = rows(factory)
    assert len(found) == 2
    assert found["b"].due_at == T0 + timedelta(hours=1)
    assert found["a"].due_at.tzinfo is not None


def test_schedule_never_resurrects_a_sent_reminder(factory: SessionFactory) -> None:
    with transaction(factory) as session:
        repo.schedule(session, [spec("a", T0)], now=T0)
        [row] = repo.claim_due(session, now=T0, instance="i", lease_seconds=60, limit=10)
        assert row.id is not None
        repo.mark_sent(session, row.id, now=T0, message_id=7, late=False)
    with transaction(factory) as session:
        result = repo.schedule(session, [spec("a", T0 + timedelta(days=1))], now=T0)
    assert result.kept_final == 1
    row = rows(factory)["a"]
    assert (row.state, row.due_at, row.message_id) == ("sent", T0, 7)


def test_replace_for_source_recomputes(factory: SessionFactory) -> None:
    day = timedelta(days=1)
    with transaction(factory) as session:
        repo.schedule(
            session,
            [
                spec("m1:P1D", T0),
                spec("m1:PT1H", T0 + day),
                spec("m1:gone", T0 + day),
                spec("m2:P1D", T0, source="meeting:2"),
            ],
            now=T0,
        )
        [sent] = repo.claim_due(session, now=T0, instance="i", lease_seconds=60, limit=1)
        assert sent.dedupe_key == "m1:P1D" and sent.id is not None
        repo.mark_sent(session, sent.id, now=T0, message_id=1, late=False)

    # The meeting moved: one reminder kept as is, one moved, one no longer wanted, one new.
    with transaction(factory) as session:
        result = repo.replace_for_source(
            session,
            "meeting:1",
            [
                spec("m1:P1D", T0),  # already sent: untouched
                spec("m1:PT1H", T0 + 2 * day),
                spec("m1:new", T0 + 2 * day),
            ],
            now=T0,
        )
    assert (result.cancelled, result.inserted, result.updated, result.kept_final) == (1, 1, 1, 1)
    found = rows(factory)
    assert found["m1:P1D"].state == ReminderState.SENT
    assert found["m1:PT1H"].state == ReminderState.PENDING
    assert found["m1:PT1H"].due_at == T0 + 2 * day
    assert found["m1:gone"].state == ReminderState.CANCELLED
    assert found["m1:new"].state == ReminderState.PENDING
    assert found["m2:P1D"].state == ReminderState.PENDING  # another source is not touched

    with pytest.raises(ValueError):
        with transaction(factory) as session:
            repo.replace_for_source(
                session, "meeting:1", [spec("x", T0, source="meeting:9")], now=T0
            )

    # Scheduling a cancelled occurrence again brings it back.
    with transaction(factory) as session:
        repo.schedule(session, [spec("m1:gone", T0 + day)], now=T0)
    assert rows(factory)["m1:gone"].state == ReminderState.PENDING


def test_cancel_source_leaves_other_sources_and_finished_rows(factory: SessionFactory) -> None:
    with transaction(factory) as session:
        repo.schedule(
            session,
            [
                spec("a1", T0),
                spec("a2", T0 + timedelta(days=3)),
                spec("b1", T0, source="deadline:1"),
            ],
            now=T0,
        )
    with transaction(factory) as session:
        assert repo.cancel_source(session, "meeting:1", T0) == 2
    states = {k: r.state for k, r in rows(factory).items()}
    assert states == {"a1": "cancelled", "a2": "cancelled", "b1": "pending"}


def test_claim_due_takes_due_rows_oldest_first_and_respects_backoff(
    factory: SessionFactory,
) -> None:
    with transaction(factory) as session:
        repo.schedule(
            session,
            [
                spec("late", T0 - timedelta(hours=2)),
                spec("now", T0),
                spec("future", T0 + timedelta(seconds=1)),
                spec("backoff", T0 - timedelta(hours=1)),
            ],
            now=T0,
        )
        [b] = [r for r in session.exec(select(Reminder)).all() if r.dedupe_key == "backoff"]
        b.next_attempt_at = T0 + timedelta(minutes=5)
        session.add(b)
    with transaction(factory) as session:
        claimed = repo.claim_due(session, now=T0, instance="me", lease_seconds=60, limit=1)
        assert [r.dedupe_key for r in claimed] == ["late"]
        claimed = repo.claim_due(session, now=T0, instance="me", lease_seconds=60, limit=10)
        assert [r.dedupe_key for r in claimed] == ["now"]
        assert claimed[0].lease_until == T0 + timedelta(seconds=60)
        assert claimed[0].attempts == 1 and claimed[0].claimed_by == "me"
    with transaction(factory) as session:
        assert repo.claim_due(session, now=T0, instance="me", lease_seconds=60, limit=10) == []
        assert repo.next_due_at(session) == T0 + timedelta(seconds=1)
    with transaction(factory) as session:
        later = T0 + timedelta(minutes=5)
        got = {
            r.dedupe_key
            for r in repo.claim_due(session, now=later, instance="x", lease_seconds=60, limit=10)
        }
    # The expired leases of "late" and "now" are taken over too.
    assert got == {"late", "now", "future", "backoff"}
    assert {r.claimed_by for r in rows(factory).values()} == {"x"}


def test_outcomes_of_a_lost_claim_do_not_count(factory: SessionFactory) -> None:
    with transaction(factory) as session:
        repo.schedule(session, [spec("a", T0)], now=T0)
        [row] = repo.claim_due(session, now=T0, instance="old", lease_seconds=60, limit=1)
        assert row.id is not None
        rid = row.id
    later = T0 + timedelta(minutes=2)
    with transaction(factory) as session:
        [taken] = repo.claim_due(session, now=later, instance="new", lease_seconds=60, limit=1)
        assert taken.id == rid and taken.attempts == 2
        # The old claimer comes back with a failure: the new claim is not disturbed.
        assert repo.mark_failed(session, rid, now=later, error="x", instance="old") == 0
        assert repo.mark_retry(session, rid, later, now=later, instance="old") == 0
        assert repo.mark_uncertain(session, rid, now=later, error="t", instance="new") == 1
    assert rows(factory)["a"].state == ReminderState.UNCERTAIN


def test_mark_retry_release_does_not_use_up_attempts(factory: SessionFactory) -> None:
    with transaction(factory) as session:
        repo.schedule(session, [spec("a", T0)], now=T0)
        [row] = repo.claim_due(session, now=T0, instance="i", lease_seconds=60, limit=1)
        assert row.id is not None
        repo.mark_retry(
            session, row.id, T0 + timedelta(seconds=35), now=T0, instance="i", count_attempt=False
        )
    found = rows(factory)["a"]
    assert (found.state, found.attempts, found.next_attempt_at) == (
        "pending",
        0,
        T0 + timedelta(seconds=35),
    )


def test_pause_resume_and_move_chat(factory: SessionFactory) -> None:
    with transaction(factory) as session:
        repo.schedule(
            session,
            [spec("a", T0), spec("b", T0 + timedelta(days=1)), spec("o", T0, chat=OTHER)],
            now=T0,
        )
    with transaction(factory) as session:
        assert repo.pause_chat(session, GROUP, now=T0) == 2
        assert (
            repo.claim_due(session, now=T0, instance="i", lease_seconds=60, limit=10)[0].dedupe_key
            == "o"
        )
        later = repo.claim_due(
            session, now=T0 + timedelta(days=2), instance="i", lease_seconds=60, limit=10
        )
        assert [r.dedupe_key for r in later] == ["o"]  # its lease ran out; a and b stay paused
    with transaction(factory) as session:
        assert repo.move_chat(session, GROUP, -1009, now=T0) == 2
        assert repo.resume_chat(session, -1009, now=T0) == 2
    found = rows(factory)
    assert {found["a"].chat_id, found["b"].chat_id} == {-1009}
    assert found["a"].state == found["b"].state == ReminderState.PENDING


def test_new_reminders_for_a_removed_chat_start_paused(factory: SessionFactory) -> None:
    add_body(factory, GROUP, ChatStatus.REMOVED)
    with transaction(factory) as session:
        repo.schedule(session, [spec("a", T0), spec("o", T0, chat=OTHER)], now=T0)
    found = rows(factory)
    assert (found["a"].state, found["o"].state) == ("paused", "pending")


def test_next_due_at_sees_backoff_and_leases(factory: SessionFactory) -> None:
    with transaction(factory) as session:
        assert repo.next_due_at(session) is None
        repo.schedule(session, [spec("a", T0 + timedelta(hours=5))], now=T0)
        assert repo.next_due_at(session) == T0 + timedelta(hours=5)
        repo.schedule(session, [spec("b", T0 - timedelta(hours=1))], now=T0)
        [row] = repo.claim_due(session, now=T0, instance="i", lease_seconds=600, limit=1)
        assert repo.next_due_at(session) == T0 + timedelta(seconds=600)
        assert row.id is not None
        repo.mark_retry(session, row.id, T0 + timedelta(seconds=90), now=T0, instance="i")
        assert repo.next_due_at(session) == T0 + timedelta(seconds=90)


def test_concurrent_claims_never_share_a_row(factory: SessionFactory) -> None:
    """Several claimers at once (threads, own sessions): every row is claimed exactly once."""
    with transaction(factory) as session:
        repo.schedule(
            session, [spec(f"r{i}", T0 - timedelta(seconds=i)) for i in range(200)], now=T0
        )
    taken: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        try:
            while True:
                with transaction(factory) as session:
                    got = repo.claim_due(session, now=T0, instance=name, lease_seconds=60, limit=7)
                    keys = [r.dedupe_key for r in got]
                if not keys:
                    return
                with lock:
                    taken.extend(keys)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"c{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(taken) == sorted(f"r{i}" for i in range(200))
