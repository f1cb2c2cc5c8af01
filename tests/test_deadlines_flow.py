"""Deadlines through the real Application: /tidsfrister, /klart, and the reminders they schedule,
sent by the dispatcher once, in the right chat and topic, at 09:00 local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from delivery.dispatcher import ReminderDispatcher, get_dispatcher
from delivery.renderers import LATE_NOTE
from i18n import t
from services import deadlines as service
from storage import bodies
from storage.db import transaction
from storage.deadline_facts import DeadlineMet
from storage.models import Partnership
from storage.reminders import Reminder, ReminderState
from storage.runtime import Runtime
from tests.conftest import Harness, import_example
from tests.fakebot import FakeChat, FakeUser

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ADMIN = FakeUser(3001, "Åsa", "asa_admin")
CHAIR = FakeUser(3002, "Agneta", "agneta_c")
STRANGER = FakeUser(3004, "Sven", "sven_x")
SG_CHAT = FakeChat(-6001, "group", "Styrgrupp EU")
SVG_CHAT = FakeChat(-100888, "supergroup", "Samverkan EU", is_forum=True)
TOPIC = 42
ONLY_CHAIR = (
    "Only the chair of this body or the partnership's administrator can mark a deadline as met."
)


async def say(h: Harness, user: FakeUser, chat: FakeChat, text: str, **kw: object):  # type: ignore[no-untyped-def]
    """The bot's answers in the chat, without reminders the running dispatcher sent meanwhile."""
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(user, chat, text, **kw))
    return [m for m in h.fake.sent[before:] if m.chat_id == chat.id and "⏰" not in m.plain]


async def link(h: Harness, chat: FakeChat, command: str, thread_id: int | None = None) -> None:
    h.fake.add_chat(chat)
    h.fake.set_member_status(chat, ADMIN, "administrator")
    kw = {"thread_id": thread_id} if thread_id is not None else {}
    replies = await say(h, ADMIN, chat, command, **kw)
    assert replies, "no answer to /koppla"


