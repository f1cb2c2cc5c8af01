"""Minutes end to end: opening a meeting, attendance, justerare, items, notes, decisions, action
items, corrections, closing with the draft protokoll, and a restart in the middle of a meeting,
through the real Application and the fake Telegram server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest_asyncio
from sqlmodel import select

from bot.app import build_application, make_services
from bot.config import Settings
from storage.db import transaction
from storage.models import (
    ActionItem,
    Attendance,
    Decision,
    Meeting,
    MinuteEntry,
    MinuteRevision,
    ProtokollRecord,
)
from storage.runtime import Runtime
from tests.conftest import FakeClock, Harness, TrackingProcessor, import_example, make_settings
from tests.test_meetings_flow import (
    CHAIR,
    CITY,
    SG_CHAT,
    STADSMISSION,
    STRANGER,
    call_and_publish,
    press,
    say,
    setup_sg,
    sv,
)

MEETING_START = datetime(2026, 12, 10, 13, 0, tzinfo=UTC)  # 14:00 in Stockholm


@contextlib.asynccontextmanager
async def running(
    fake: Any, settings: Settings, svc: Runtime, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The Application as tests/conftest.py runs it, so a test can stop it and start another."""
    processor = TrackingProcessor()
    app = build_application(settings, svc, update_processor=processor)
    async with app:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0,
            timeout=1,
            allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"],
        )
        try:
            yield Harness(app=app, fake=fake, services=svc, clock=clock, processor=processor)
        finally:
            await app.updater.stop()
            await app.stop()


def fast_settings(url: str, base_url: str) -> Settings:
    # A whole meeting sends far more than 20 messages to one group: PTB's limiter would make the
    # test wait minutes of real time. The limiter itself is tested elsewhere.
    return make_settings(url, base_url).model_copy(update={"rate_limit_group_per_minute": 100000})


@pytest_asyncio.fixture
async def meeting_harness(
    fake_telegram: Any, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Harness]:
    settings = fast_settings(f"sqlite:///{tmp_path / 'bot.sqlite3'}", fake_telegram.base_url)
    svc = make_services(settings, clock=clock)
    import_example(svc, "sof-2025-144.toml")
    async with running(fake_telegram, settings, svc, clock) as h:
        yield h
    svc.engine.dispose()


