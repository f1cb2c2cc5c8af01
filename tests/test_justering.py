"""Justering end to end: the chair and the justerare approve or request a change, new drafts,
locking with a SHA-256, refused changes (in the handler and directly in the database) with an
audit trail, the next meeting's follow-up and previous minutes, and amendments."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from governance import protokoll as doc
from services import minutes as minutes_service
from services.justering import verify_record
from storage.db import transaction
from storage.models import AuditEntry, Justering, MinuteEntry, MinuteRevision, ProtokollRecord
from tests.conftest import Harness
from tests.pdfcheck import pages_text
from tests.test_meetings_flow import (
    CHAIR,
    CITY,
    SG_CHAT,
    STADSMISSION,
    STRANGER,
    agenda_rows,
    call_and_publish,
    press,
    say,
    sv,
)
from tests.test_minutes_flow import meeting_harness, opened_meeting, rows  # noqa: F401

JUSTERARE = STADSMISSION  # Bertil


def refused_audits(h: Harness) -> list[AuditEntry]:
    with transaction(h.services.session_factory) as s:
        return list(
            s.exec(
                select(AuditEntry).where(AuditEntry.action == "protokoll.locked_change_refused")
            ).all()
        )


async def close_with_draft(h: Harness) -> tuple[Any, int]:
    """A held meeting with a note, two decisions and an action item; returns the justering
    message and the id of the note's message."""
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    await h.settle(h.fake.send_text(JUSTERARE, SG_CHAT, "/anteckning Mötet öppnades"))
    note_id = max(key[1] for key in h.fake.api.reactions if key[0] == SG_CHAT.id)
    for _step in range(6):
        await say(h, CHAIR, SG_CHAT, "/nasta")
    await say(h, CHAIR, SG_CHAT, "/beslut Rapporten godkänns")
    await say(h, CHAIR, SG_CHAT, "/beslut [mindre revidering Convictus] Convictus tar över.")
    await say(h, CHAIR, SG_CHAT, "/uppgift @bertil_s 2027-01-10 Ta fram underlag")
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    return sent[-1], note_id


def buttons_of(message: Any) -> tuple[str, str]:
    approve, change = message.button_data()
    assert approve.endswith(":a") and change.endswith(":c")
    return approve, change


