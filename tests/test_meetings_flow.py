"""Meetings end to end: /kallelse, /punkt, the draft agenda's buttons, publishing, RSVPs,
/moten, /flytta and /stall_in, through the real Application and the fake Telegram server."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from icalendar import Calendar
from sqlmodel import select

from handlers.dates import DATE_ERRORS
from i18n import t
from services import meetings as service
from services.errors import Refusal
from services.roles import role_in_body
from storage import bodies, people
from storage.db import transaction
from storage.models import AgendaItem, Body, Meeting, MeetingStatus, Rsvp
from tests import conftest
from tests.conftest import FakeClock, Harness, import_example
from tests.fakebot import FakeChat, FakeUser
from tests.fakebot.html import plain_text

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ADMIN = FakeUser(3001, "Åsa", "asa_admin")  # a Telegram admin of the groups
CHAIR = FakeUser(3002, "Agneta", "agneta_c")  # Convictus
STADSMISSION = FakeUser(3003, "Bertil", "bertil_s")
CITY = FakeUser(3004, "Cecilia", "cecilia_city")
STRANGER = FakeUser(3005, "Sven", "sven_x")
ENGLISH = FakeUser(3006, "Emma", "emma_en", language_code="en")
SG_CHAT = FakeChat(-6001, "group", "Styrgrupp EU")
SM_CHAT = FakeChat(-6002, "group", "Styrgrupp Bostad Först")
LONELY_CHAT = FakeChat(-6003, "group", "Not linked")


@pytest.fixture
def loose_group_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests press through a whole meeting in well under a minute, far more than the 20
    requests a minute Telegram allows per group; the limiter stays, it just does not wait."""
    original = conftest.make_settings

    def make(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        settings = original(*args, **kwargs)  # type: ignore[arg-type]
        settings.rate_limit_group_per_minute = 100_000
        return settings

    monkeypatch.setattr(conftest, "make_settings", make)


@pytest_asyncio.fixture
async def harness(loose_group_limit: None, harness: Harness) -> AsyncIterator[Harness]:
    yield harness


def sv(msgid: str, **params: object) -> str:
    """The Swedish text the bot shows for a message id, as a user sees it (tags stripped)."""
    text = t("sv", msgid)
    return plain_text(text.format(**params) if params else text, "HTML")


def head(msgid: str) -> str:
    """The Swedish text before its first placeholder (for texts with long parameters)."""
    return plain_text(t("sv", msgid).split("{")[0], "HTML").strip()


async def say(h: Harness, user: FakeUser, chat: FakeChat, text: str):  # type: ignore[no-untyped-def]
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(user, chat, text))
    return [m for m in h.fake.sent[before:] if m.chat_id == chat.id]


async def press(h: Harness, user: FakeUser, chat: FakeChat, message, data: str, check=True):  # type: ignore[no-untyped-def]
    before = len(h.fake.callback_answers)
    await h.settle(h.fake.press(user, message, chat, data, check_button=check))
    answers = h.fake.callback_answers[before:]
    return answers[-1] if answers else None


async def join(h: Harness, chat: FakeChat, user: FakeUser, party: str, approver: FakeUser) -> None:
    request = (await say(h, user, chat, f"/jag {party}"))[-1]
    await press(h, approver, chat, request.message_id, request.button_data()[0])


async def setup_sg(h: Harness, chat: FakeChat = SG_CHAT, dnr: str = "SOF 2025/144") -> None:
    """The styrgrupp chat linked, three parties' members confirmed, Agneta chair."""
    h.fake.add_chat(chat)
    h.fake.set_member_status(chat, ADMIN, "administrator")
    await say(h, ADMIN, chat, f"/koppla {dnr} styrgrupp")
    if dnr == "SOF 2025/144":
        parties = [(CHAIR, "Convictus"), (STADSMISSION, "Stadsmission"), (CITY, "stockholms-stad")]
    else:
        parties = [(CHAIR, "Street Minds"), (CITY, "stockholms-stad")]
    for user, party in parties:
        await join(h, chat, user, party, ADMIN)
    replies = await say(h, ADMIN, chat, "/ordforande @agneta_c")
    assert "Agneta" in replies[-1].plain


def body(h: Harness, dnr: str = "SOF 2025/144", kind: str = "styrgrupp") -> Body:
    with transaction(h.services.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, dnr)
        assert p is not None and p.id is not None
        found = bodies.get_body(s, p.id, kind)
        assert found is not None
        return found