async def opened_meeting(h: Harness) -> Meeting:
    """The styrgrupp set up, a meeting published and answered, the clock at its start."""
    await setup_sg(h)
    _preview, kallelse, _ics = await call_and_publish(h)
    meeting_id = int(kallelse.button_data()[0].split(":")[1])
    await press(h, CHAIR, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:y")
    await press(h, STADSMISSION, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:y")
    await press(h, CITY, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:n")
    h.clock.set(MEETING_START)
    with transaction(h.services.session_factory) as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        return meeting


def rows(h: Harness, model: Any) -> list[Any]:
    with transaction(h.services.session_factory) as s:
        return list(s.exec(select(model).order_by(model.id)).all())


async def test_recording_lines_attendance_corrections_and_draft(meeting_harness: Harness) -> None:
    h = meeting_harness
    meeting = await opened_meeting(h)

    # Nothing is recorded before the meeting is opened, and only the chair (or the minute taker)
    # opens it.
    replies = await say(h, CHAIR, SG_CHAT, "/beslut Något")
    assert replies[-1].plain == sv("No meeting is in session. The chair opens it with /motesstart.")
    replies = await say(h, STRANGER, SG_CHAT, "/motesstart")
    assert "documentation duty" in replies[-1].plain or "dokumentations" in replies[-1].plain
    assert rows(h, Attendance) == []

    replies = await say(h, CHAIR, SG_CHAT, "/motesstart")
    (panel,) = replies  # one message: the chair's panel
    assert "möte 1/2026 pågår" in panel.plain
    with transaction(h.services.session_factory) as s:
        opened = s.get(Meeting, meeting.id)
        assert opened is not None and opened.opened_at == MEETING_START
        present = {a.person_id: a.present for a in s.exec(select(Attendance)).all()}
    assert sorted(present.values()) == [False, True, True]  # the city said no
    # The justerare: the panel lists the present members except the chair, right on it until
    # one is chosen.
    chooser = [d for d in panel.button_data() if ":s:" in d]
    assert len(chooser) == 1 and any("Bertil" in t for t in panel.button_texts())
    answer = await press(h, STRANGER, SG_CHAT, panel.message_id, chooser[0])
    assert answer is not None and answer.get("show_alert")
    await press(h, CHAIR, SG_CHAT, panel.message_id, chooser[0])
    with transaction(h.services.session_factory) as s:
        opened = s.get(Meeting, meeting.id)
        assert opened is not None and len(opened.justerare_person_ids) == 1

    # Attendance corrected with /narvaro's buttons: the city came after all.
    attendance = (await say(h, CHAIR, SG_CHAT, "/narvaro"))[-1]
    city_button = next(
        d
        for d, label in zip(attendance.button_data(), attendance.button_texts(), strict=True)
        if "Cecilia" in label
    )
    answer = await press(h, STADSMISSION, SG_CHAT, attendance.message_id, city_button)
    assert answer is not None and answer.get("show_alert")  # a member, not the chair
    await press(h, CHAIR, SG_CHAT, attendance.message_id, city_button)
    assert all(a.present for a in rows(h, Attendance))
    assert "Närvarande: 3 av 3" in panel.plain  # the panel follows

    # A member's note is acknowledged with a reaction, not a wall of text.
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(STADSMISSION, SG_CHAT, "/anteckning Mötet öppnades"))
    assert len(h.fake.sent) == before  # no reply at all
    reacted = [key for key in h.fake.api.reactions if key[0] == SG_CHAT.id]
    assert reacted, "the note should be acknowledged with a reaction"
    note_message_id = reacted[-1][1]

    # The meeting started at the first item that needs the chair (the bot writes the opening,
    # the justerare, the agenda and the previous minutes; nothing is open to follow up):
    # /nasta goes on from the reports to other business, and no further.
    assert "§ 7 Rapporter" in panel.plain
    replies = await say(h, CHAIR, SG_CHAT, "/nasta")
    assert replies[-1].plain.startswith("§ 8")
    replies = await say(h, STADSMISSION, SG_CHAT, "/nasta")
    assert replies[-1].plain == sv(
        "Only the chair or the person writing the minutes can do that during the meeting."
    )
    replies = await say(h, CHAIR, SG_CHAT, "/nasta")
    assert replies[-1].plain == sv("This is the last item. Close the meeting with /motesslut.")
    assert "§ 8 Övriga frågor" in panel.plain

    # Decisions: numbered in the register; only the chair or the minute taker records them.
    replies = await say(h, STRANGER, SG_CHAT, "/beslut Allt är bra")
    assert "SG" not in replies[-1].plain
    replies = await say(h, STADSMISSION, SG_CHAT, "/beslut Allt är bra")
    assert "SG" not in replies[-1].plain
    assert rows(h, Decision) == []
    replies = await say(h, CHAIR, SG_CHAT, "/beslut Rapporten <godkänns> & läggs till handlingarna")
    assert "SG 2026:1" in replies[-1].plain and "#" in replies[-1].plain
    first_ack = replies[-1]
    replies = await say(
        h, CHAIR, SG_CHAT, "/beslut [mindre revidering Convictus] Convictus tar över Vårberg."
    )
    assert "SG 2026:2" in replies[-1].plain
    decisions = rows(h, Decision)
    assert [d.kind for d in decisions] == ["ordinary", "revision_minor"]
    assert decisions[1].party_id is not None and decisions[1].meeting_id == meeting.id
    assert all(d.entry_id is not None for d in decisions)

    # An action item: owner and due date; an ambiguous date is refused with the candidates.
    replies = await say(h, CHAIR, SG_CHAT, "/uppgift @bertil_s nästa fredag Ta fram underlag")
    assert "2026-12-11" in replies[-1].plain and "2026-12-18" in replies[-1].plain
    replies = await say(h, CHAIR, SG_CHAT, "/uppgift @bertil_s 2027-01-15 Ta fram underlag")
    assert "2027-01-15" in replies[-1].plain
    action_ack = replies[-1]
    items = rows(h, ActionItem)
    assert len(items) == 1 and items[0].due_on.isoformat() == "2027-01-15"
    assert items[0].entry_id is not None

    # Corrections: by the author or the chair, with history; someone else is refused.
    await h.settle(
        h.fake.send_text(
            STADSMISSION,
            SG_CHAT,
            "/andra Mötet öppnades kl. 14.02",
            reply_to_message_id=note_message_id,
        )
    )
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(CITY, SG_CHAT, "/stryk", reply_to_message_id=note_message_id))
    assert sv("Only the author of the line or the chair can correct it.") in h.fake.sent[-1].plain
    assert len(h.fake.sent) == before + 1
    # The chair strikes the first decision by replying to its acknowledgement.
    await h.settle(
        h.fake.send_text(CHAIR, SG_CHAT, "/stryk", reply_to_message_id=first_ack.message_id)
    )
    entries = rows(h, MinuteEntry)
    assert entries[0].text == "Mötet öppnades kl. 14.02" and not entries[0].struck
    struck = [e for e in entries if e.struck]
    assert len(struck) == 1 and struck[0].kind == "decision"
    history = rows(h, MinuteRevision)
    assert [(r.old_text, r.new_text, r.struck) for r in history] == [
        ("Mötet öppnades", "Mötet öppnades kl. 14.02", False),
        ("Rapporten <godkänns> & läggs till handlingarna", None, True),
    ]

    # Closing: the draft in chat, as PDF and as DOCX, with the justering buttons.
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    text = "\n".join(m.plain for m in sent if m.text and not m.document_name)
    assert "PROTOKOLL" in text and "UTKAST" in text and "SG möte 1/2026" in text
    assert "Mötet öppnades kl. 14.02" in text
    assert "Rapporten <godkänns>" not in text  # struck
    assert "SG 2026:2" in text and "Ta fram underlag" in text
    assert "Convictus" in text and "Stockholms Stadsmission" in text
    pdf = next(m for m in sent if m.document_name and m.document_name.endswith(".pdf"))
    docx = next(m for m in sent if m.document_name and m.document_name.endswith(".docx"))
    assert pdf.document_bytes and pdf.document_bytes.startswith(b"%PDF")
    assert docx.document_bytes and docx.document_bytes.startswith(b"PK")
    assert pdf.document_name == "protokoll-SG-mote-1-2026-utkast-v1.pdf"
    buttons = sent[-1].button_data()
    assert len(buttons) == 2 and all(len(b.encode()) <= 64 for b in buttons)
    records = rows(h, ProtokollRecord)
    assert len(records) == 1 and records[0].status == "draft"
    # Nothing more is recorded once the meeting is closed.
    replies = await say(h, STADSMISSION, SG_CHAT, "/anteckning För sent")
    assert replies[-1].plain == sv("No meeting is in session. The chair opens it with /motesstart.")

    # Until justering the chair may still strike a line: a struck action item's reminders stop.
    from storage.models import ActionItem as ActionRow
    from storage.reminders import Reminder

    item_id = rows(h, ActionRow)[0].id
    pending = [r for r in rows(h, Reminder) if r.source == f"action:{item_id}"]
    assert pending and all(r.state == "pending" for r in pending)
    await h.settle(
        h.fake.send_text(CHAIR, SG_CHAT, "/stryk", reply_to_message_id=action_ack.message_id)
    )
    assert rows(h, ActionRow)[0].status == "cancelled"
    after = [r for r in rows(h, Reminder) if r.source == f"action:{item_id}"]
    assert after and all(r.state == "cancelled" for r in after)


async def test_restart_in_the_middle_of_a_meeting_loses_nothing(
    meeting_harness: Harness, fake_telegram: Any, tmp_path: Path, clock: FakeClock
) -> None:
    h = meeting_harness
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    await say(h, STADSMISSION, SG_CHAT, "/anteckning Före omstarten")  # under § 7
    replies = await say(h, CHAIR, SG_CHAT, "/beslut Beslut före omstarten")
    assert "SG 2026:1" in replies[-1].plain

    # The process goes away; a new one starts on the same database.
    assert h.app.updater is not None
    await h.app.updater.stop()
    await h.app.stop()
    settings = fast_settings(f"sqlite:///{tmp_path / 'bot.sqlite3'}", fake_telegram.base_url)
    svc = make_services(settings, clock=clock)
    try:
        async with running(fake_telegram, settings, svc, clock) as h2:
            replies = await say(h2, CHAIR, SG_CHAT, "/nasta")
            assert replies[-1].plain.startswith("§ 8")  # continues where it was (§ 7)
            replies = await say(h2, CHAIR, SG_CHAT, "/beslut Beslut efter omstarten")
            assert "SG 2026:2" in replies[-1].plain
            before = len(h2.fake.sent)
            await say(h2, CHAIR, SG_CHAT, "/motesslut")
            text = "\n".join(
                m.plain for m in h2.fake.sent[before:] if m.text and not m.document_name
            )
            assert "Före omstarten" in text
            assert "Beslut före omstarten" in text and "Beslut efter omstarten" in text
            assert "Bertil" in text  # the justerare chosen before the restart
    finally:
        svc.engine.dispose()
        # The fixture stops its own application at the end: give it a running one again.
        await h.app.start()
        await h.app.updater.start_polling(poll_interval=0, timeout=1)


async def test_personnummer_in_a_note_is_not_recorded(meeting_harness: Harness) -> None:
    h = meeting_harness
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    await say(h, STADSMISSION, SG_CHAT, "/anteckning Gäller 19811218-9876 och hans ansökan")
    assert rows(h, MinuteEntry) == []