async def test_justering_lock_refused_changes_next_meeting_and_amendment(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    panel, note_id = await close_with_draft(h)
    approve, change = buttons_of(panel)

    # Only the chair and the justerare can press; a member and a stranger are refused.
    for user in (STRANGER, CITY):
        answer = await press(h, user, SG_CHAT, panel.message_id, approve)
        assert answer is not None and answer.get("show_alert")
    assert rows(h, Justering) == []
    # Tampered data: a protokoll that does not exist, an unknown verdict.
    for data in ("js:9999:a", f"{approve[:-1]}x", "js:x:a"):
        answer = await press(h, CHAIR, SG_CHAT, panel.message_id, data, check=False)
        assert answer is not None and answer.get("show_alert")

    # The justerare asks for a change and gives the reason as a reply to the bot.
    before = len(h.fake.sent)
    await press(h, JUSTERARE, SG_CHAT, panel.message_id, change)
    question = h.fake.sent[before]
    assert "Bertil" in question.plain
    await h.settle(
        h.fake.send_text(
            JUSTERARE, SG_CHAT, "Tiden ska vara 14.05", reply_to_message_id=question.message_id
        )
    )
    verdicts = rows(h, Justering)
    assert [(j.role, j.verdict, j.reason) for j in verdicts] == [
        ("justerare", "change", "Tiden ska vara 14.05")
    ]
    # The author corrects the line; the chair makes a new draft; the old buttons are stale.
    await h.settle(
        h.fake.send_text(
            JUSTERARE, SG_CHAT, "/andra Mötet öppnades kl. 14.05", reply_to_message_id=note_id
        )
    )
    replies = await say(h, CITY, SG_CHAT, "/utkast")
    assert len(rows(h, ProtokollRecord)) == 1
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/utkast")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    assert any(m.document_name == "protokoll-SG-mote-1-2026-utkast-v2.pdf" for m in sent)
    assert any("14.05" in m.plain for m in sent if m.text)
    panel2 = sent[-1]
    approve2, _change2 = buttons_of(panel2)
    answer = await press(h, CHAIR, SG_CHAT, panel.message_id, approve)
    assert answer is not None and answer.get("show_alert")  # version 1 was replaced
    replies = await say(h, CHAIR, SG_CHAT, "/utkast")  # nothing changed since version 2
    assert "2" in replies[-1].plain and len(rows(h, ProtokollRecord)) == 2

    # Both approve version 2: locked, final PDF posted with the checksum.
    answer = await press(h, CHAIR, SG_CHAT, panel2.message_id, approve2)
    assert answer is not None and not answer.get("show_alert")
    assert rows(h, ProtokollRecord)[-1].status == "draft"
    before = len(h.fake.sent)
    await press(h, JUSTERARE, SG_CHAT, panel2.message_id, approve2)
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    final = rows(h, ProtokollRecord)[-1]
    assert final.status == "final" and final.locked_at is not None
    assert any(final.content_hash in m.plain for m in sent if m.text)
    final_pdf, final_docx = [m for m in sent if m.document_name]
    assert final_pdf.document_name == "protokoll-SG-mote-1-2026.pdf"
    assert final_pdf.document_bytes and final_pdf.document_bytes.startswith(b"%PDF")
    assert final_docx.document_name == "protokoll-SG-mote-1-2026.docx"
    assert "SG möte 1/2026" in final_pdf.plain and "Word" in final_docx.plain
    printed = "".join(pages_text(final_pdf.document_bytes))
    assert "Justerat digitalt 2026-12-" in printed and "(justerare) och" in printed
    assert f"SHA-256: {final.content_hash}" in printed and "Version: 2" in printed
    assert panel2.reply_markup is None or not panel2.button_data()  # buttons gone
    # The hash is what both approved, and anyone can recompute it from the stored content.
    approvals = [j for j in rows(h, Justering) if j.protokoll_id == final.id]
    assert {(j.role, j.verdict) for j in approvals} == {
        ("chair", "approve"),
        ("justerare", "approve"),
    }
    assert all(j.content_hash == final.content_hash for j in approvals)
    content = dict(final.content)
    assert content["status"] == "final" and content["locked_hash"] == final.content_hash
    hashed = {k: v for k, v in content.items() if k not in ("status", "locked_hash", "justering")}
    canonical = json.dumps(hashed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(canonical.encode()).hexdigest() == final.content_hash
    assert doc.verify(doc.from_canonical_json(json.dumps(content))) and verify_record(final)

    # After the lock: a correction is refused below the handler, and the attempt audited.
    await h.settle(
        h.fake.send_text(JUSTERARE, SG_CHAT, "/andra Något annat", reply_to_message_id=note_id)
    )
    assert h.fake.sent[-1].plain == sv(
        "These minutes are approved and locked; they cannot be changed. The chair can add an amendment with /tillagg."
    )
    assert len(refused_audits(h)) == 1
    assert refused_audits(h)[0].detail["attempt"] == "minutes.correct"
    entries = rows(h, MinuteEntry)
    assert entries[0].text == "Mötet öppnades kl. 14.05"
    # Direct writes to the database are refused by its triggers, whatever code runs above.
    with pytest.raises(DBAPIError), transaction(h.services.session_factory) as s:
        s.execute(text("UPDATE protokoll SET content_hash = 'x' WHERE id = :id"), {"id": final.id})
    with pytest.raises(DBAPIError), transaction(h.services.session_factory) as s:
        s.execute(text("UPDATE minuteentry SET text = 'x' WHERE id = :id"), {"id": entries[0].id})
    with pytest.raises(DBAPIError), transaction(h.services.session_factory) as s:
        s.execute(text("DELETE FROM protokoll WHERE id = :id"), {"id": final.id})
    # The same write through the service guard is refused and audited.
    with pytest.raises(minutes_service.LockedRefusal):
        minutes_service.guarded(
            h.services.session_factory,
            partnership_id=None,
            actor_user_id=None,
            action="test.direct_update",
            detail={"protokoll_id": final.id},
            now=h.services.now(),
            work=lambda s: s.execute(
                text("UPDATE protokoll SET content_hash = 'x' WHERE id = :id"), {"id": final.id}
            ),
        )
    assert [a.detail["attempt"] for a in refused_audits(h)] == [
        "minutes.correct",
        "test.direct_update",
    ]
    assert rows(h, ProtokollRecord)[-1].content_hash == final.content_hash

    # The next meeting: the previous minutes are approved (with their checksum) and the open
    # action item is under follow-up.
    h.clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=UTC))
    _preview, kallelse, _invitation = await call_and_publish(h, "2027-01-14 14:00 Stadshuset")
    # The kallelse itself lists the open action item under follow-up.
    assert "Ta fram underlag" in kallelse.plain and "2027-01-10" in kallelse.plain
    h.clock.set(datetime(2027, 1, 14, 13, 0, tzinfo=UTC))
    (panel,) = await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    assert "möte 1/2027 pågår" in panel.plain
    # The meeting starts at the follow-up (an action item is open), which the panel lists.
    assert "§ 5 Uppföljning av öppna uppgifter" in panel.plain
    assert "Ta fram underlag" in panel.plain and "2027-01-10" in panel.plain
    # The previous minutes are a paragraph the bot writes itself; the panel's list still
    # reaches it, and it states that they are approved, with their checksum.
    meeting_id = int(panel.button_data()[0].split(":")[1])
    previous = next(
        i.id for i in agenda_rows(h, meeting_id) if i.standard_key == "previous_minutes"
    )
    await press(h, CHAIR, SG_CHAT, panel.message_id, f"pn:{meeting_id}:m:items")
    answer = await press(h, CHAIR, SG_CHAT, panel.message_id, f"pn:{meeting_id}:g:{previous}")
    assert answer is not None and answer["text"].startswith("§ 4")
    assert "§ 4 Föregående mötesprotokoll" in panel.plain and final.content_hash in panel.plain
    replies = await say(h, CHAIR, SG_CHAT, "/nasta")
    assert replies[-1].plain.startswith("§ 5")
    assert "Ta fram underlag" in replies[-1].plain and "2027-01-10" in replies[-1].plain

    # An amendment to the approved minutes is a new version linked to the original, which
    # stays as it was.
    replies = await say(h, JUSTERARE, SG_CHAT, "/tillagg Något")
    assert len(rows(h, ProtokollRecord)) == 2
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    # (The second meeting's draft is version 1 of that meeting.)
    records = rows(h, ProtokollRecord)
    assert len(records) == 3
    amended_before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/tillagg Beslut SG 2026:2 gäller från 1 februari.")
    records = rows(h, ProtokollRecord)
    amendment = records[-1]
    assert amendment.amendment_of_id == final.id and amendment.status == "draft"
    assert amendment.content["amendment_of"] == final.content_hash
    assert rows(h, ProtokollRecord)[1].content == final.content  # the original is untouched
    sent = [m for m in h.fake.sent[amended_before:] if m.chat_id == SG_CHAT.id]
    assert any("gäller från 1 februari" in m.plain for m in sent if m.text)