def meetings(h: Harness) -> list[Meeting]:
    with transaction(h.services.session_factory) as s:
        return list(s.exec(select(Meeting).order_by(Meeting.id)).all())  # type: ignore[arg-type]


def rsvps(h: Harness) -> list[Rsvp]:
    with transaction(h.services.session_factory) as s:
        return list(s.exec(select(Rsvp)).all())


def ics_of(message) -> tuple[Calendar, object]:  # type: ignore[no-untyped-def]
    assert message.document_name and message.document_name.endswith(".ics")
    cal = Calendar.from_ical(message.document_bytes)
    return cal, cal.walk("VEVENT")[0]


def all_callback_data_fit(h: Harness) -> bool:
    return all(len(d.encode()) <= 64 for m in h.fake.sent for d in m.button_data())


async def call_and_publish(h: Harness, when: str = "2026-12-10 14:00 Stadshuset, rum 3"):  # type: ignore[no-untyped-def]
    preview = (await say(h, CHAIR, SG_CHAT, f"/kallelse {when}"))[-1]
    publish = next(d for d in preview.button_data() if d.startswith("mp:"))
    before = len(h.fake.sent)
    await press(h, CHAIR, SG_CHAT, preview.message_id, publish)
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    kallelse = next(m for m in sent if m.button_data() and m.button_data()[0].startswith("rv:"))
    invitation = next(m for m in sent if m.document_name)
    return preview, kallelse, invitation


COMING, NOT_COMING, MAYBE = "Coming", "Not coming", "Maybe"
MOVED = (
    "<b>The meeting has been moved</b>: {title}\nFrom {old}\nTo {new}\nWhere: {place}\n"
    "Please answer again with the buttons on the kallelse."
)


def agenda_rows(h: Harness, meeting_id: int | None) -> list[AgendaItem]:
    with transaction(h.services.session_factory) as s:
        return list(
            s.exec(
                select(AgendaItem)
                .where(AgendaItem.meeting_id == meeting_id)
                .order_by(AgendaItem.position, AgendaItem.id)  # type: ignore[arg-type]
            ).all()
        )


