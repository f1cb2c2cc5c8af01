"""What the protokoll says about people and the meeting: formal names (/namn), who signs, the
written standard paragraphs, every party's attendance, the meeting's notation and the justering
deadline – through the real Application and the fake Telegram server."""

from __future__ import annotations

from sqlmodel import select

from services import privacy
from storage.db import transaction
from storage.models import MinuteEntry, Person
from tests.conftest import Harness
from tests.fakebot import FakeChat
from tests.test_meetings_flow import CHAIR, CITY, SG_CHAT, STADSMISSION, press, say, sv
from tests.test_minutes_flow import meeting_harness, opened_meeting, rows  # noqa: F401

STEFAN = "Ştefan Łukasiewicz-Nguyễn"


def person(h: Harness, telegram_user_id: int) -> Person:
    with transaction(h.services.session_factory) as s:
        found = s.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).one()
        s.expunge(found)
        return found


def private(user) -> FakeChat:  # type: ignore[no-untyped-def]
    return FakeChat(user.id, "private", user.first_name)


async def draft_text(h: Harness) -> str:
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    return "\n".join(m.plain for m in sent if m.text and not m.document_name)


async def test_formal_names_in_the_protokoll_and_nobody_signs_twice(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    await opened_meeting(h)

    # In private: the name and the title; bad input is refused politely, nothing changed.
    chat = private(STADSMISSION)
    replies = await say(h, STADSMISSION, chat, "/namn")
    assert "Bertil" in replies[-1].plain and "/namn" in replies[-1].plain
    replies = await say(h, STADSMISSION, chat, "/namn Bertil")
    assert replies[-1].plain == sv(
        "Write your first and last name, and your title after a comma if you like: "
        "/namn Anna Andersson, enhetschef"
    )
    replies = await say(h, STADSMISSION, chat, f"/namn {STEFAN}, samordnare")
    assert f"{STEFAN}, samordnare" in replies[-1].plain
    assert person(h, STADSMISSION.id).formal_name == STEFAN
    assert person(h, STADSMISSION.id).formal_title == "samordnare"
    # The personnummer guard applies: nothing stored.
    await say(h, STADSMISSION, chat, "/namn Bertil Berg, 19811218-9876")
    assert person(h, STADSMISSION.id).formal_name == STEFAN
    # In the group, and "-" goes back to the Telegram name.
    await say(h, CITY, SG_CHAT, "/namn Cecilia Ålund")
    assert person(h, CITY.id).formal_name == "Cecilia Ålund"
    await say(h, CHAIR, SG_CHAT, "/namn Agneta Öberg, verksamhetschef")
    await say(h, CHAIR, SG_CHAT, "/ledamoter")
    members = h.fake.sent[-1].plain
    assert f"{STEFAN}, samordnare" in members and "Agneta Öberg, verksamhetschef" in members

    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    text = await draft_text(h)
    # Attendance with titles; the justerare by name; the chair, who took the minutes (the
    # styrgrupp's duty is the chair's), signs once.
    assert f"{STEFAN}, samordnare" in text
    assert f"Justerare: {STEFAN}" in text
    assert "Ordförande: Agneta Öberg" in text and "Protokollförare: Agneta Öberg" in text
    assert "Sekreterare" not in text

    # /glomma_mig erases the name and the title with the rest.
    with transaction(h.services.session_factory) as s:
        row = s.exec(select(Person).where(Person.telegram_user_id == CITY.id)).one()
        privacy.erase(s, row, now=h.clock(), reason="request")
        assert row.formal_name is None and row.formal_title is None


def test_a_formal_name_is_parsed_and_scrubbed_on_erasure() -> None:
    from governance.privacy import Identity, scrub_text
    from services.errors import Refusal
    from services.people import parse_formal_name

    assert parse_formal_name(f"  {STEFAN} ,  samordnare ").name == STEFAN
    assert parse_formal_name("Anna-Lena O'Brien").title is None
    for bad in ("Bo", "Bo 12", "@bo Berg", "Bo Berg" + "x" * 90):
        try:
            parse_formal_name(bad)
        except Refusal:
            continue
        raise AssertionError(bad)
    who = Identity("Bertil", None, "bertil_s", frozenset({3003}), formal_name=STEFAN)
    assert scrub_text(f"Enligt {STEFAN} och Łukasiewicz-Nguyễn.", who) == (
        "Enligt Raderad ledamot och Raderad ledamot."
    )


async def test_the_bot_writes_the_standard_paragraphs_and_they_can_be_corrected(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    await say(h, CHAIR, SG_CHAT, "/anteckning Rapporten från Vårberg")
    h.clock.advance(minutes=62)
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    written = next(m for m in sent if m.plain.startswith(sv("I wrote the standard paragraphs:")))
    text = "\n".join(m.plain for m in sent if m.text and not m.document_name)
    for line in (
        "Ordföranden förklarade mötet öppnat.",
        "Till justerare valdes Bertil.",
        "Dagordningen godkändes.",
        "Det finns inget föregående protokoll.",
        "Ordföranden förklarade mötet avslutat kl. 15.02.",
        "Inga övriga frågor anmäldes.",
        "Inga frågor hade lyfts från samverkansgruppen.",
    ):
        assert line in written.plain and line in text, line
    # Each under its own §, in the agenda's order.
    assert text.index("§ 1 Mötets öppnande\nOrdföranden förklarade mötet öppnat.") > 0
    assert text.index("Till justerare valdes") < text.index("Dagordningen godkändes.")

    # Corrected like any recorded line: by its number, or struck; only by the chair.
    closing = next(e for e in rows(h, MinuteEntry) if "avslutat" in e.text)
    replies = await say(h, STADSMISSION, SG_CHAT, f"/andra #{closing.id} Fel")
    assert replies[-1].plain == sv("Only the author of the line or the chair can correct it.")
    await say(
        h, CHAIR, SG_CHAT, f"/andra #{closing.id} Ordföranden förklarade mötet avslutat kl. 15.05."
    )
    agenda = next(e for e in rows(h, MinuteEntry) if e.text == "Dagordningen godkändes.")
    await say(h, CHAIR, SG_CHAT, f"/stryk #{agenda.id}")
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/utkast")
    text = "\n".join(
        m.plain for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id and not m.document_name
    )
    assert "avslutat kl. 15.05." in text and "Dagordningen godkändes." not in text


async def test_every_party_the_beslutforhet_and_an_absent_justerare(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    meeting = await opened_meeting(h)  # Agneta (Convictus) and Bertil come, Cecilia does not
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")

    # The justerare marked absent: a warning, and the choice of another by buttons.
    attendance = (await say(h, CHAIR, SG_CHAT, "/narvaro"))[-1]
    bertil = next(
        d
        for d, label in zip(attendance.button_data(), attendance.button_texts(), strict=True)
        if "Bertil" in label
    )
    before = len(h.fake.sent)
    await press(h, CHAIR, SG_CHAT, attendance.message_id, bertil)
    warning = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id][-1]
    assert "⚠ Bertil är vald till justerare men markerad som frånvarande" in warning.plain
    assert any(d.startswith(f"mj:{meeting.id}:") for d in warning.button_data())
    # Closing waits for the choice: nothing is closed.
    replies = await say(h, CHAIR, SG_CHAT, "/motesslut")
    assert "markerad som frånvarande" in replies[-1].plain and replies[-1].button_data()
    assert rows(h, MinuteEntry) == []
    # Bertil came after all.
    await press(h, CHAIR, SG_CHAT, attendance.message_id, bertil)

    text = await draft_text(h)
    # Every party: present, absent, or not represented (no registered member in the body).
    present = text[text.index("Närvarande") : text.index("Frånvarande")]
    absent = text[text.index("Frånvarande") :].split("\n\n")[0]
    assert "Convictus: Agneta" in present and "Stockholms Stadsmission: Bertil" in present
    assert "Stockholms stad, Socialförvaltningen: Cecilia" in absent
    assert "Frälsningsarmén: ej representerad" in absent
    assert "Ny Gemenskap: ej representerad" in absent
    # The beslutförhet line from the file: 001 sets no quorum, so how many parties came.
    assert "2 av 5 parter var närvarande (avtalet anger inget krav för beslutförhet)." in text


async def test_one_notation_the_protokoll_state_and_the_justering_deadline(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    from datetime import UTC, datetime

    from storage.models import ProtokollRecord
    from storage.reminders import Reminder
    from tests.test_meetings_flow import call_and_publish

    h = meeting_harness
    meeting = await opened_meeting(h)  # 10 december, 14.00
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    text = "\n".join(m.plain for m in sent if m.text and not m.document_name)
    # One notation for the meeting, distinct from decision numbers ("SG 2026:1").
    assert "Beteckning: SG möte 1/2026" in text and "Sammanträde:" not in text
    assert any(m.document_name == "protokoll-SG-mote-1-2026-utkast-v1.pdf" for m in sent)
    draft = sent[-1]

    # The justering deadline (14 days in the file): the chair and the justerare are reminded
    # two days before it, on it, and daily after.
    source = f"justering:{meeting.id}"
    pending = [r for r in rows(h, Reminder) if r.source == source and r.state == "pending"]
    assert {r.payload["role"] for r in pending} == {"chair", "justerare"}
    assert min(r.due_at for r in pending) == datetime(2026, 12, 22, 8, 0, tzinfo=UTC)
    assert all(r.payload["due"] == "2026-12-24" for r in pending)

    # /moten: the held meeting is past, with its protokoll's state; overdue after the deadline.
    listing = (await say(h, CITY, SG_CHAT, "/moten"))[-1].plain
    past = listing[listing.index("Tidigare") :]
    assert "möte 1/2026" in past and "justeras senast 24 december" in past
    h.clock.set(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))
    listing = (await say(h, CITY, SG_CHAT, "/moten"))[-1].plain
    assert "⚠ protokollet är inte justerat, senast 24 december" in listing

    # The next kallelse states the previous protokoll: not yet justerat …
    _preview, kallelse, _ics = await call_and_publish(h, "2027-01-14 14:00 Stadshuset")
    assert "Protokoll SG möte 1/2026 från den 10 december: ännu inte justerat." in kallelse.plain

    # … and once both approved, the reminders stop and /moten says when, with the hash.
    approve = next(d for d in draft.button_data() if d.endswith(":a"))
    await press(h, CHAIR, SG_CHAT, draft.message_id, approve)
    left = [r for r in rows(h, Reminder) if r.source == source and r.state == "pending"]
    assert {r.payload["role"] for r in left} == {"justerare"}
    await press(h, STADSMISSION, SG_CHAT, draft.message_id, approve)
    assert not [r for r in rows(h, Reminder) if r.source == source and r.state == "pending"]
    final = rows(h, ProtokollRecord)[-1]
    assert final.status == "final"
    # The published kallelse follows: the previous protokoll is justerat now.
    assert (
        f"Protokoll SG möte 1/2026 från den 10 december: justerat den 28 december "
        f"({final.content_hash[:8]})." in kallelse.plain
    )
    listing = (await say(h, CITY, SG_CHAT, "/moten"))[-1].plain
    assert f"protokollet justerat 28 december ({final.content_hash[:8]})" in listing


def test_the_justering_reminder_reads_right() -> None:
    from views.justering_reminders import render_justering

    payload = {
        "role": "justerare",
        "person": STEFAN,
        "person_user_id": 3003,
        "private": False,
        "meeting": "SG möte 1/2026",
        "body_name": "Styrgrupp",
        "diarienummer": "SOF 2025/144",
        "due": "2026-12-24",
        "overdue": False,
    }
    text = render_justering(payload, "sv", False)
    assert "🖋 <b>Justering</b> · SOF 2025/144 · Styrgrupp" in text
    assert (
        f'<a href="tg://user?id=3003">{STEFAN}</a>, justera protokollet från SG möte 1/2026' in text
    )
    assert "senast 24 december 2026" in text and "som justerare" in text
    late = render_justering({**payload, "overdue": True, "private": True}, "sv", False)
    assert "Justeringen är försenad" in late and "skulle ha justerats senast" in late
    assert "tg://user" not in late