def rows(h: Harness, source_key: str) -> list[Reminder]:
    with transaction(h.services.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert p is not None and p.id is not None
        source = service.source_of(p.id, source_key)
        found = s.exec(select(Reminder).where(Reminder.source == source)).all()
        return sorted(found, key=lambda r: r.due_at)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def make_chair(h: Harness) -> None:
    h.fake.set_member_status(SG_CHAT, CHAIR, "member")
    request = (await say(h, CHAIR, SG_CHAT, "/jag convictus"))[-1]
    await h.settle(h.fake.press(ADMIN, request.message_id, SG_CHAT, request.button_data()[0]))
    replies = await say(h, ADMIN, SG_CHAT, "/ordforande @agneta_c")
    assert "Agneta" in replies[-1].plain


async def test_deadlines_listed_met_and_reminded_once(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2025, 9, 1, 9, 0, tzinfo=STOCKHOLM))
    await link(h, SG_CHAT, "/koppla SOF 2025/144 styrgrupp")

    listing = (await say(h, ADMIN, SG_CHAT, "/tidsfrister"))[-1].plain
    # 001 §5.1: announce the extension six months before expiry.
    assert "31 oktober 2025" in listing
    assert "/klart renewal_announcement:2025-10-31" in listing
    # The May–October report goes to the socialnämnd in January.
    assert "maj–oktober 2025" in listing and "januari 2026" in listing
    assert "/klart activity_report:2025-05..2025-10" in listing
    for party in ("convictus", "fralsningsarmen", "ny-gemenskap", "stockholms-stadsmission"):
        assert f"/klart financial_report:{party}:2026" in listing
    assert "Convictus" in listing and "Frälsningsarmén" in listing
    assert "/klart cadence:styrgrupp:" in listing
    assert "cadence:samverkansgrupp:" not in listing  # the other body's, only with "alla"
    # Dates are ordered.
    assert listing.index("31 oktober 2025") < listing.index("30 november 2025")

    everything = (await say(h, ADMIN, SG_CHAT, "/tidsfrister alla"))[-1].plain
    # Both bodies' meeting intervals ran out before the chat was linked: each body's is listed,
    # marked "före koppling".
    assert "/klart cadence:samverkansgrupp:" in everything
    assert "/klart cadence:styrgrupp:" in everything
    assert "(före koppling)" in everything

    # Reminders for the renewal announcement: 09:00 Stockholm, summer and winter time.
    renewal = rows(h, "renewal_announcement:2025-10-31")
    assert [r.due_at for r in renewal] == [
        utc(2025, 9, 1, 7),  # P60D, due right now
        utc(2025, 10, 1, 7),
        utc(2025, 10, 17, 7),
        utc(2025, 10, 24, 7),
        utc(2025, 10, 30, 8),  # P1D, after the change to winter time
        utc(2025, 11, 1, 8),  # overdue once
    ]
    assert all(r.chat_id == SG_CHAT.id and r.thread_id is None for r in renewal)
    assert all(r.language == "sv" for r in renewal)
    # The first is due right now; the running dispatcher may already have sent it.
    assert renewal[0].state in (ReminderState.PENDING, ReminderState.CLAIMED, ReminderState.SENT)
    assert all(r.state == ReminderState.PENDING for r in renewal[1:])

    # Syncing again changes nothing.
    with transaction(h.services.session_factory) as s:
        service.sync_all(s, now=h.clock())
    assert [(r.id, r.due_at) for r in rows(h, "renewal_announcement:2025-10-31")] == [
        (r.id, r.due_at) for r in renewal
    ]

    # The samverkansgrupp in a forum topic.
    await link(h, SVG_CHAT, "/koppla SOF 2025/144 samverkansgrupp", thread_id=TOPIC)
    await say(h, ADMIN, SVG_CHAT, "/tidsfrister", thread_id=TOPIC)
    report = rows(h, "activity_report:2025-05..2025-10")
    assert report and all(r.chat_id == SVG_CHAT.id and r.thread_id == TOPIC for r in report)
    assert report[0].due_at == utc(2025, 10, 31, 8)  # P30D before 30 November, 09:00 CET

    # Someone who is neither chair nor administrator: refused, nothing changes.
    key = "financial_report:convictus:2026"
    before = [(r.id, r.state) for r in rows(h, key)]
    assert before and all(state == ReminderState.PENDING for _id, state in before)
    refused = (await say(h, STRANGER, SG_CHAT, f"/klart {key}"))[-1].plain
    assert refused == t("sv", ONLY_CHAIR)
    with transaction(h.services.session_factory) as s:
        assert s.exec(select(DeadlineMet)).all() == []
    assert [(r.id, r.state) for r in rows(h, key)] == before
    # A group admin who is not the chair cannot either.
    refused = (await say(h, ADMIN, SG_CHAT, f"/klart {key}"))[-1].plain
    assert refused == t("sv", ONLY_CHAIR)
    with transaction(h.services.session_factory) as s:
        assert s.exec(select(DeadlineMet)).all() == []

    # The chair marks it met, by a unique prefix of the key.
    await make_chair(h)
    done = (await say(h, CHAIR, SG_CHAT, "/klart financial_report:convictus"))[-1].plain
    assert "Convictus" in done
    with transaction(h.services.session_factory) as s:
        met = s.exec(select(DeadlineMet)).all()
        assert [(m.key, m.met_by_user_id) for m in met] == [(key, CHAIR.id)]
    assert all(r.state == ReminderState.CANCELLED for r in rows(h, key))
    listing = (await say(h, CHAIR, SG_CHAT, "/tidsfrister"))[-1].plain
    assert key not in listing
    assert "financial_report:fralsningsarmen:2026" in listing
    assert "/klart chair_term:styrgrupp:2026-09-01" in listing  # the chair's year, 001 §3.1
    assert all(r.state == ReminderState.CANCELLED for r in rows(h, key))
    again = (await say(h, CHAIR, SG_CHAT, f"/klart {key}"))[-1].plain
    assert key in again

    # The dispatcher, on the day before the renewal deadline at 09:00 (winter time).
    dispatcher = get_dispatcher(h.app.bot_data) or ReminderDispatcher(h.app.bot, h.services)
    await dispatcher.run_once()  # whatever was due on 1 September
    earlier = len(h.fake.sent)

    def renewal_messages() -> list[str]:
        return [
            m.plain
            for m in h.fake.sent[earlier:]
            if m.chat_id == SG_CHAT.id
            and "/klart renewal_announcement:2025-10-31" in m.plain
            and "⏰" in m.plain
        ]

    h.clock.set(utc(2025, 10, 30, 8))
    await dispatcher.run_once()
    await dispatcher.run_once()
    sent = renewal_messages()
    assert len(sent) == 1, sent
    assert "31 oktober 2025" in sent[0] and "SOF 2025/144" in sent[0]
    assert t("sv", "Reminder") in sent[0]
    assert t("sv", LATE_NOTE) not in sent[0]
    states = {r.due_at: r.state for r in rows(h, "renewal_announcement:2025-10-31")}
    assert states[utc(2025, 10, 30, 8)] == ReminderState.SENT
    # The earlier leads were superseded by it: skipped, not sent as a backlog.
    assert states[utc(2025, 10, 1, 7)] == ReminderState.SKIPPED
    assert states[utc(2025, 11, 1, 8)] == ReminderState.PENDING

    # Next morning: the activity report's first reminder, in the samverkansgrupp's topic.
    h.clock.set(utc(2025, 10, 31, 8))
    await dispatcher.run_once()
    in_topic = [
        m
        for m in h.fake.messages_in(SVG_CHAT.id)
        if "activity_report:2025-05..2025-10" in m.plain and "⏰" in m.plain
    ]
    assert len(in_topic) == 1
    assert in_topic[0].thread_id == TOPIC
    assert "maj–oktober 2025" in in_topic[0].plain and "30 november 2025" in in_topic[0].plain
    assert len(renewal_messages()) == 1

    # The reminder carries a "Klar" button: a stranger gets an alert, the chair marks it met
    # and the reminder says so, without its button.
    reminder = next(
        m
        for m in h.fake.messages_in(SG_CHAT.id)
        if "/klart renewal_announcement:2025-10-31" in m.plain and "⏰" in m.plain
    )
    assert reminder.button_texts() == ["✓ Klar"]
    [data] = reminder.button_data()
    assert len(data.encode()) <= 64
    before = len(h.fake.callback_answers)
    await h.settle(h.fake.press(STRANGER, reminder.message_id, SG_CHAT, data))
    assert h.fake.callback_answers[before]["text"] == t("sv", ONLY_CHAIR)
    await h.settle(h.fake.press(CHAIR, reminder.message_id, SG_CHAT, data))
    with transaction(h.services.session_factory) as s:
        met_now = {m.key for m in s.exec(select(DeadlineMet)).all()}
    assert "renewal_announcement:2025-10-31" in met_now
    assert reminder.plain.endswith("✓ Agneta klarmarkerade den.")
    assert reminder.buttons() == []
    assert all(
        r.state == ReminderState.CANCELLED
        for r in rows(h, "renewal_announcement:2025-10-31")
        if r.due_at > h.clock()
    )