async def test_call_items_reorder_drop_publish_and_rsvp(harness: Harness) -> None:
    h = harness
    await setup_sg(h)
    # Items raised before any meeting is called wait for the next one.
    replies = await say(h, STADSMISSION, SG_CHAT, "/punkt Lokalfrågan <Vårberg> & co")
    assert "Lokalfrågan <Vårberg> & co" in replies[-1].plain
    assert [i.title for i in agenda_rows(h, None)] == ["Lokalfrågan <Vårberg> & co"]
    replies = await say(h, STRANGER, SG_CHAT, "/punkt Något")
    assert replies[-1].plain == sv(
        "Only members of this body can add items to the agenda. Use /jag first."
    )
    assert len(agenda_rows(h, None)) == 1

    preview = (await say(h, CHAIR, SG_CHAT, "/kallelse 2026-12-10 14:00 Stadshuset, rum 3"))[-1]
    assert head("<b>Draft kallelse</b>: {title}") in preview.plain
    assert "Lokalfrågan <Vårberg> & co" in preview.plain
    assert sv("Items raised from the samverkansgrupp") in preview.plain  # styrgrupp only
    assert "torsdag 10 december 2026 kl. 14.00–15.30" in preview.plain
    assert "CET" not in preview.plain  # Swedish texts name no time zone
    (meeting,) = meetings(h)
    assert meeting.status == MeetingStatus.DRAFT
    assert meeting.starts_at == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)
    assert meeting.place == "Stadshuset, rum 3"
    assert agenda_rows(h, None) == []  # the waiting item was taken onto the agenda

    # A second item from a member lands on the draft, before other business.
    replies = await say(h, CITY, SG_CHAT, "/punkt Budget 2027")
    assert "Budget 2027" in replies[-1].plain
    rows = agenda_rows(h, meeting.id)
    assert [i.standard_key or i.title for i in rows][-4:] == [
        "Lokalfrågan <Vårberg> & co",
        "Budget 2027",
        "other_business",
        "closing",
    ]
    budget = next(i for i in rows if i.title == "Budget 2027")
    reports = next(i for i in rows if i.standard_key == "reports")

    # Shown again, the draft has the new item; locked items (opening, justerare, agenda
    # approval, closing) have no button.
    await press(h, CHAIR, SG_CHAT, preview.message_id, f"ma:{meeting.id}:0:o")
    assert "Budget 2027" in preview.plain
    item_buttons = [d for d in preview.button_data() if d.endswith(":s")]
    assert len(item_buttons) == len(rows) - 4
    select_budget = f"ma:{meeting.id}:{budget.id}:s"
    assert select_budget in item_buttons
    answer = await press(h, STADSMISSION, SG_CHAT, preview.message_id, select_budget)
    assert answer is not None and answer.get("show_alert")  # not the chair
    await press(h, CHAIR, SG_CHAT, preview.message_id, select_budget)
    assert f"ma:{meeting.id}:{budget.id}:u" in preview.button_data()
    await press(h, CHAIR, SG_CHAT, preview.message_id, f"ma:{meeting.id}:{budget.id}:u")
    await press(h, CHAIR, SG_CHAT, preview.message_id, f"ma:{meeting.id}:0:o")
    await press(h, CHAIR, SG_CHAT, preview.message_id, f"ma:{meeting.id}:{reports.id}:s")
    await press(h, CHAIR, SG_CHAT, preview.message_id, f"ma:{meeting.id}:{reports.id}:x")
    assert sv("(dropped)") in preview.plain
    order = [(i.standard_key or i.title, i.dropped) for i in agenda_rows(h, meeting.id)]
    assert order[-5:] == [
        ("reports", True),
        ("Budget 2027", False),
        ("Lokalfrågan <Vårberg> & co", False),
        ("other_business", False),
        ("closing", False),
    ]
    # Tampered agenda data: another meeting, an unknown operation.
    for data in (f"ma:9999:{budget.id}:u", f"ma:{meeting.id}:{budget.id}:z", "ma:x"):
        answer = await press(h, CHAIR, SG_CHAT, preview.message_id, data, check=False)
        assert answer is not None and answer.get("show_alert")

    # Publish: one kallelse with the agenda and buttons, and an invitation.
    await press(h, CHAIR, SG_CHAT, preview.message_id, f"ma:{meeting.id}:0:o")
    publish = f"mp:{meeting.id}"
    before = len(h.fake.sent)
    await press(h, CHAIR, SG_CHAT, preview.message_id, publish)
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    kallelses = [m for m in sent if any(d.startswith("rv:") for d in m.button_data())]
    assert len(kallelses) == 1 and len(sent) == 2
    kallelse = kallelses[0]
    assert kallelse.button_texts()[:3] == [sv(COMING), sv(NOT_COMING), sv(MAYBE)]
    text = kallelse.plain
    assert sv("{body}, meeting {number}/{year}", body="Styrgrupp", number=1, year=2026) in text
    assert "Stadshuset, rum 3" in text and "14.00–15.30" in text
    assert text.index("Budget 2027") < text.index("Lokalfrågan <Vårberg> & co")
    assert sv("Reports") not in text  # dropped
    assert "1. " + sv("Opening of the meeting") in text
    invitation = next(m for m in sent if m.document_name)
    cal, event = ics_of(invitation)
    assert str(cal["METHOD"]) == "PUBLISH" and int(event["SEQUENCE"]) == 0  # type: ignore[index]
    assert str(event["UID"]) == meeting.uid  # type: ignore[index]
    assert "Budget 2027" in str(event["DESCRIPTION"])  # type: ignore[index]
    meeting = meetings(h)[0]
    assert meeting.status == MeetingStatus.PUBLISHED
    assert meeting.number == 1 and meeting.kallelse_message_id == kallelse.message_id
    # A stale press of Publish is answered with a toast and sends nothing.
    before = len(h.fake.sent)
    answer = await press(h, CHAIR, SG_CHAT, preview.message_id, publish, check=False)
    assert answer is not None and answer.get("text")
    assert len(h.fake.sent) == before

    # RSVPs from three parties: the same message is edited, nothing new is sent.
    yes, no, maybe = kallelse.button_data()
    await press(h, CHAIR, SG_CHAT, kallelse.message_id, yes)
    await press(h, STADSMISSION, SG_CHAT, kallelse.message_id, maybe)
    await press(h, CITY, SG_CHAT, kallelse.message_id, no)
    assert len(h.fake.sent) == before
    assert len(kallelse.edits) == 3
    assert f"{sv(COMING)} (1): Agneta" in kallelse.plain
    assert f"{sv(NOT_COMING)} (1): Cecilia" in kallelse.plain
    assert f"{sv(MAYBE)} (1): Bertil" in kallelse.plain
    assert sv("Not answered yet: {count}", count=0) in kallelse.plain
    assert kallelse.button_data() == [yes, no, maybe]  # the keyboard survives the edits

    # A double press: a toast, one RSVP, no edit.
    answer = await press(h, CHAIR, SG_CHAT, kallelse.message_id, yes)
    assert answer is not None and answer["text"] == sv(
        "Your answer is already recorded: {answer}.", answer=sv(COMING)
    )
    assert not answer.get("show_alert")
    assert len(kallelse.edits) == 3
    # Changing one's answer edits the count.
    await press(h, STADSMISSION, SG_CHAT, kallelse.message_id, yes)
    assert f"{sv(COMING)} (2)" in kallelse.plain and f"{sv(MAYBE)} (0)" in kallelse.plain
    assert len(rsvps(h)) == 3 and len(kallelse.edits) == 4

    # A non-member is refused politely and not counted.
    answer = await press(h, STRANGER, SG_CHAT, kallelse.message_id, yes)
    assert answer is not None and answer.get("show_alert") and "/jag" in answer["text"]
    assert len(rsvps(h)) == 3 and f"{sv(COMING)} (2)" in kallelse.plain
    # Tampered data: a meeting that does not exist, an answer that does not exist.
    for data in ("rv:999:y", f"rv:{meeting.id}:q", "rv:abc:y"):
        answer = await press(h, CHAIR, SG_CHAT, kallelse.message_id, data, check=False)
        assert answer is not None and answer.get("show_alert")
    assert len(rsvps(h)) == 3

    # An item added after publishing edits the kallelse in place.
    before = len(h.fake.sent)
    await say(h, CITY, SG_CHAT, "/punkt Sent inkommen fråga")
    assert len(h.fake.sent) == before + 1  # the confirmation only
    assert "Sent inkommen fråga" in kallelse.plain

    # /moten lists it with the counts.
    listing = (await say(h, STRANGER, SG_CHAT, "/moten"))[-1].plain
    assert "1/2026" in listing
    assert f"{sv(COMING)} 2" in listing and f"{sv(NOT_COMING)} 1" in listing
    # After the meeting it is listed as past, and answering is closed.
    h.clock.set(datetime(2026, 12, 10, 16, 0, tzinfo=STOCKHOLM))
    listing = (await say(h, STRANGER, SG_CHAT, "/moten"))[-1].plain
    assert listing.index(head("<b>Past</b>")) < listing.index("1/2026")
    answer = await press(h, CITY, SG_CHAT, kallelse.message_id, yes)
    assert answer is not None and answer.get("show_alert")
    assert all_callback_data_fit(h)
    assert not h.fake.unexpected_violations


