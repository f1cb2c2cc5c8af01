"""Erasure, complete: after /glomma_mig nothing identifying the member remains outside locked
minutes: not in the person row, reminders (their payloads hold names), draft minutes, agendas,
action items, audit details or export records. Locked minutes keep the name (public records)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from services.partnerships import set_administrator
from storage.db import transaction
from storage.models import ActionItem, AuditEntry, MinuteEntry, Person, ProtokollRecord
from storage.personal_data import CONFIDENTIAL_COLUMNS
from storage.reminders import Reminder
from tests.conftest import Harness
from tests.fakebot import FakeChat
from tests.privacy_scan import traces_in_database, traces_in_json
from tests.test_justering import JUSTERARE, buttons_of, close_with_draft
from tests.test_meetings_flow import ADMIN, CHAIR, SG_CHAT, call_and_publish, press, say
from tests.test_minutes_flow import meeting_harness, rows  # noqa: F401

BERTIL_NAMES = {"Bertil", "bertil_s"}
BERTIL_IDS = {JUSTERARE.id}


async def locked_then_second_meeting(h: Harness) -> None:
    """Meeting 1 held and locked with Bertil as justerare and action owner; meeting 2 held,
    its draft naming Bertil in a note and an action item, not yet approved."""
    await h.settle(h.fake.send_text(JUSTERARE, FakeChat.private(JUSTERARE), "/start"))
    panel, _note_id = await close_with_draft(h)
    approve, _change = buttons_of(panel)
    await press(h, CHAIR, SG_CHAT, panel.message_id, approve)
    await press(h, JUSTERARE, SG_CHAT, panel.message_id, approve)
    assert rows(h, ProtokollRecord)[-1].status == "final"

    h.clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=UTC))
    _preview, kallelse, _ics = await call_and_publish(h, "2027-01-14 14:00 Stadshuset")
    meeting_id = int(kallelse.button_data()[0].split(":")[1])
    await press(h, JUSTERARE, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:y")
    h.clock.set(datetime(2027, 1, 14, 13, 0, tzinfo=UTC))
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    await say(h, CHAIR, SG_CHAT, "/anteckning Bertil tar upp frågan om nattplatser")
    await say(h, CHAIR, SG_CHAT, "/uppgift @bertil_s 2027-02-10 Bertil ringer förvaltningen")
    await say(h, CHAIR, SG_CHAT, "/motesslut")


def bertil_traces(h: Harness, **kw: Any) -> list[str]:
    with transaction(h.services.session_factory) as s:
        return [str(t) for t in traces_in_database(s, names=BERTIL_NAMES, ids=BERTIL_IDS, **kw)]


async def erase_bertil(h: Harness) -> None:
    question = (await say(h, JUSTERARE, SG_CHAT, "/glomma_mig"))[-1]
    (data,) = question.button_data()
    await press(h, JUSTERARE, SG_CHAT, question.message_id, data)


async def test_erasure_leaves_the_name_only_in_locked_minutes(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    await locked_then_second_meeting(h)
    before = bertil_traces(h)
    # The data really is there before: person row, reminders, the draft, the second meeting's
    # lines, audit details.
    tables = {t.split("#")[0] for t in before}
    assert {"person", "reminder", "protokoll", "minuteentry", "actionitem"} <= tables, before
    with transaction(h.services.session_factory) as s:
        bertil = s.exec(select(Person).where(Person.telegram_user_id == JUSTERARE.id)).one()
        bertil_id = bertil.id
        assert s.exec(select(Reminder).where(Reminder.person_id == bertil_id)).all()

    await erase_bertil(h)

    assert bertil_traces(h) == []
    with transaction(h.services.session_factory) as s:
        person = s.get(Person, bertil_id)
        assert person is not None and person.erased and person.telegram_user_id < 0
        # Reminders that were only his are gone; the group's still name nobody.
        assert not s.exec(select(Reminder).where(Reminder.person_id == bertil_id)).all()
        # The locked minutes still name him: a public record that cannot change.
        final = s.exec(select(ProtokollRecord).where(ProtokollRecord.status == "final")).one()
        assert "Bertil" in str(final.content)
        locked_lines = s.exec(
            select(MinuteEntry).where(MinuteEntry.meeting_id == final.meeting_id)
        ).all()
        assert locked_lines  # untouched, and not counted as traces above
        # The unlocked meeting's lines and action item keep their content, without the name.
        items = s.exec(select(ActionItem).order_by(ActionItem.id)).all()
        assert items[-1].text == "Raderad ledamot ringer förvaltningen"
        assert items[-1].owner_person_id == bertil_id  # a pseudonymous reference
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "person.erased")).one()
        assert audit.detail == {"person_id": bertil_id, "reason": "request"}
    # Everything else about him in the database was found by the scan before: only the locked
    # minutes still hold his name.
    remaining = bertil_traces(h, skip_locked=False)
    assert remaining and all(
        t.startswith(("protokoll#", "minuteentry#", "decision#", "agendaitem#", "actionitem#"))
        for t in remaining
    ), remaining


async def test_an_export_after_erasure_names_the_person_only_in_locked_minutes(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    await locked_then_second_meeting(h)
    final_pdf = next(
        m
        for m in h.fake.sent
        if (m.document_name or "").endswith(".pdf") and "utkast" not in m.document_name
    )
    await erase_bertil(h)
    with transaction(h.services.session_factory) as s:
        set_administrator(s, "SOF 2025/144", ADMIN.id, add=True)
    await say(h, ADMIN, FakeChat.private(ADMIN), "/start")
    await say(h, ADMIN, SG_CHAT, "/export")
    (zipped,) = [m for m in h.fake.sent if m.chat_id == ADMIN.id and m.document_name]
    archive = zipfile.ZipFile(io.BytesIO(zipped.document_bytes or b""))
    data = json.loads(archive.read("partnership.json"))
    locked = {p["meeting_id"] for p in data["protokoll"] if p["status"] == "final"}
    outside = {
        key: [
            row
            for row in rows
            if not (key == "protokoll" and row.get("status") == "final")
            and not (key in LOCKED_WITH_MEETING and row.get("meeting_id") in locked)
        ]
        for key, rows in data.items()
        if isinstance(rows, list)
    }
    assert traces_in_json(outside, names=BERTIL_NAMES, ids=BERTIL_IDS) == []
    # The export is the partnership's whole record: every table that holds rows is in it.
    with transaction(h.services.session_factory) as s:
        assert unexported_tables(s, data) == []
    # The locked minutes are in it as the very PDF that was archived and posted when locked.
    (pdf_name,) = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert archive.read(pdf_name) == final_pdf.document_bytes


LOCKED_WITH_MEETING = {"minute_entries", "decisions", "agenda_items", "action_items", "votes"}


# Not the partnership's record: delivery and update bookkeeping, a form's open session, and
# the partnership row and people (exported as one object, and without private chat ids).
NOT_EXPORTED = {
    "inboundupdate",
    "processedupdate",
    "reminder",
    "outbox_file",
    "report_form_session",
    "partnership",
    "person",
}


def unexported_tables(session: Session, data: dict[str, Any]) -> list[str]:
    """Tables with rows whose columns match no list in the export (a new table's rows
    missing from `services.privacy.build_export`)."""
    exported = {frozenset(row) for rows in data.values() if isinstance(rows, list) for row in rows}
    confidential = {(model.__table__.name, column) for model, column in CONFIDENTIAL_COLUMNS}  # type: ignore[attr-defined]
    missing = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in NOT_EXPORTED:
            continue
        if session.execute(table.select().limit(1)).first() is None:
            continue
        columns = frozenset(
            c.name for c in table.columns if (table.name, c.name) not in confidential
        )
        if columns not in exported:
            missing.append(table.name)
    return missing
