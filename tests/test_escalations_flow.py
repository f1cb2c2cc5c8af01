"""Raising a question from the samverkansgrupp to the styrgrupp end to end: /lyft, the chair's
confirmation, delivery once the styrgrupp chat is linked, the decision in a meeting posted back,
/lyfta, and the flag when a meeting passes without a decision."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import select

from delivery.dispatcher import get_dispatcher
from services import escalations
from storage import bodies
from storage import reminders as reminder_repo
from storage.db import transaction
from storage.models import AgendaItem, Escalation, Meeting
from tests import conftest
from tests.conftest import Harness
from tests.fakebot import FakeChat
from tests.test_meetings_flow import (
    ADMIN,
    CHAIR,
    CITY,
    SG_CHAT,
    STADSMISSION,
    STRANGER,
    call_and_publish,
    join,
    press,
    say,
    setup_sg,
    sv,
)
from tests.test_minutes_flow import MEETING_START, opened_meeting

SV_CHAT = FakeChat(-6101, "group", "Samverkansgrupp EU")


@pytest.fixture
def fast_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """A meeting sends far more than Telegram's 20 messages a minute per group: the limiter
    stays, it just does not wait (as in tests/test_meetings_flow.py)."""
    original = conftest.make_settings

    def make(*args: Any, **kwargs: Any) -> Any:
        settings = original(*args, **kwargs)
        settings.rate_limit_group_per_minute = 100_000
        return settings

    monkeypatch.setattr(conftest, "make_settings", make)


@pytest_asyncio.fixture
async def harness(fast_groups: None, harness: Harness) -> AsyncIterator[Harness]:
    yield harness


QUESTION = "Kan öppettiderna i Vårberg ändras <till 22>?"


async def setup_sv(h: Harness) -> None:
    """The samverkansgrupp chat linked, two members confirmed, Agneta chair."""
    h.fake.add_chat(SV_CHAT)
    h.fake.set_member_status(SV_CHAT, ADMIN, "administrator")
    await say(h, ADMIN, SV_CHAT, "/koppla SOF 2025/144 samverkansgrupp")
    for user, party in ((CHAIR, "Convictus"), (STADSMISSION, "Stadsmission")):
        await join(h, SV_CHAT, user, party, ADMIN)
    replies = await say(h, ADMIN, SV_CHAT, "/ordforande @agneta_c")
    assert "Agneta" in replies[-1].plain


def all_escalations(h: Harness) -> list[Escalation]:
    with transaction(h.services.session_factory) as s:
        return list(s.exec(select(Escalation).order_by(Escalation.id)).all())  # type: ignore[arg-type]


async def dispatch(h: Harness, chat: FakeChat) -> list[Any]:
    dispatcher = get_dispatcher(h.app.bot_data)
    assert dispatcher is not None
    before = len(h.fake.sent)
    await dispatcher.run_once()
    await h.fake.wait_until_idle()
    return [m for m in h.fake.sent[before:] if m.chat_id == chat.id]


def deliver_pending(h: Harness) -> None:
    """What the /koppla path does once the lead wires it in (idempotent)."""
    with transaction(h.services.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert p is not None
        escalations.deliver_pending(s, p, now=h.clock())


async def propose(h: Harness) -> Any:
    replies = await say(h, STADSMISSION, SV_CHAT, f"/lyft {QUESTION}")
    proposal = replies[-1]
    assert QUESTION in proposal.plain
    return proposal


async def test_raised_decided_in_a_meeting_and_reported_back(harness: Harness) -> None:
    h = harness
    await setup_sv(h)

    # Bad input: no question, someone who is not a member, the styrgrupp's own chat later.
    replies = await say(h, STADSMISSION, SV_CHAT, "/lyft")
    assert replies[-1].plain == sv(
        "Write the question after the command, for example /lyft Can the opening hours change?"
    )
    replies = await say(h, STRANGER, SV_CHAT, "/lyft Något")
    assert replies[-1].plain == sv(
        "Only members of the samverkansgrupp can raise a question. Use /jag first."
    )
    assert all_escalations(h) == []

    proposal = await propose(h)
    (escalation,) = all_escalations(h)
    assert escalation.status == "proposed"
    confirm = f"es:{escalation.id}:c"
    assert confirm in proposal.button_data()
    # Only the samverkansgrupp's chair confirms.
    answer = await press(h, STADSMISSION, SV_CHAT, proposal.message_id, confirm)
    assert answer is not None and answer.get("show_alert")
    assert all_escalations(h)[0].status == "proposed"

    # The styrgrupp chat is not linked yet: the question is kept as raised.
    await press(h, CHAIR, SV_CHAT, proposal.message_id, confirm)
    (escalation,) = all_escalations(h)
    assert escalation.status == "raised" and escalation.agenda_item_id is None
    assert proposal.button_data() == []  # the buttons are gone
    # A second press (a stale client, a double tap) changes nothing.
    answer = await press(h, CHAIR, SV_CHAT, proposal.message_id, confirm, check=False)
    assert answer is not None and not answer.get("show_alert")
    (again,) = all_escalations(h)
    assert again.status == "raised" and again.raised_at == escalation.raised_at

    replies = await say(h, CHAIR, SV_CHAT, "/lyfta")
    assert QUESTION in replies[-1].plain

    # The styrgrupp links its chat and publishes a meeting; the kept question is delivered onto
    # that meeting and posted in the styrgrupp chat.
    meeting = await opened_meeting(h)  # /koppla itself delivers the kept question
    (escalation,) = all_escalations(h)
    assert escalation.status == "on_agenda"
    with transaction(h.services.session_factory) as s:
        item = s.get(AgendaItem, escalation.agenda_item_id)
        assert item is not None and item.meeting_id == meeting.id and item.kind == "escalation"
    await dispatch(h, SG_CHAT)
    raised = [
        m
        for m in h.fake.sent
        if m.chat_id == SG_CHAT.id and QUESTION in m.plain and m.plain.startswith("📨")
    ]
    assert len(raised) == 1
    # The kallelse carries the question as an agenda item too.
    assert any(
        QUESTION in m.plain and m.button_data() and m.button_data()[0].startswith("rv:")
        for m in h.fake.sent
        if m.chat_id == SG_CHAT.id
    )

    # The meeting: the chair reaches the item and records the decision under it.
    # The meeting starts at the first item that needs the chair: the raised question, which
    # stands under its heading as § 6.1.
    (panel,) = await say(h, CHAIR, SG_CHAT, "/motesstart")
    assert f"§ 6.1 {QUESTION}" in panel.plain
    replies = await say(h, CHAIR, SG_CHAT, "/beslut Öppettiderna får förlängas till kl. 22.")
    assert "SG 2026:1" in replies[-1].plain
    (escalation,) = all_escalations(h)
    assert escalation.status == "decided" and escalation.decision_id is not None

    # The decision arrives in the samverkansgrupp chat, with the original question.
    await dispatch(h, SV_CHAT)
    reported = [m for m in h.fake.sent if m.chat_id == SV_CHAT.id and "SG 2026:1" in m.plain]
    assert len(reported) == 1
    assert QUESTION in reported[0].plain
    assert "Öppettiderna får förlängas till kl. 22." in reported[0].plain
    # The overdue flag was cancelled by the decision: nothing more after the meeting ends.
    h.clock.set(MEETING_START + timedelta(hours=3))
    later = await dispatch(h, SV_CHAT)
    assert not any(QUESTION in m.plain for m in later)

    replies = await say(h, CHAIR, SV_CHAT, "/lyfta")
    assert replies[-1].plain.startswith(sv("No questions raised to the styrgrupp are open."))
    (escalation,) = all_escalations(h)
    assert escalation.status == "reported" and escalation.reported_at is not None
    # The history keeps it, with the decision it got.
    history = (await say(h, CHAIR, SV_CHAT, "/lyfta alla"))[-1].plain
    assert QUESTION in history and "beslutad och återrapporterad" in history
    assert "Beslut SG 2026:1: Öppettiderna får förlängas till kl. 22." in history


async def test_undecided_after_the_meeting_is_flagged_to_both_chairs(harness: Harness) -> None:
    h = harness
    await setup_sv(h)
    await setup_sg(h)
    _preview, kallelse, _ics = await call_and_publish(h)
    proposal = await propose(h)
    (escalation,) = all_escalations(h)
    # Only the chair or the proposer withdraws; the chair confirms instead.
    answer = await press(h, CITY, SV_CHAT, proposal.message_id, f"es:{escalation.id}:w", False)
    assert answer is not None and answer.get("show_alert")
    await press(h, CHAIR, SV_CHAT, proposal.message_id, f"es:{escalation.id}:c")
    (escalation,) = all_escalations(h)
    # Linked and a meeting published: straight onto that meeting's agenda.
    assert escalation.status == "on_agenda"
    with transaction(h.services.session_factory) as s:
        meeting = s.exec(select(Meeting)).one()
        item = s.get(AgendaItem, escalation.agenda_item_id)
        assert item is not None and item.meeting_id == meeting.id
        flags = [
            r
            for r in s.exec(select(reminder_repo.Reminder)).all()
            if r.source == escalations.overdue_source(escalation.id or 0)
        ]
        assert {r.chat_id for r in flags} == {SG_CHAT.id, SV_CHAT.id}
        assert all(r.due_at == meeting.ends_at for r in flags)
    # The confirmation woke the dispatcher: the question may already be in the styrgrupp chat.
    await dispatch(h, SG_CHAT)
    raised = [
        m
        for m in h.fake.sent
        if m.chat_id == SG_CHAT.id and QUESTION in m.plain and m.plain.startswith("📨")
    ]
    assert len(raised) == 1
    # The published kallelse was edited to carry the question as an agenda item.
    assert QUESTION in kallelse.plain or any(QUESTION in e.get("text", "") for e in kallelse.edits)

    # The meeting passes without a decision under the item: both chats are told, once.
    before = len(h.fake.sent)
    h.clock.set(meeting.ends_at + timedelta(minutes=1))
    await dispatch(h, SV_CHAT)
    flagged = [m for m in h.fake.sent[before:] if QUESTION in m.plain]
    assert sorted(m.chat_id for m in flagged) == sorted([SG_CHAT.id, SV_CHAT.id])
    assert all("Agneta" in m.plain for m in flagged)
    again = await dispatch(h, SV_CHAT)
    assert not any(QUESTION in m.plain for m in again)
    assert all_escalations(h)[0].status == "on_agenda"
    assert kallelse is not None