async def test_reschedule_raises_sequence_and_cancel_withdraws(harness: Harness) -> None:
    h = harness
    await setup_sg(h)
    _preview, kallelse, invitation = await call_and_publish(h)
    uid = str(ics_of(invitation)[1]["UID"])  # type: ignore[index]
    await press(h, CHAIR, SG_CHAT, kallelse.message_id, kallelse.button_data()[0])
    assert len(rsvps(h)) == 1

    replies = await say(h, STRANGER, SG_CHAT, "/flytta 2026-12-11 10:00")
    assert replies[-1].plain == sv(
        "Only the chair of this body or the administrator can move a meeting."
    )
    replies = await say(h, CHAIR, SG_CHAT, "/flytta 2026-12-11 10:00 Ny plats")
    notice = next(m for m in replies if head(MOVED) in m.plain)
    assert "fredag 11 december 2026 kl. 10.00" in notice.plain and "Ny plats" in notice.plain
    cal, event = ics_of(next(m for m in replies if m.document_name))
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1  # type: ignore[index]
    assert str(cal["METHOD"]) == "PUBLISH"
    assert event.decoded("DTSTART") == datetime(2026, 12, 11, 10, 0, tzinfo=STOCKHOLM)  # type: ignore[attr-defined]
    assert str(event["LOCATION"]) == "Ny plats"  # type: ignore[index]
    # The kallelse was edited in place: new time, answers asked again.
    assert "fredag 11 december" in kallelse.plain and "Ny plats" in kallelse.plain
    assert f"{sv(COMING)} (0)" in kallelse.plain and rsvps(h) == []
    # Moving again raises SEQUENCE again; a time in the past changes nothing.
    replies = await say(h, CHAIR, SG_CHAT, "/flytta 2026-12-12 10:00")
    _cal, event = ics_of(next(m for m in replies if m.document_name))
    assert int(event["SEQUENCE"]) == 2  # type: ignore[index]
    replies = await say(h, CHAIR, SG_CHAT, "/flytta 2020-01-01 10:00")
    assert replies[-1].plain == sv(DATE_ERRORS["in_past"])
    assert meetings(h)[0].sequence == 2

    # An ambiguous new time is asked with buttons (05/01 is 5 January: not asked).
    question = (await say(h, CHAIR, SG_CHAT, "/flytta nästa onsdag 10:00"))[-1]
    assert len(question.button_data()) == 2
    await press(h, CHAIR, SG_CHAT, question.message_id, question.button_data()[1])
    assert meetings(h)[0].starts_at == datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM)
    assert meetings(h)[0].sequence == 3

    # Cancel: a question with a button, then the notice and the event published as cancelled.
    question = (await say(h, CHAIR, SG_CHAT, "/stall_in"))[-1]
    (data,) = question.button_data()
    answer = await press(h, STADSMISSION, SG_CHAT, question.message_id, data)
    assert answer is not None and answer.get("show_alert")
    assert meetings(h)[0].status == MeetingStatus.PUBLISHED
    before = len(h.fake.sent)
    await press(h, CHAIR, SG_CHAT, question.message_id, data)
    sent = h.fake.sent[before:]
    assert any(
        head("<b>The meeting has been cancelled</b>: {title}, {when}") in m.plain for m in sent
    )
    cal, event = ics_of(next(m for m in sent if m.document_name))
    assert str(cal["METHOD"]) == "PUBLISH" and str(event["STATUS"]) == "CANCELLED"  # type: ignore[index]
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 4  # type: ignore[index]
    assert meetings(h)[0].status == MeetingStatus.CANCELLED
    # The kallelse says so and has no buttons left; an old button is answered with a toast.
    assert head("<b>CANCELLED</b>: {title}") in kallelse.plain and kallelse.button_data() == []
    stale = f"rv:{meetings(h)[0].id}:y"
    answer = await press(h, CITY, SG_CHAT, kallelse.message_id, stale, check=False)
    assert answer is not None and answer["text"] == sv("This meeting has been cancelled.")
    assert rsvps(h) == []
    answer = await press(h, CHAIR, SG_CHAT, question.message_id, data, check=False)
    assert answer is not None and answer.get("show_alert")
    listing = (await say(h, CHAIR, SG_CHAT, "/moten"))[-1].plain
    assert sv("No meeting has been called. The chair calls one with /kallelse.") in listing
    assert not h.fake.unexpected_violations


