"""Retention at an injected clock: a member who left is erased after the partnership file's
`departed_member_months` (their name stays in the locked protokoll), and processed update ids,
finished reminders and audit rows are pruned after their periods; the job logs counts only."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import select

from bot.app import RETENTION_JOB, build_application, make_services
from delivery import outbox
from governance.partnership_file import load_partnership_file
from governance.privacy import months_before
from services.justering import final_key
from services.partnerships import import_partnership
from storage.db import transaction
from storage.models import (
    AuditEntry,
    Membership,
    MembershipStatus,
    Person,
    ProcessedUpdate,
    ProtokollRecord,
)
from storage.reminders import OutboxFile, Reminder, ReminderState
from tests.conftest import EXAMPLES, FakeClock, Harness, TrackingProcessor, import_example
from tests.fakebot.models import BOT_ID
from tests.privacy_scan import traces_in_database
from tests.test_justering import JUSTERARE, buttons_of, close_with_draft
from tests.test_meetings_flow import CHAIR, SG_CHAT, press, say
from tests.test_minutes_flow import fast_settings


@pytest_asyncio.fixture
async def h(fake_telegram: Any, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The minutes tests' harness, also receiving chat_member updates."""
    settings = fast_settings(f"sqlite:///{tmp_path / 'bot.sqlite3'}", fake_telegram.base_url)
    svc = make_services(settings, clock=clock)
    import_example(svc, "sof-2025-144.toml")
    processor = TrackingProcessor()
    app = build_application(settings, svc, update_processor=processor)
    async with app:
        assert app.post_init is not None and app.updater is not None
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(
            poll_interval=0,
            timeout=1,
            allowed_updates=["message", "callback_query", "my_chat_member", "chat_member"],
        )
        try:
            yield Harness(
                app=app, fake=fake_telegram, services=svc, clock=clock, processor=processor
            )
        finally:
            with contextlib.suppress(Exception):
                await app.updater.stop()
            await app.stop()
    svc.engine.dispose()


async def run_job(h: Harness) -> None:
    (job,) = h.app.job_queue.get_jobs_by_name(RETENTION_JOB)
    await job.run(h.app)


def bertil(h: Harness, person_id: int) -> Person:
    with transaction(h.services.session_factory) as s:
        person = s.get(Person, person_id)
        assert person is not None
        return person


