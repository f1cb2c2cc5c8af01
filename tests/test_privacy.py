"""Export of a partnership and erasure of a member's data (PRODUCT §8)."""

from __future__ import annotations

import io
import json
import zipfile

from sqlmodel import select

from services.partnerships import set_administrator
from storage.db import transaction
from storage.models import Membership, Person
from tests.conftest import Harness
from tests.fakebot import FakeChat
from tests.test_foundation_flow import ADMIN, CONVICTUS_A, SG_CHAT, STRANGER, link_sg, press, say


async def _member(h: Harness) -> None:
    await link_sg(h)
    request = (await say(h, CONVICTUS_A, SG_CHAT, "/jag Convictus"))[-1]
    await press(h, ADMIN, SG_CHAT, request.message_id, request.button_data()[0])


async def test_only_the_administrator_exports_and_the_zip_holds_the_partnership(
    harness: Harness,
) -> None:
    await _member(harness)
    replies = await say(harness, ADMIN, SG_CHAT, "/export")
    assert "administratör" in replies[-1].plain and not replies[-1].document_name
    with transaction(harness.services.session_factory) as s:
        set_administrator(s, "SOF 2025/144", ADMIN.id, add=True)
    # The administrator's private chat: the ZIP goes there, never to the group (issue 17).
    await say(harness, ADMIN, FakeChat.private(ADMIN), "/start")
    replies = await say(harness, ADMIN, SG_CHAT, "/export")
    assert not any(m.document_name for m in replies)
    document = harness.fake.sent[-1]
    assert document.chat_id == ADMIN.id
    assert document.document_name == "export-SOF-2025-144.zip"
    archive = zipfile.ZipFile(io.BytesIO(document.document_bytes or b""))
    data = json.loads(archive.read("partnership.json"))
    assert {p["org_number"] for p in data["parties"]} >= {"802012-1581", "802003-1954"}
    assert [p["first_name"] for p in data["people"]] == ["Agneta"]
    assert all("private_chat_id" not in p for p in data["people"])
    assert data["bodies"][0]["kind"] in ("styrgrupp", "samverkansgrupp")


async def test_a_member_erases_their_data_and_only_they_can_confirm(harness: Harness) -> None:
    await _member(harness)
    question = (await say(harness, CONVICTUS_A, SG_CHAT, "/glomma_mig"))[-1]
    (data,) = question.button_data()
    answer = await press(harness, STRANGER, SG_CHAT, question.message_id, data)
    assert answer is not None and answer.get("show_alert")
    with transaction(harness.services.session_factory) as s:
        agneta = s.exec(select(Person).where(Person.telegram_user_id == CONVICTUS_A.id)).one()
        assert not agneta.erased
    await press(harness, CONVICTUS_A, SG_CHAT, question.message_id, data)
    with transaction(harness.services.session_factory) as s:
        person = s.get(Person, agneta.id)
        assert person is not None and person.erased and person.username is None
        assert person.first_name != "Agneta"
        # Her Telegram id is gone too: the row keeps only a pseudonym.
        assert person.telegram_user_id == -(agneta.id or 0)
        assert s.exec(select(Membership)).one().status == "left"
    # Writing again does not bring the name back.
    listing = (await say(harness, CONVICTUS_A, SG_CHAT, "/ledamoter"))[-1].plain
    assert "Agneta" not in listing