async def test_bad_times_are_refused_or_asked(harness: Harness) -> None:
    h = harness
    await setup_sg(h)
    for text, expected in (
        ("/kallelse 31/02 14:00", sv(DATE_ERRORS["invalid_date"])),
        ("/kallelse 2026-11-20 14:00", sv(DATE_ERRORS["in_past"])),
        ("/kallelse 2026-12-10 24:00", sv(DATE_ERRORS["invalid_time"])),
        ("/kallelse 2026-13-10 10:00", sv(DATE_ERRORS["invalid_date"])),
        ("/kallelse 2026-12-10", sv(DATE_ERRORS["missing_time"])),
        ("/kallelse ２０２６-12-10 14:00", sv(DATE_ERRORS["non_ascii_digits"])),
        ("/kallelse 9999-12-10 14:00", sv(DATE_ERRORS["too_far"])),
        ("/kallelse 2028-06-01 10:00", "2028-04-30"),  # after the latest possible end
        ("/kallelse", "/kallelse 2026-12-10"),
        ("/kallelse Stadshuset", sv(DATE_ERRORS["unrecognised"])),
    ):
        replies = await say(h, CHAIR, SG_CHAT, text)
        assert expected in replies[-1].plain, (text, replies[-1].plain)
    assert meetings(h) == []

    # "nästa torsdag" on a Monday: this week's or next week's – asked with buttons; the place
    # is kept. (3/4 is never asked in Swedish: it is 3 April.)
    question = (await say(h, CHAIR, SG_CHAT, "/kallelse nästa torsdag 14:00 2h Rum 5"))[-1]
    assert question.button_texts() == ["2026-11-26 kl. 14.00", "2026-12-03 kl. 14.00"]
    assert meetings(h) == []
    answer = await press(h, STADSMISSION, SG_CHAT, question.message_id, question.button_data()[0])
    assert answer is not None and answer.get("show_alert") and meetings(h) == []
    await press(h, CHAIR, SG_CHAT, question.message_id, question.button_data()[1])
    (meeting,) = meetings(h)
    assert meeting.starts_at == datetime(2026, 12, 3, 14, 0, tzinfo=STOCKHOLM)
    assert meeting.ends_at == datetime(2026, 12, 3, 16, 0, tzinfo=STOCKHOLM)
    assert meeting.place == "Rum 5"
    # A second draft while one is prepared is refused; a second press creates nothing.
    replies = await say(h, ADMIN, SG_CHAT, "/kallelse 2027-01-10 10:00")
    assert replies[-1].plain == sv(
        "Only the chair of this body or the administrator can call a meeting."
    )  # a chat admin is not the chair
    replies = await say(h, CHAIR, SG_CHAT, "/kallelse 2027-01-10 10:00")
    assert "/stall_in" in replies[-1].plain
    data = question.button_data()[0]
    await press(h, CHAIR, SG_CHAT, question.message_id, data, check=False)
    assert len(meetings(h)) == 1

    # Discarding the draft, then pressing an old button for a time that has passed.
    question2 = (await say(h, CHAIR, SG_CHAT, "/stall_in"))[-1]
    await press(h, CHAIR, SG_CHAT, question2.message_id, question2.button_data()[0])
    assert meetings(h)[0].status == MeetingStatus.CANCELLED
    h.clock.set(datetime(2027, 4, 5, 9, 0, tzinfo=STOCKHOLM))
    answer = await press(h, CHAIR, SG_CHAT, question.message_id, data, check=False)
    assert answer is not None and answer.get("show_alert")
    assert len(meetings(h)) == 1


