"""Data protection through the fake Bot API: exports only in private (recorded and listed),
the right of access, the privacy notice from the partnership file, and an export after an
erasure that holds nothing of the erased person."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from typing import Any

from sqlmodel import select

from services.partnerships import set_administrator
from storage.db import transaction
from storage.models import ExportRecord, Person
from storage.reminders import OutboxFile
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser
from tests.fakebot.models import BOT_USERNAME
from tests.privacy_scan import traces_in_json
from tests.test_foundation_flow import (
    ADMIN,
    CONVICTUS_A,
    CONVICTUS_B,
    SG_CHAT,
    STRANGER,
    link_sg,
    press,
    say,
)

CONTROLLER = "Socialnämnden i Stockholms stad"


def private(user: FakeUser) -> FakeChat:
    return FakeChat.private(user)


async def members(h: Harness) -> None:
    """The styrgrupp linked; Agneta and Bertil confirmed for Convictus; Åsa the administrator."""
    await link_sg(h)
    with transaction(h.services.session_factory) as s:
        set_administrator(s, "SOF 2025/144", ADMIN.id, add=True)
    for user in (CONVICTUS_A, CONVICTUS_B):
        request = next(m for m in await say(h, user, SG_CHAT, "/jag Convictus") if m.button_data())
        await press(h, ADMIN, SG_CHAT, request.message_id, request.button_data()[0])


def documents(h: Harness, chat_id: int) -> list[Any]:
    return [m for m in h.fake.sent if m.chat_id == chat_id and m.document_name]


def records(h: Harness) -> list[ExportRecord]:
    with transaction(h.services.session_factory) as s:
        return list(s.exec(select(ExportRecord).order_by(ExportRecord.id)).all())


def archive_json(message: Any) -> dict[str, Any]:
    archive = zipfile.ZipFile(io.BytesIO(message.document_bytes or b""))
    return json.loads(archive.read("partnership.json"))  # type: ignore[no-any-return]


async def test_an_export_asked_for_in_a_group_goes_to_the_administrators_private_chat(
    harness: Harness,
) -> None:
    h = harness
    await members(h)
    # A member is refused, and nothing is recorded.
    replies = await say(h, CONVICTUS_A, SG_CHAT, "/export")
    assert "administratör" in replies[-1].plain and records(h) == []

    # The administrator has never opened the private chat: the group gets a note and a deep
    # link, never the file; the export is recorded as waiting.
    replies = await say(h, ADMIN, SG_CHAT, "/export")
    assert documents(h, SG_CHAT.id) == [] and documents(h, ADMIN.id) == []
    note = replies[-1]
    assert "privat" in note.plain
    (button,) = note.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert button["url"] == f"https://t.me/{BOT_USERNAME}?start=priv_export"
    assert [r.status for r in records(h)] == ["waiting"]

    # The deep link: /start priv_export in private, and the ZIP follows there.
    await say(h, ADMIN, private(ADMIN), "/start priv_export")
    (zipped,) = documents(h, ADMIN.id)
    assert zipped.document_name == "export-SOF-2025-144.zip"
    data = archive_json(zipped)
    assert {p["first_name"] for p in data["people"]} == {"Agneta", "Bertil"}
    (record,) = records(h)
    assert record.status == "sent" and record.requested_in == "group"
    assert record.summary["sha256"] == hashlib.sha256(zipped.document_bytes or b"").hexdigest()
    assert record.summary["rows"]["people"] == 2 and record.sent_at is not None
    # The outbox does not keep a copy of the whole partnership once it is delivered.
    with transaction(h.services.session_factory) as s:
        assert s.exec(select(OutboxFile)).all() == []

    # Now that the private chat exists, a group /export is delivered at once, still in private.
    replies = await say(h, ADMIN, SG_CHAT, "/export")
    assert "privat" in replies[-1].plain and not replies[-1].reply_markup
    assert len(documents(h, ADMIN.id)) == 2 and documents(h, SG_CHAT.id) == []
    # In private, /export sends it there directly.
    await say(h, ADMIN, private(ADMIN), "/export")
    assert len(documents(h, ADMIN.id)) == 3
    assert [(r.requested_in, r.status) for r in records(h)] == [
        ("group", "sent"),
        ("group", "sent"),
        ("private", "sent"),
    ]
    # The administrator sees every export listed: when, who, where, what.
    listing = (await say(h, ADMIN, private(ADMIN), "/exportlogg"))[-1].plain
    assert listing.count("SOF 2025/144 av Åsa") == 3
    assert listing.count("i en grupp") == 2 and listing.count("skickad privat") == 3
    assert "kB" in listing
    # Nobody else sees it, and not in a group.
    assert (
        "administratör"
        in (await say(h, CONVICTUS_A, private(CONVICTUS_A), "/exportlogg"))[-1].plain
    )
    assert "privat" in (await say(h, ADMIN, SG_CHAT, "/exportlogg"))[-1].plain
    # A stale or foreign deep link changes nothing.
    replies = await say(h, CONVICTUS_A, private(CONVICTUS_A), "/start priv_export")
    assert documents(h, CONVICTUS_A.id) == [] and len(records(h)) == 3


async def test_a_member_gets_their_own_data_and_nobody_elses(harness: Harness) -> None:
    h = harness
    await members(h)
    # In the group, nothing personal is posted: a button to the private chat instead.
    replies = await say(h, CONVICTUS_A, SG_CHAT, "/mina_uppgifter")
    assert "privat" in replies[-1].plain and documents(h, SG_CHAT.id) == []
    (button,) = replies[-1].reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert button["url"].endswith("?start=priv_mydata")

    before = len(h.fake.sent)
    await say(h, CONVICTUS_A, private(CONVICTUS_A), "/start priv_mydata")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == CONVICTUS_A.id]
    summary = next(m for m in sent if m.text)
    assert "Agneta" in summary.plain and "Styrgrupp" in summary.plain
    assert "Convictus" in summary.plain and "bekräftad" in summary.plain
    (file,) = [m for m in sent if m.document_name]
    data = json.loads(file.document_bytes or b"")
    assert data["person"]["telegram_user_id"] == CONVICTUS_A.id
    assert data["person"]["username"] == "agneta_c"
    assert [m["status"] for m in data["memberships"]] == ["confirmed"]
    # Nothing of Bertil (the other member) nor of Åsa (who confirmed her).
    others = traces_in_json(
        data,
        names={"Bertil", "bertil_c", "Åsa", "asa_admin"},
        ids={CONVICTUS_B.id, ADMIN.id},
    )
    assert others == []
    # Once the private chat exists, asking in the group sends it there.
    before = len(h.fake.sent)
    replies = await say(h, CONVICTUS_A, SG_CHAT, "/mina_uppgifter")
    assert "skickat" in replies[-1].plain
    assert any(m.document_name for m in h.fake.sent[before:] if m.chat_id == CONVICTUS_A.id)
    # A stranger has only their name on record, and is told so.
    summary = (await say(h, STRANGER, private(STRANGER), "/mina_uppgifter"))[0].plain
    assert "Sven" in summary and "inte ledamot" in summary


async def test_the_privacy_notice_names_the_controller_and_is_shown_once_on_registration(
    harness: Harness,
) -> None:
    h = harness
    await link_sg(h)
    notice = "\n".join(m.plain for m in await say(h, STRANGER, SG_CHAT, "/integritet"))
    assert f"Personuppgiftsansvarig: {CONTROLLER}" in notice
    assert "6 månader" in notice and "/mina_uppgifter" in notice and "/glomma_mig" in notice
    assert "Socialförvaltningens registrator" in notice
    english = FakeUser(2099, "Emma", "emma_en", language_code="en")
    text = "\n".join(m.plain for m in await say(h, english, private(english), "/privacy"))
    assert f"Controller (personuppgiftsansvarig): {CONTROLLER}" in text and "/mydata" in text

    # Registering with /jag shows the notice once: in the group (no private chat yet) ...
    replies = await say(h, CONVICTUS_A, SG_CHAT, "/jag Convictus")
    assert any(CONTROLLER in m.plain and "/integritet" in m.plain for m in replies)
    replies = await say(h, CONVICTUS_A, SG_CHAT, "/jag Frälsningsarmén")
    assert not any(CONTROLLER in m.plain for m in replies)
    # ... and in private, whole, for someone who has opened the private chat.
    await say(h, CONVICTUS_B, private(CONVICTUS_B), "/start")
    before = len(h.fake.sent)
    replies = await say(h, CONVICTUS_B, SG_CHAT, "/jag Convictus")
    assert not any(CONTROLLER in m.plain for m in replies)
    in_private = [m for m in h.fake.sent[before:] if m.chat_id == CONVICTUS_B.id]
    assert any(CONTROLLER in m.plain for m in in_private)


async def test_an_export_after_an_erasure_holds_nothing_of_the_erased_person(
    harness: Harness,
) -> None:
    h = harness
    await members(h)
    await say(h, ADMIN, private(ADMIN), "/start")
    with transaction(h.services.session_factory) as s:
        bertil = s.exec(select(Person).where(Person.telegram_user_id == CONVICTUS_B.id)).one()
    question = (await say(h, CONVICTUS_B, SG_CHAT, "/glomma_mig"))[-1]
    await press(h, CONVICTUS_B, SG_CHAT, question.message_id, question.button_data()[0])
    await say(h, ADMIN, private(ADMIN), "/export")
    (zipped,) = documents(h, ADMIN.id)
    data = archive_json(zipped)
    traces = traces_in_json(data, names={"Bertil", "bertil_c"}, ids={CONVICTUS_B.id})
    assert traces == [], traces
    erased = next(p for p in data["people"] if p["id"] == bertil.id)
    assert erased["first_name"] == "Raderad ledamot" and erased["telegram_user_id"] < 0
    assert {p["first_name"] for p in data["people"]} == {"Agneta", "Raderad ledamot"}


async def test_an_administrator_who_blocked_the_bot_gets_the_export_when_back_and_logs_say_no_id(
    harness: Harness, caplog: Any
) -> None:
    h = harness
    await members(h)
    await say(h, ADMIN, private(ADMIN), "/start")
    h.fake.kick(ADMIN.id)  # the administrator blocked the bot
    with caplog.at_level(logging.INFO):
        replies = await say(h, ADMIN, SG_CHAT, "/export")
    assert documents(h, SG_CHAT.id) == [] and documents(h, ADMIN.id) == []
    assert "privat" in replies[-1].plain
    # The logs say a private chat refused, never whose.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "(private)" in logged and str(ADMIN.id) not in logged
    # Back: the deep link (or /start priv_export) delivers what was held back, once.
    h.fake.unkick(ADMIN.id)
    await say(h, ADMIN, private(ADMIN), "/start priv_export")
    (zipped,) = documents(h, ADMIN.id)
    assert zipped.document_name == "export-SOF-2025-144.zip"
    assert [r.status for r in records(h)] == ["sent"]


async def test_export_refusals_are_polite_and_valid_html(harness: Harness) -> None:
    """What the person typed is named back escaped (Telegram rejects a raw <…> in HTML), and a
    refusal records nothing."""
    h = harness
    await members(h)
    replies = await say(h, ADMIN, private(ADMIN), "/export <SOF 1/2> & co")
    assert replies[-1].plain == "Inget partnerskap har diarienumret <SOF 1/2> & co."
    replies = await say(h, CONVICTUS_A, private(CONVICTUS_A), "/export")
    assert replies[-1].plain == "Bara partnerskapets administratör kan exportera det."
    replies = await say(h, STRANGER, SG_CHAT, "/export")
    assert replies[-1].plain == "Bara partnerskapets administratör kan exportera det."
    assert records(h) == [] and documents(h, SG_CHAT.id) == []
