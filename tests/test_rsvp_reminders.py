"""An RSVP press touches only the reminders that depend on it, through the real Application:
a member's first answer withdraws their own private nudge and nothing else, a changed answer
changes no reminder, a repeated press writes nothing at all; after each, a full re-sync of the
meeting's reminders finds nothing left to change."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import event
from sqlmodel import select

from delivery.outbox import REMINDER
from services.meeting_reminders import nudge_source, sync_meeting_reminders
from storage.db import transaction
from storage.models import Meeting, Person, Rsvp
from storage.reminders import Reminder, ReminderState
from tests.conftest import Harness
from tests.fakebot import FakeChat
from tests.fakebot.models import BOT_ID
from tests.test_meetings_flow import (
    CHAIR,
    ENGLISH,
    SG_CHAT,
    STADSMISSION,
    call_and_publish,
    join,
    loose_group_limit,
    press,
    say,
    setup_sg,
)

__all__ = ["loose_group_limit"]


@pytest_asyncio.fixture
async def harness(loose_group_limit: None, harness: Harness) -> AsyncIterator[Harness]:
    yield harness


def _reminders(h: Harness) -> dict[int, tuple[Any, ...]]:
    """Every reminder row (the outbox's own messages left out), as all its columns."""
    with transaction(h.services.session_factory) as s:
        rows = s.exec(select(Reminder).where(Reminder.priority == REMINDER)).all()
        return {
            r.id: tuple(getattr(r, c.name) for c in Reminder.__table__.columns)  # type: ignore[attr-defined]
            for r in rows
            if r.id is not None
        }


def _full_resync_changes_nothing(h: Harness, meeting_id: int) -> None:
    before = _reminders(h)
    with transaction(h.services.session_factory) as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        sync_meeting_reminders(s, meeting, now=h.clock())
    after = _reminders(h)
    assert after == before


def _person_id(h: Harness, telegram_user_id: int) -> int:
    with transaction(h.services.session_factory) as s:
        person = s.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).one()
        assert person.id is not None
        return person.id


def _nudges(h: Harness, meeting_id: int) -> dict[int | None, str]:
    with transaction(h.services.session_factory) as s:
        rows = s.exec(select(Reminder).where(Reminder.source == nudge_source(meeting_id))).all()
        return {r.person_id: r.state for r in rows}


async def test_an_answer_touches_only_the_members_own_nudge(harness: Harness) -> None:
    h = harness
    await setup_sg(h)
    # Bertil and Agneta can be reached privately: each gets a nudge the day before.
    for user in (STADSMISSION, CHAIR):
        private = FakeChat.private(user)
        h.fake.add_chat(private)
        await say(h, user, private, "/start")
    _preview, kallelse, _ics = await call_and_publish(h)
    meeting_id = int(kallelse.button_data()[0].split(":")[1])
    bertil, agneta = _person_id(h, STADSMISSION.id), _person_id(h, CHAIR.id)
    assert _nudges(h, meeting_id) == {bertil: ReminderState.PENDING, agneta: ReminderState.PENDING}
    _full_resync_changes_nothing(h, meeting_id)

    # A first answer (any answer counts): Bertil's nudge is withdrawn, no other row changes.
    before = _reminders(h)
    await press(h, STADSMISSION, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:m")
    after = _reminders(h)
    changed = {rid for rid in before if before[rid] != after.get(rid)}
    assert set(after) == set(before)  # nothing new
    assert _nudges(h, meeting_id) == {
        bertil: ReminderState.CANCELLED,
        agneta: ReminderState.PENDING,
    }
    with transaction(h.services.session_factory) as s:
        withdrawn = s.exec(
            select(Reminder.id).where(
                Reminder.source == nudge_source(meeting_id), Reminder.person_id == bertil
            )
        ).all()
    assert changed == set(withdrawn)
    _full_resync_changes_nothing(h, meeting_id)

    # A changed answer: recorded, the kallelse follows, and no reminder changes; the press
    # neither re-reads the meeting's reminders nor re-syncs the partnership's deadlines.
    before = _reminders(h)
    statements: list[str] = []

    def seen(_conn, _cursor, sql, _params, _context, _many):  # type: ignore[no-untyped-def]
        background = ("conftest.py", "dispatcher.py", "panel_refresh.py")
        if not any(f.filename.endswith(background) for f in traceback.extract_stack()):
            statements.append(" ".join(sql.split()).lower())

    event.listen(h.services.engine, "before_cursor_execute", seen)
    try:
        await press(h, STADSMISSION, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:n")
    finally:
        event.remove(h.services.engine, "before_cursor_execute", seen)
    assert _reminders(h) == before
    assert not [q for q in statements if "deadline_met" in q or "escalation" in q], statements
    assert not [q for q in statements if "where reminder.source" in q], statements
    assert len(statements) <= 30, statements
    with transaction(h.services.session_factory) as s:
        answers = {r.person_id: r.answer for r in s.exec(select(Rsvp)).all()}
    assert answers == {bertil: "no"}
    _full_resync_changes_nothing(h, meeting_id)

    # The same answer again: the update's claim is its only write.
    writes: list[str] = []

    def statement(_conn, _cursor, sql, _params, _context, _many):  # type: ignore[no-untyped-def]
        if any(f.filename.endswith("conftest.py") for f in traceback.extract_stack()):
            return  # the harness's own looks at the database
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb in {"INSERT", "UPDATE", "DELETE"} and "processedupdate" not in sql:
            writes.append(" ".join(sql.split())[:120])

    event.listen(h.services.engine, "before_cursor_execute", statement)
    try:
        answer = await press(h, STADSMISSION, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:n")
    finally:
        event.remove(h.services.engine, "before_cursor_execute", statement)
    assert answer is not None
    assert writes == []
    assert _reminders(h) == before

    # Agneta's first answer withdraws hers; Bertil's stays withdrawn.
    await press(h, CHAIR, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:y")
    assert _nudges(h, meeting_id) == {
        bertil: ReminderState.CANCELLED,
        agneta: ReminderState.CANCELLED,
    }
    _full_resync_changes_nothing(h, meeting_id)


async def test_members_who_join_or_leave_after_the_kallelse_are_nudged_or_not(
    harness: Harness,
) -> None:
    """Answers no longer re-sync every nudge, so membership changes do: a member confirmed after
    the kallelse went out is nudged like the others, one who leaves the chat is not."""
    h = harness
    await setup_sg(h)
    for user in (STADSMISSION, ENGLISH):
        private = FakeChat.private(user)
        h.fake.add_chat(private)
        await say(h, user, private, "/start")
    _preview, kallelse, _ics = await call_and_publish(h)
    meeting_id = int(kallelse.button_data()[0].split(":")[1])
    bertil = _person_id(h, STADSMISSION.id)
    assert _nudges(h, meeting_id) == {bertil: ReminderState.PENDING}

    await join(h, SG_CHAT, ENGLISH, "Convictus", CHAIR)  # the chair confirms
    emma = _person_id(h, ENGLISH.id)
    assert _nudges(h, meeting_id) == {bertil: ReminderState.PENDING, emma: ReminderState.PENDING}
    _full_resync_changes_nothing(h, meeting_id)

    h.fake.set_member_status(SG_CHAT, BOT_ID, "administrator")  # so Telegram tells the bot
    await h.settle(h.fake.user_left(SG_CHAT, STADSMISSION))
    assert _nudges(h, meeting_id) == {
        bertil: ReminderState.CANCELLED,
        emma: ReminderState.PENDING,
    }
    _full_resync_changes_nothing(h, meeting_id)