async def test_length_or_end_time_after_the_time(harness: Harness) -> None:
    h = harness
    await setup_sg(h)
    length_error = sv(
        "A meeting lasts from 15 minutes to 12 hours. Check the end time or the length."
    )
    for text in ("/kallelse 2026-12-10 14:00-13:00", "/kallelse 2026-12-10 14:00 5 min"):
        replies = await say(h, CHAIR, SG_CHAT, text)
        assert replies[-1].plain == length_error
    replies = await say(h, CHAIR, SG_CHAT, "/kallelse 2026-12-10 14:00 till 25 Rum")
    assert replies[-1].plain == sv(DATE_ERRORS["invalid_time"])
    assert meetings(h) == []
    await say(h, CHAIR, SG_CHAT, "/kallelse 2026-12-10 14:00-16:30 Stadshuset")
    (meeting,) = meetings(h)
    assert meeting.ends_at == datetime(2026, 12, 10, 16, 30, tzinfo=STOCKHOLM)
    assert meeting.place == "Stadshuset"
    # Moving keeps the length unless a new one is given.
    await say(h, CHAIR, SG_CHAT, "/flytta 2026-12-11 09:00")
    meeting = meetings(h)[0]
    assert meeting.ends_at - meeting.starts_at == timedelta(hours=2, minutes=30)
    await say(h, CHAIR, SG_CHAT, "/flytta 2026-12-11 09:00 45 min")
    meeting = meetings(h)[0]
    assert meeting.ends_at == datetime(2026, 12, 11, 9, 45, tzinfo=STOCKHOLM)
    assert meeting.place == "Stadshuset"


