"""Meeting reminders: group reminders before each meeting (DST-safe), private nudges to members
who have not answered, rescheduling and cancelling, and the cadence guard fed by meetings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from delivery.dispatcher import ReminderDispatcher, get_dispatcher
from delivery.parts import Text
from i18n import t
from services import deadlines
from services.meeting_reminders import (
    KIND_BEFORE,
    KIND_NUDGE,
    group_source,
    nudge_delta,
    nudge_source,
    sync_meeting_reminders,
)
from storage import bodies
from storage.db import transaction
from storage.models import (
    Meeting,
    MeetingStatus,
    Membership,
    MembershipStatus,
    Partnership,
    Person,
    Rsvp,
)
from storage.reminders import Reminder, ReminderState
from storage.runtime import Runtime
from tests.conftest import FakeClock, Harness, import_example
from tests.fakebot import FakeChat, FakeUser
from views import meeting_reminders as meeting_texts

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SG_CHAT_ID = -1007001
TOPIC = 5
# Tuesday after the 2026-10-25 fall-back: 10:00 CET is 09:00Z, a week earlier 10:00 CEST is 08:00Z.
MEETING_AT = datetime(2026, 10, 27, 10, 0, tzinfo=STOCKHOLM)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


@dataclass
class World:
    partnership_id: int
    body_id: int
    # person ids: with a private chat (two), without one, pending with a private chat
    anna: int
    bo: int
    cecilia: int
    pending: int


def _person(s: Session, tg_id: int, name: str, private: bool, now: datetime, lang: str) -> int:
    person = Person(
        telegram_user_id=tg_id,
        first_name=name,
        private_chat_id=tg_id if private else None,
        language_code=lang,
        created_at=now,
    )
    s.add(person)
    s.flush()
    assert person.id is not None
    return person.id


def _setup(svc: Runtime, *, link: bool = True) -> World:
    import_example(svc, "sof-2025-144.toml")
    now = svc.now()
    with transaction(svc.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert p is not None and p.id is not None
        body = bodies.get_body(s, p.id, "styrgrupp")
        assert body is not None and body.id is not None
        if link:
            body.chat_id = SG_CHAT_ID
            body.thread_id = TOPIC
            s.add(body)
        party = bodies.parties_of(s, p.id)[0]
        ids = {
            "anna": _person(s, 5001, "Anna", True, now, "sv"),
            "bo": _person(s, 5002, "Bo", True, now, "en"),
            "cecilia": _person(s, 5003, "Cecilia", False, now, "sv"),
            "pending": _person(s, 5004, "Pia", True, now, "sv"),
        }
        for name, person_id in ids.items():
            status = MembershipStatus.PENDING if name == "pending" else MembershipStatus.CONFIRMED
            s.add(
                Membership(
                    body_id=body.id,
                    person_id=person_id,
                    party_id=party.id,
                    status=status,
                    requested_at=now,
                )
            )
        return World(p.id, body.id, **ids)


def _meeting(
    svc: Runtime,
    w: World,
    starts: datetime = MEETING_AT,
    status: MeetingStatus = MeetingStatus.PUBLISHED,
    place: str | None = "Stadshuset <rum 3>",
) -> int:
    now = svc.now()
    with transaction(svc.session_factory) as s:
        meeting = Meeting(
            body_id=w.body_id,
            uid=f"{uuid.uuid4()}@test",
            status=status,
            starts_at=starts.astimezone(UTC),
            ends_at=(starts + timedelta(minutes=90)).astimezone(UTC),
            place=place,
            year=starts.year,
            number=3,
            created_at=now,
            updated_at=now,
            published_at=now if status == MeetingStatus.PUBLISHED else None,
        )
        s.add(meeting)
        s.flush()
        sync_meeting_reminders(s, meeting, now=now)
        assert meeting.id is not None
        return meeting.id


def _change(svc: Runtime, meeting_id: int, **values: object) -> None:
    with transaction(svc.session_factory) as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        for name, value in values.items():
            setattr(meeting, name, value)
        meeting.sequence += 1
        s.add(meeting)
        s.flush()
        sync_meeting_reminders(s, meeting, now=svc.now())


def _answer(svc: Runtime, meeting_id: int, person_id: int, answer: str = "yes") -> None:
    with transaction(svc.session_factory) as s:
        s.add(
            Rsvp(meeting_id=meeting_id, person_id=person_id, answer=answer, answered_at=svc.now())
        )
        s.flush()
        meeting = s.get(Meeting, meeting_id)
        assert meeting is not None
        sync_meeting_reminders(s, meeting, now=svc.now())


def _rows(svc: Runtime, source: str) -> list[Reminder]:
    with transaction(svc.session_factory) as s:
        found = s.exec(select(Reminder).where(Reminder.source == source)).all()
        return sorted(found, key=lambda r: (r.due_at, r.dedupe_key))


def _open(rows: list[Reminder]) -> list[Reminder]:
    return [r for r in rows if r.state == ReminderState.PENDING]


# --- group reminders ----------------------------------------------------------------------


def test_group_reminders_keep_local_time_across_dst(services: Runtime, clock: FakeClock) -> None:
    clock.set(utc(2026, 10, 1, 12))
    w = _setup(services)
    mid = _meeting(services, w)
    rows = _rows(services, group_source(mid))
    assert [r.due_at for r in rows] == [
        utc(2026, 10, 20, 8),  # 7 days before, 10:00 CEST
        utc(2026, 10, 26, 9),  # the day before, 10:00 CET
        utc(2026, 10, 27, 8),  # one hour before (exact)
    ]
    assert all(r.state == ReminderState.PENDING for r in rows)
    assert all(r.kind == KIND_BEFORE for r in rows)
    assert all(r.chat_id == SG_CHAT_ID and r.thread_id == TOPIC for r in rows)
    assert all(r.person_id is None and r.language == "sv" for r in rows)
    # Each is superseded by the next; none outlives the start.
    assert [r.expires_at for r in rows] == [
        utc(2026, 10, 26, 9),
        utc(2026, 10, 27, 8),
        utc(2026, 10, 27, 9),
    ]
    payload = rows[0].payload
    assert payload["meeting_id"] == mid and payload["body_name"] == "Styrgrupp"
    assert payload["local_start"] == "2026-10-27T10:00:00+01:00"
    assert payload["place"] == "Stadshuset <rum 3>"
    assert [r.payload["offset"] for r in rows] == ["7d", "1d", "1h"]
    # Idempotent: syncing again changes nothing.
    _change(services, mid)
    assert [(r.id, r.state) for r in _rows(services, group_source(mid))] == [
        (r.id, r.state) for r in rows
    ]


def test_meeting_called_late_gets_no_stale_reminders(services: Runtime, clock: FakeClock) -> None:
    clock.set(utc(2026, 10, 24, 12))  # three days ahead: the 7-day instant has passed
    w = _setup(services)
    mid = _meeting(services, w)
    assert [r.payload["offset"] for r in _rows(services, group_source(mid))] == ["1d", "1h"]


def test_unlinked_body_gets_no_group_reminders_but_nudges(
    services: Runtime, clock: FakeClock
) -> None:
    clock.set(utc(2026, 10, 1, 12))
    w = _setup(services, link=False)
    mid = _meeting(services, w)
    assert _rows(services, group_source(mid)) == []
    assert len(_rows(services, nudge_source(mid))) == 2


# --- nudges -------------------------------------------------------------------------------


def test_nudges_only_to_unanswered_members_with_a_private_chat(
    services: Runtime, clock: FakeClock
) -> None:
    clock.set(utc(2026, 10, 1, 12))
    w = _setup(services)
    mid = _meeting(services, w)
    nudges = _rows(services, nudge_source(mid))
    assert sorted(r.person_id for r in nudges if r.person_id) == [w.anna, w.bo]
    assert all(r.kind == KIND_NUDGE for r in nudges)
    assert all(r.due_at == utc(2026, 10, 26, 9) for r in nudges)  # the day before, 10:00 CET
    assert all(r.expires_at == MEETING_AT for r in nudges)
    by_person = {r.person_id: r for r in nudges}
    assert by_person[w.anna].chat_id == 5001 and by_person[w.anna].language == "sv"
    assert by_person[w.bo].chat_id == 5002 and by_person[w.bo].language == "en"
    assert by_person[w.anna].thread_id is None

    _answer(services, mid, w.bo, "no")  # any answer counts, "no" and "maybe" too
    states = {r.person_id: r.state for r in _rows(services, nudge_source(mid))}
    assert states == {w.anna: ReminderState.PENDING, w.bo: ReminderState.CANCELLED}
    # Another sync (e.g. after someone else's answer) does not bring Bo's nudge back.
    _answer(services, mid, w.cecilia, "maybe")
    states = {r.person_id: r.state for r in _rows(services, nudge_source(mid))}
    assert states == {w.anna: ReminderState.PENDING, w.bo: ReminderState.CANCELLED}


def test_nudge_offset_choice() -> None:
    day, hour = timedelta(days=1), timedelta(hours=1)
    assert nudge_delta((7 * day, day, hour)) == day
    assert nudge_delta((7 * day, 2 * day, hour)) == 2 * day
    assert nudge_delta((3 * hour, hour)) == 3 * hour
    assert nudge_delta(()) is None


# --- changes ------------------------------------------------------------------------------


def test_rescheduled_meeting_gets_fresh_reminders(services: Runtime, clock: FakeClock) -> None:
    clock.set(utc(2026, 10, 1, 12))
    w = _setup(services)
    mid = _meeting(services, w)
    # The 7-day reminder went out on 20 October.
    clock.set(utc(2026, 10, 21, 7))
    with transaction(services.session_factory) as s:
        first = s.exec(select(Reminder).where(Reminder.due_at == utc(2026, 10, 20, 8))).one()
        first.state = ReminderState.SENT
        first.sent_at = utc(2026, 10, 20, 8)
        s.add(first)
    moved_to = datetime(2026, 11, 3, 14, 30, tzinfo=STOCKHOLM)
    _change(
        services,
        mid,
        starts_at=moved_to.astimezone(UTC),
        ends_at=(moved_to + timedelta(hours=1)).astimezone(UTC),
    )
    rows = _rows(services, group_source(mid))
    assert [(r.due_at, r.state) for r in rows] == [
        (utc(2026, 10, 20, 8), ReminderState.SENT),  # stays sent
        (utc(2026, 10, 26, 9), ReminderState.CANCELLED),
        (utc(2026, 10, 27, 8), ReminderState.CANCELLED),
        (utc(2026, 10, 27, 13, 30), ReminderState.PENDING),  # 7 days before 14:30 CET
        (utc(2026, 11, 2, 13, 30), ReminderState.PENDING),
        (utc(2026, 11, 3, 12, 30), ReminderState.PENDING),
    ]
    assert all(r.payload["local_start"] == "2026-11-03T14:30:00+01:00" for r in _open(rows))
    nudges = _rows(services, nudge_source(mid))
    assert {r.due_at for r in _open(nudges)} == {utc(2026, 11, 2, 13, 30)}
    assert {r.due_at for r in nudges if r.state == ReminderState.CANCELLED} == {
        utc(2026, 10, 26, 9)
    }


def test_new_place_updates_pending_reminders(services: Runtime, clock: FakeClock) -> None:
    clock.set(utc(2026, 10, 1, 12))
    w = _setup(services)
    mid = _meeting(services, w)
    before = {r.id for r in _rows(services, group_source(mid))}
    _change(services, mid, place="Zoom")
    rows = _rows(services, group_source(mid))
    assert {r.id for r in rows} == before
    assert all(r.payload["place"] == "Zoom" and r.state == ReminderState.PENDING for r in rows)


def test_cancelled_or_draft_meeting_cancels_everything(services: Runtime, clock: FakeClock) -> None:
    clock.set(utc(2026, 10, 1, 12))
    w = _setup(services)
    mid = _meeting(services, w)
    _change(services, mid, status=MeetingStatus.CANCELLED, cancelled_at=clock())
    rows = _rows(services, group_source(mid)) + _rows(services, nudge_source(mid))
    assert len(rows) == 5 and all(r.state == ReminderState.CANCELLED for r in rows)

    draft = _meeting(services, w, starts=datetime(2026, 12, 1, 10, tzinfo=STOCKHOLM))
    assert _open(_rows(services, group_source(draft)))
    _change(services, draft, status=MeetingStatus.DRAFT)
    rows = _rows(services, group_source(draft)) + _rows(services, nudge_source(draft))
    assert rows and all(r.state == ReminderState.CANCELLED for r in rows)


# --- the cadence guard --------------------------------------------------------------------


def _cadence_rows(svc: Runtime, w: World, window: str) -> list[Reminder]:
    return _rows(svc, deadlines.source_of(w.partnership_id, f"cadence:styrgrupp:{window}"))


def test_cadence_reminders_until_a_meeting_is_called(services: Runtime, clock: FakeClock) -> None:
    # 001 §3.1: the styrgrupp meets at least every second month; the agreement starts 1 May.
    clock.set(utc(2025, 5, 20, 10))
    w = _setup(services)
    with transaction(services.session_factory) as s:
        p = s.get(Partnership, w.partnership_id)
        assert p is not None
        deadlines.sync_reminders(s, p, now=clock())
    rows = _cadence_rows(services, w, "2025-07-01")
    assert [(r.payload["label"], r.due_at, r.state) for r in rows] == [
        ("P21D", utc(2025, 6, 10, 7), ReminderState.PENDING),  # 21 days before, 09:00 local
        ("P10D", utc(2025, 6, 21, 7), ReminderState.PENDING),  # 10 days before
        ("overdue", utc(2025, 7, 2, 7), ReminderState.PENDING),
    ]
    assert all(r.chat_id == SG_CHAT_ID and r.kind == "deadline.cadence" for r in rows)

    # A draft is no kallelse: the guard stays.
    draft = _meeting(
        services, w, starts=datetime(2025, 6, 16, 10, tzinfo=STOCKHOLM), status=MeetingStatus.DRAFT
    )
    assert len(_open(_cadence_rows(services, w, "2025-07-01"))) == 3
    # A meeting called after the window does not keep the rule either.
    _meeting(services, w, starts=datetime(2025, 7, 2, 10, tzinfo=STOCKHOLM))
    assert len(_open(_cadence_rows(services, w, "2025-07-01"))) == 3

    # Published inside the window: the chair is not reminded any more.
    _change(services, draft, status=MeetingStatus.PUBLISHED)
    rows = _cadence_rows(services, w, "2025-07-01")
    assert rows and all(r.state == ReminderState.CANCELLED for r in rows)

    # Cancelled again: the guard comes back.
    _change(services, draft, status=MeetingStatus.CANCELLED)
    assert len(_open(_cadence_rows(services, w, "2025-07-01"))) == 3


def test_held_meeting_opens_the_next_window(services: Runtime, clock: FakeClock) -> None:
    clock.set(utc(2025, 5, 20, 10))
    w = _setup(services)
    mid = _meeting(services, w, starts=datetime(2025, 6, 16, 10, tzinfo=STOCKHOLM))
    assert not _open(_cadence_rows(services, w, "2025-07-01"))
    clock.set(utc(2025, 6, 17, 10))
    with transaction(services.session_factory) as s:
        p = s.get(Partnership, w.partnership_id)
        assert p is not None
        facts = deadlines.load_facts(s, p, today=clock().astimezone(STOCKHOLM).date())
        assert facts.last_meetings.get("styrgrupp") == datetime(2025, 6, 16).date()
        assert facts.next_meetings.get("styrgrupp") is None
        assert facts.cadence_overrides == {}
        meeting = s.get(Meeting, mid)
        assert meeting is not None
        sync_meeting_reminders(s, meeting, now=clock())
    rows = _cadence_rows(services, w, "2025-08-16")
    assert [r.due_at for r in _open(rows)] == [
        utc(2025, 7, 26, 7),  # 21 days before 16 August
        utc(2025, 8, 6, 7),
        utc(2025, 8, 17, 7),  # overdue
    ]


# --- rendering ----------------------------------------------------------------------------


def test_renderers_escape_and_localise() -> None:
    payload = {
        "meeting_id": 1,
        "body_name": "Styrgrupp",
        "diarienummer": "SOF 2025/144",
        "local_start": "2026-10-27T10:00:00+01:00",
        "place": "Rum <b>3</b> & co",
        "offset": "1d",
        "number": 3,
        "year": 2026,
        "group_chat_id": -1001234,
        "kallelse_message_id": 77,
    }
    (part,) = meeting_texts.render_before(payload, "sv", False)
    text = part if isinstance(part, str) else part.html
    assert "tisdag 27 oktober 2026 kl. 10.00" in text
    assert t("sv", "tomorrow") in text
    assert "Rum &lt;b&gt;3&lt;/b&gt; &amp; co" in text and "<b>3</b>" not in text
    (nudge,) = meeting_texts.render_nudge(payload, "en", False)
    assert isinstance(nudge, Text) and nudge.keyboard is not None
    english = nudge.html
    assert "Tuesday, October 27, 2026 at 10:00" in english
    # The nudge is answered right there, or the kallelse opened in the group.
    answers, link = nudge.keyboard
    assert [b.data for b in answers] == ["pr:1:y", "pr:1:n", "pr:1:m"]
    assert link[0].url == "https://t.me/c/1234/77"
    (late,) = meeting_texts.render_before(payload, "en", True)
    late_text = late if isinstance(late, str) else late.html
    assert "tomorrow" not in late_text and "October 27, 2026" in late_text


# --- end to end: the dispatcher sends them ------------------------------------------------


ANNA = FakeUser(5001, "Anna", "anna_m")
BO = FakeUser(5002, "Bo", "bo_m", language_code="en")
SG_CHAT = FakeChat(SG_CHAT_ID, "supergroup", "Styrgrupp", is_forum=True)


async def test_dispatcher_sends_reminders_and_nudges(harness: Harness) -> None:
    h = harness
    h.clock.set(utc(2026, 10, 1, 12))
    for chat in (SG_CHAT, FakeChat.private(ANNA), FakeChat.private(BO)):
        h.fake.add_chat(chat)
    with transaction(h.services.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert p is not None and p.id is not None
        body = bodies.get_body(s, p.id, "styrgrupp")
        assert body is not None and body.id is not None
        body.chat_id, body.thread_id = SG_CHAT_ID, TOPIC
        s.add(body)
        party = bodies.parties_of(s, p.id)[0]
        now = h.clock()
        people = []
        for user in (ANNA, BO):
            person = Person(
                telegram_user_id=user.id,
                first_name=user.first_name,
                private_chat_id=user.id,
                language_code=user.language_code,
                created_at=now,
            )
            s.add(person)
            s.flush()
            people.append(person)
            s.add(
                Membership(
                    body_id=body.id,
                    person_id=person.id,  # type: ignore[arg-type]
                    party_id=party.id,
                    status=MembershipStatus.CONFIRMED,
                    requested_at=now,
                )
            )
        meeting = Meeting(
            body_id=body.id,
            uid="e2e@test",
            status=MeetingStatus.PUBLISHED,
            starts_at=MEETING_AT.astimezone(UTC),
            ends_at=(MEETING_AT + timedelta(hours=2)).astimezone(UTC),
            place="Stadshuset",
            created_at=now,
            updated_at=now,
        )
        s.add(meeting)
        s.flush()
        sync_meeting_reminders(s, meeting, now=now)
        # Bo answers before the nudges are due.
        assert meeting.id is not None and people[1].id is not None
        s.add(Rsvp(meeting_id=meeting.id, person_id=people[1].id, answer="yes", answered_at=now))
        s.flush()
        sync_meeting_reminders(s, meeting, now=now)

    dispatcher = get_dispatcher(h.app.bot_data) or ReminderDispatcher(h.app.bot, h.services)

    def new_since(count: int) -> list[tuple[int, int | None, str]]:
        return [(m.chat_id, m.thread_id, m.plain) for m in h.fake.sent[count:]]

    # One minute early: nothing.
    h.clock.set(utc(2026, 10, 20, 7, 59))
    start = len(h.fake.sent)
    await dispatcher.run_once()
    assert new_since(start) == []

    # 10:00 CEST, 20 October: the 7-day reminder in the group's topic.
    h.clock.set(utc(2026, 10, 20, 8))
    await dispatcher.run_once()
    sent = new_since(start)
    assert len(sent) == 1
    chat_id, thread_id, text = sent[0]
    assert (chat_id, thread_id) == (SG_CHAT_ID, TOPIC)
    assert "tisdag 27 oktober 2026" in text and "10.00" in text
    assert t("sv", "in {days} days").format(days=7) in text and "Stadshuset" in text

    # 10:00 CET, 26 October (after the DST change): the group reminder and Anna's nudge only.
    start = len(h.fake.sent)
    h.clock.set(utc(2026, 10, 26, 9))
    await dispatcher.run_once()
    await dispatcher.run_once()
    sent = new_since(start)
    assert sorted(c for c, _, _ in sent) == sorted([SG_CHAT_ID, ANNA.id])
    assert BO.id not in {m.chat_id for m in h.fake.sent}  # Bo answered: never nudged
    nudge = next(text for c, _, text in sent if c == ANNA.id)
    assert t("sv", "tomorrow") in nudge and "10.00" in nudge
    group = next(text for c, _, text in sent if c == SG_CHAT_ID)
    assert t("sv", "tomorrow") in group

    # One hour before, exactly: the last one.
    start = len(h.fake.sent)
    h.clock.set(utc(2026, 10, 27, 8))
    await dispatcher.run_once()
    sent = new_since(start)
    assert [(c, th) for c, th, _ in sent] == [(SG_CHAT_ID, TOPIC)]
    assert t("sv", "in 1 hour") in sent[0][2]
    # And nothing more, ever.
    h.clock.set(utc(2026, 10, 28, 8))
    start = len(h.fake.sent)
    await dispatcher.run_once()
    assert new_since(start) == []