async def test_a_departed_member_is_erased_after_the_files_months_and_records_are_pruned(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    panel, _note = await close_with_draft(h)
    approve, _change = buttons_of(panel)
    await press(h, CHAIR, SG_CHAT, panel.message_id, approve)
    await press(h, JUSTERARE, SG_CHAT, panel.message_id, approve)
    with transaction(h.services.session_factory) as s:
        person = s.exec(select(Person).where(Person.telegram_user_id == JUSTERARE.id)).one()
        assert person.id is not None
        person_id = person.id

    # Bertil leaves the styrgrupp's chat (the bot is an admin there, so Telegram says so).
    h.fake.set_member_status(SG_CHAT, BOT_ID, "administrator")
    left_at = h.clock.advance(days=1)
    await h.settle(h.fake.user_left(SG_CHAT, JUSTERARE))
    with transaction(h.services.session_factory) as s:
        membership = s.exec(select(Membership).where(Membership.person_id == person_id)).one()
        assert membership.status == MembershipStatus.LEFT and membership.ended_at == left_at

    with transaction(h.services.session_factory) as s:
        assert s.exec(select(ProcessedUpdate)).all()
        states = {r.state for r in s.exec(select(Reminder)).all()}
        assert ReminderState.SKIPPED in states and ReminderState.PENDING in states, states
        audit_before = len(s.exec(select(AuditEntry)).all())

    # One day short of the file's six months: he is kept. Update ids (2 days) and finished
    # reminders (90 days) are pruned; the audit trail (24 months) is kept.
    h.clock.set(months_before(left_at, -6).replace(day=left_at.day - 1))
    await run_job(h)
    assert bertil(h, person_id).first_name == "Bertil"
    with transaction(h.services.session_factory) as s:
        assert s.exec(select(ProcessedUpdate)).all() == []
        finished = s.exec(select(Reminder).where(Reminder.state != ReminderState.PENDING)).all()
        # Rows that could be scheduled again keep their key, and nothing else (the archived
        # locked minutes keep theirs).
        assert all(
            r.expires_at is None and (r.payload == {} or r.dedupe_key.endswith(":final"))
            for r in finished
        ), finished
        assert len(s.exec(select(AuditEntry)).all()) >= audit_before
        # The outbox keeps no document it has delivered, except the archived locked minutes.
        final = s.exec(select(ProtokollRecord).where(ProtokollRecord.status == "final")).one()
        assert final.id is not None
        ((_name, archived),) = outbox.files_of(s, final_key(final.id))
        assert (outbox.file_data(s, archived) or b"").startswith(b"%PDF")
        assert [f.id for f in s.exec(select(OutboxFile)).all()] == [archived]

    # Six months after he left: erased, except in the locked protokoll (a public record).
    h.clock.set(months_before(left_at, -6))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await run_job(h)
    erased = bertil(h, person_id)
    assert erased.erased and erased.first_name == "Raderad ledamot" and erased.username is None
    assert erased.telegram_user_id < 0 and erased.private_chat_id is None
    with transaction(h.services.session_factory) as s:
        final = s.exec(select(ProtokollRecord).where(ProtokollRecord.status == "final")).one()
        assert "Bertil" in str(final.content)
        assert traces_in_database(s, names={"Bertil", "bertil_s"}, ids={JUSTERARE.id}) == []
        erasures = s.exec(select(AuditEntry).where(AuditEntry.action == "person.erased")).all()
        assert {"person_id": person_id, "reason": "retention"} in [a.detail for a in erasures]
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retention:")]
    assert "departed_erased=1" in line
    assert "Bertil" not in line and str(JUSTERARE.id) not in line and str(person_id) not in line

    # A run again (a doubled or late wake-up) changes nothing more.
    await run_job(h)
    assert bertil(h, person_id).erased

    # Two years on the audit trail has gone too; locked minutes are never pruned.
    h.clock.set(datetime(2029, 1, 1, 3, 0, tzinfo=UTC))
    await run_job(h)
    with transaction(h.services.session_factory) as s:
        kept = s.exec(select(AuditEntry)).all()
        # Only what happened in the last 24 months (the erasures of 2027) is still there.
        assert kept and all(a.at >= datetime(2027, 1, 1, 3, 0, tzinfo=UTC) for a in kept)
        assert {a.action for a in kept} == {"person.erased"}
        assert s.exec(select(ProtokollRecord).where(ProtokollRecord.status == "final")).one()


async def test_the_period_is_the_one_the_partnership_file_sets(h: Harness, tmp_path: Path) -> None:
    """The administrator shortens `departed_member_months` to 3 and imports the file again: the
    notice says so, and a member who left is erased three months after, not six."""
    text = (EXAMPLES / "sof-2025-144.toml").read_text(encoding="utf-8")
    assert "departed_member_months = 6" in text
    edited = tmp_path / "sof-2025-144.toml"
    edited.write_text(
        text.replace("departed_member_months = 6", "departed_member_months = 3"), encoding="utf-8"
    )
    with transaction(h.services.session_factory) as s:
        assert import_partnership(s, load_partnership_file(edited), now=h.clock())

    panel, _note = await close_with_draft(h)
    approve, _change = buttons_of(panel)
    await press(h, CHAIR, SG_CHAT, panel.message_id, approve)
    await press(h, JUSTERARE, SG_CHAT, panel.message_id, approve)
    notice = "\n".join(m.plain for m in await say(h, JUSTERARE, SG_CHAT, "/integritet"))
    assert "raderas dina uppgifter efter 3 månader" in notice
    with transaction(h.services.session_factory) as s:
        person_id = s.exec(select(Person).where(Person.telegram_user_id == JUSTERARE.id)).one().id
        assert person_id is not None

    h.fake.set_member_status(SG_CHAT, BOT_ID, "administrator")
    left_at = h.clock.advance(days=1)
    await h.settle(h.fake.user_left(SG_CHAT, JUSTERARE))

    h.clock.set(months_before(left_at, -3) - timedelta(days=1))
    await run_job(h)
    assert bertil(h, person_id).first_name == "Bertil"

    h.clock.set(months_before(left_at, -3))
    await run_job(h)
    assert bertil(h, person_id).erased
    with transaction(h.services.session_factory) as s:
        final = s.exec(select(ProtokollRecord).where(ProtokollRecord.status == "final")).one()
        assert "Bertil" in str(final.content)
        assert traces_in_database(s, names={"Bertil", "bertil_s"}, ids={JUSTERARE.id}) == []