async def test_unlinked_chat_non_chair_and_anonymous(harness: Harness) -> None:
    h = harness
    h.fake.add_chat(LONELY_CHAT)
    for command in ("/kallelse 2026-12-10 14:00", "/punkt X", "/moten", "/stall_in", "/flytta 1"):
        replies = await say(h, CHAIR, LONELY_CHAT, command)
        assert "/koppla" in replies[-1].plain
    await setup_sg(h)
    replies = await say(h, STADSMISSION, SG_CHAT, "/kallelse 2026-12-10 14:00")
    assert replies[-1].plain == sv(
        "Only the chair of this body or the administrator can call a meeting."
    )
    await h.settle(h.fake.anonymous_admin_text(SG_CHAT, "/kallelse 2026-12-10 14:00"))
    assert meetings(h) == []
    replies = await say(h, ENGLISH, SG_CHAT, "/meetings")
    assert "Meetings of the Styrgrupp" in replies[-1].plain
    assert not h.fake.unexpected_violations


async def test_long_agenda_is_split_safely(harness: Harness) -> None:
    h = harness
    await setup_sg(h)
    preview = (await say(h, CHAIR, SG_CHAT, "/kallelse 2026-12-10 14:00 Stadshuset"))[-1]
    (meeting,) = meetings(h)
    long_text = "Fråga om <budget> & " + "å" * 300 + " 🙂" * 100
    for n in range(25):
        await say(h, STADSMISSION, SG_CHAT, f"/punkt {n:02d} {long_text}")
    assert len(agenda_rows(h, meeting.id)) == 9 + 25
    # The draft, shown again, stays one message: the titles are shortened there.
    await press(h, CHAIR, SG_CHAT, preview.message_id, f"ma:{meeting.id}:0:o")
    assert "34. " in preview.plain and preview.edits
    before = len(h.fake.sent)
    await press(h, CHAIR, SG_CHAT, preview.message_id, f"mp:{meeting.id}")
    parts = [m for m in h.fake.sent[before:] if m.method == "sendMessage"]
    assert len(parts) >= 3
    joined = "".join(m.plain for m in parts)
    for n in range(25):
        assert f"{n:02d} Fråga om <budget> & " + "å" * 300 in joined
    panel = parts[-1]
    assert panel.button_texts()[:3] == [sv(COMING), sv(NOT_COMING), sv(MAYBE)]
    assert all(not m.buttons() for m in parts[:-1])
    await press(h, CHAIR, SG_CHAT, panel.message_id, panel.button_data()[0])
    assert f"{sv(COMING)} (1): Agneta" in panel.plain
    assert meetings(h)[0].kallelse_message_id == panel.message_id
    # An item that is too long is refused with the limit.
    replies = await say(h, CITY, SG_CHAT, "/punkt " + "x" * 1001)
    assert "1000" in replies[-1].plain
    assert not h.fake.unexpected_violations


async def test_second_partnership_with_its_own_agreement_period(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2025, 11, 23, 9, 0, tzinfo=STOCKHOLM))
    await setup_sg(h, SM_CHAT, "SOF 2023/202")
    # 004 runs until 2026-06-30 at the latest.
    replies = await say(h, CHAIR, SM_CHAT, "/kallelse 2026-08-10 14:00")
    assert "2026-06-30" in replies[-1].plain and meetings(h) == []
    link = "https://meet.example/x?a=1&b=2"
    preview = (await say(h, CHAIR, SM_CHAT, f"/kallelse 2026-02-10 14:00 {link}"))[-1]
    (meeting,) = meetings(h)
    assert meeting.place == link
    await press(h, CHAIR, SM_CHAT, preview.message_id, f"mp:{meeting.id}")
    kallelse = next(m for m in h.fake.sent if "rv:" in "".join(m.button_data()))
    assert link in kallelse.plain
    assert sv("{body}, meeting {number}/{year}", body="Styrgrupp", number=1, year=2026) in (
        kallelse.plain
    )
    await press(h, CITY, SM_CHAT, kallelse.message_id, kallelse.button_data()[1])
    assert f"{sv(NOT_COMING)} (1): Cecilia" in kallelse.plain
    # A member who left is refused on an old button.
    with transaction(h.services.session_factory) as s:
        from storage.models import Membership, MembershipStatus

        b = body(h, "SOF 2023/202")
        person = people.get_person_by_telegram_id(s, CITY.id)
        assert person is not None and person.id is not None and b.id is not None
        membership = people.get_membership(s, b.id, person.id)
        assert isinstance(membership, Membership)
        membership.status = MembershipStatus.LEFT
        s.add(membership)
    answer = await press(h, CITY, SM_CHAT, kallelse.message_id, kallelse.button_data()[0])
    assert answer is not None and answer.get("show_alert")
    await press(h, CHAIR, SM_CHAT, kallelse.message_id, kallelse.button_data()[0])
    # Someone who left no longer counts.
    assert f"{sv(NOT_COMING)} (0)" in kallelse.plain
    assert f"{sv(COMING)} (1): Agneta" in kallelse.plain