async def test_automatic_extension_notice_date_2023(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2023, 12, 1, 9, 0, tzinfo=STOCKHOLM))
    await link(h, SG_CHAT, "/koppla SOF 2023/202 styrgrupp")
    listing = (await say(h, ADMIN, SG_CHAT, "/tidsfrister"))[-1].plain
    # 004 §5.1: notice against the extension from 1 July 2024 by 31 December 2023.
    assert "31 december 2023" in listing
    assert "/klart renewal_announcement:2023-12-31" in listing
    assert "SOF 2023/202" in listing


async def test_unlinked_chat_is_told_to_link(harness: Harness) -> None:
    chat = FakeChat(-6099, "group", "Ingen")
    harness.fake.add_chat(chat)
    replies = await say(harness, STRANGER, chat, "/tidsfrister")
    assert "/koppla" in replies[-1].plain
    with transaction(harness.services.session_factory) as s:
        assert s.exec(select(Reminder)).all() == []


# --- the scheduling rules, on the service directly -------------------------------------------


def _setup_linked(svc: Runtime) -> int:
    import_example(svc, "sof-2025-144.toml")
    with transaction(svc.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert p is not None and p.id is not None
        body = bodies.get_body(s, p.id, "styrgrupp")
        assert body is not None
        body.chat_id = SG_CHAT.id
        s.add(body)
        return p.id


def _sync(svc: Runtime, now: datetime) -> None:
    with transaction(svc.session_factory) as s:
        service.sync_all(s, now=now)


def _renewal_rows(svc: Runtime, pid: int) -> list[Reminder]:
    source = service.source_of(pid, "renewal_announcement:2025-10-31")
    with transaction(svc.session_factory) as s:
        found = s.exec(select(Reminder).where(Reminder.source == source)).all()
        return sorted(found, key=lambda r: r.due_at)


def test_old_reminders_are_not_replayed_but_existing_ones_are_kept(services: Runtime) -> None:
    pid = _setup_linked(services)
    # Linked late: the leads long past are not scheduled afresh.
    _sync(services, datetime(2025, 10, 25, 9, 0, tzinfo=STOCKHOLM))
    found = _renewal_rows(services, pid)
    assert [r.due_at for r in found] == [utc(2025, 10, 30, 8), utc(2025, 11, 1, 8)]
    # The last lead expires at the end of the due day, the overdue one some days later.
    assert found[0].expires_at == utc(2025, 10, 31, 23)
    assert found[1].expires_at == utc(2025, 11, 4, 8)
    assert all(r.state == ReminderState.PENDING for r in found)

    # Down across the reminder, beyond the grace period: the row stays (sent late).
    _sync(services, utc(2025, 10, 30, 21))
    assert [(r.due_at, r.state) for r in _renewal_rows(services, pid)] == [
        (utc(2025, 10, 30, 8), ReminderState.PENDING),
        (utc(2025, 11, 1, 8), ReminderState.PENDING),
    ]

    # Met: everything open is cancelled, and a later sync does not bring it back.
    with transaction(services.session_factory) as s:
        p = s.get(Partnership, pid)
        assert p is not None
        assert service.mark_met(s, p, "renewal_announcement:2025-10-31", 77, utc(2025, 10, 30, 22))
        assert not service.mark_met(
            s, p, "renewal_announcement:2025-10-31", 77, utc(2025, 10, 30, 22)
        )
    _sync(services, utc(2025, 10, 30, 23))
    assert all(r.state == ReminderState.CANCELLED for r in _renewal_rows(services, pid))


def test_unlinking_the_chat_cancels_its_reminders(services: Runtime) -> None:
    pid = _setup_linked(services)
    _sync(services, datetime(2025, 9, 2, 9, 0, tzinfo=STOCKHOLM))
    assert any(r.state == ReminderState.PENDING for r in _renewal_rows(services, pid))
    with transaction(services.session_factory) as s:
        body = bodies.get_body(s, pid, "styrgrupp")
        assert body is not None
        body.chat_id = None
        s.add(body)
    _sync(services, datetime(2025, 9, 2, 10, 0, tzinfo=STOCKHOLM))
    assert all(r.state == ReminderState.CANCELLED for r in _renewal_rows(services, pid))