def test_locked_minutes_refused_and_audited_on_both_databases(database_url: str) -> None:
    """The triggers refuse a change to locked minutes on SQLite and PostgreSQL alike; the
    service rolls back, audits the attempt in a new transaction, and refuses."""
    from bot.app import make_services
    from services.justering import justera
    from services.roles import role_in_body
    from storage import bodies, people
    from storage.models import ChairTerm, Meeting, Membership, Person
    from tests.conftest import FakeClock, import_example, make_settings

    clock = FakeClock(datetime(2026, 12, 10, 15, 0, tzinfo=UTC))
    svc = make_services(make_settings(database_url), clock=clock)
    try:
        import_example(svc, "sof-2025-144.toml")
        now = clock()
        with transaction(svc.session_factory) as s:
            partnership = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
            assert partnership is not None and partnership.id is not None
            body = bodies.get_body(s, partnership.id, "styrgrupp")
            assert body is not None and body.id is not None
            parties = bodies.parties_of(s, partnership.id)
            persons = []
            for number, party in enumerate(parties[:2], start=1):
                person = Person(
                    telegram_user_id=9000 + number, first_name=f"P{number}", created_at=now
                )
                s.add(person)
                s.flush()
                s.add(
                    Membership(
                        body_id=body.id,
                        person_id=person.id,
                        party_id=party.id,
                        status="confirmed",
                        requested_at=now,
                    )
                )
                persons.append(person)
            s.add(
                ChairTerm(
                    body_id=body.id, person_id=persons[0].id, starts_on=now.date(), created_at=now
                )
            )
            meeting = Meeting(
                body_id=body.id,
                uid="test@iop",
                status="published",
                starts_at=now,
                ends_at=now,
                year=2026,
                number=1,
                opened_at=now,
                closed_at=now,
                justerare_person_ids=[persons[1].id],
                created_at=now,
                updated_at=now,
            )
            s.add(meeting)
            s.flush()
            entry = MinuteEntry(
                meeting_id=meeting.id,
                kind="note",
                text="Rad",
                author_person_id=persons[0].id,
                created_at=now,
                updated_at=now,
            )
            s.add(entry)
            s.flush()
            names = minutes_service.Names(
                item_title=lambda i: i.title, person=lambda p: p.first_name
            )
            from services.justering import create_draft

            record = create_draft(s, meeting=meeting, names=names, now=now)
            ids = (body.id, record.id, entry.id, [p.telegram_user_id for p in persons])
        body_id, record_id, entry_id, users = ids
        for user in users:
            with transaction(svc.session_factory) as s:
                body = s.get(type(body), body_id)
                assert body is not None
                role = role_in_body(s, body, user, now.date(), is_chat_admin=False)
                justera(s, body=body, role=role, protokoll_id=record_id, approve=True, now=now)
        with transaction(svc.session_factory) as s:
            locked = s.get(ProtokollRecord, record_id)
            assert locked is not None and locked.status == "final" and verify_record(locked)
            body = s.get(type(body), body_id)
            chair_role = role_in_body(s, body, users[0], now.date(), is_chat_admin=False)
            assert chair_role.is_chair and people.current_chair(s, body_id, now.date())
        with pytest.raises(minutes_service.LockedRefusal):
            minutes_service.correct_entry(
                svc.session_factory,
                body=body,
                role=chair_role,
                entry_id=entry_id,
                new_text="Ändrad",
                now=now,
                today=now.date(),
            )
        with pytest.raises(DBAPIError), transaction(svc.session_factory) as s:
            s.execute(
                text("UPDATE protokoll SET status = 'draft' WHERE id = :id"), {"id": record_id}
            )
        with transaction(svc.session_factory) as s:
            assert s.get(MinuteEntry, entry_id).text == "Rad"  # type: ignore[union-attr]
            assert s.exec(select(MinuteRevision)).all() == []
            audits = s.exec(
                select(AuditEntry).where(AuditEntry.action == "protokoll.locked_change_refused")
            ).all()
            assert [a.detail["entry_id"] for a in audits] == [entry_id]
    finally:
        svc.engine.dispose()