def _seed(svc, *members: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """SOF 2025/144's styrgrupp with an administrator (9999) and confirmed members."""
    from storage.models import Administrator, Membership, MembershipStatus

    import_example(svc, "sof-2025-144.toml")
    with transaction(svc.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert p is not None and p.id is not None
        b = bodies.get_body(s, p.id, "styrgrupp")
        assert b is not None and b.id is not None
        s.add(Administrator(partnership_id=p.id, telegram_user_id=9999, source="cli"))
        party = bodies.parties_of(s, p.id)[0]
        for user_id in (9999, *members):
            person = people.upsert_person(
                s,
                telegram_user_id=user_id,
                first_name=f"U{user_id}",
                last_name=None,
                username=None,
                language_code="sv",
                now=svc.now(),
            )
            if user_id in members:
                s.add(
                    Membership(
                        body_id=b.id,
                        person_id=person.id,
                        party_id=party.id,
                        status=MembershipStatus.CONFIRMED,
                        requested_at=svc.now(),
                    )
                )
        return p.id, b.id


def _in_threads(count: int, work) -> list[object]:  # type: ignore[no-untyped-def]
    results: list[object] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results.append(work(index))
        except Refusal as refusal:
            results.append(refusal.message)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_chairs_calling_at_once_give_one_draft(services, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """Two threads: the body is locked (SQLite: BEGIN IMMEDIATE), so one draft is made."""
    _pid, body_id = _seed(services)

    def call(index: int) -> str:
        with transaction(services.session_factory) as s:
            b = s.get(Body, body_id)
            assert b is not None
            role = role_in_body(s, b, 9999, services.today(), is_chat_admin=False)
            service.call_meeting(
                s,
                body=b,
                role=role,
                starts_at=datetime(2026, 12, 10, 10 + index, 0, tzinfo=UTC),
                place=None,
                now=services.now(),
            )
        return "called"

    results = _in_threads(2, call)
    assert results.count("called") == 1
    assert any("already being prepared" in str(r) for r in results)
    with transaction(services.session_factory) as s:
        assert len(s.exec(select(Meeting)).all()) == 1
        # Exactly one standard agenda, not two interleaved.
        assert len(s.exec(select(AgendaItem)).all()) == 9


def test_concurrent_presses_give_one_rsvp(services, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    _pid, body_id = _seed(services, 8888)
    with transaction(services.session_factory) as s:
        b = s.get(Body, body_id)
        assert b is not None
        role = role_in_body(s, b, 9999, services.today(), is_chat_admin=False)
        meeting = service.call_meeting(
            s,
            body=b,
            role=role,
            starts_at=datetime(2026, 12, 10, 13, 0, tzinfo=UTC),
            place=None,
            now=services.now(),
        )
        assert meeting.id is not None
        service.publish(s, body=b, role=role, meeting_id=meeting.id, now=services.now())
        meeting_id = meeting.id

    def press_yes(_index: int) -> bool:
        with transaction(services.session_factory) as s:
            b = s.get(Body, body_id)
            assert b is not None
            role = role_in_body(s, b, 8888, services.today(), is_chat_admin=False)
            outcome = service.answer(
                s, body=b, role=role, meeting_id=meeting_id, choice="yes", now=services.now()
            )
        return outcome.changed

    results = _in_threads(4, press_yes)
    assert sorted(results) == [False, False, False, True]  # type: ignore[type-var]
    with transaction(services.session_factory) as s:
        assert len(s.exec(select(Rsvp)).all()) == 1
    # The administrator is not a member: refused, not counted.
    with transaction(services.session_factory) as s:
        b = s.get(Body, body_id)
        assert b is not None
        role = role_in_body(s, b, 9999, services.today(), is_chat_admin=False)
        try:
            service.answer(
                s, body=b, role=role, meeting_id=meeting_id, choice="no", now=services.now()
            )
        except Refusal:
            pass
        else:
            raise AssertionError("a non-member's answer was accepted")
