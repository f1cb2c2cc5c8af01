"""Documents on agenda items (handlingar), end to end through the fake Bot API: attached as a
caption in reply to the kallelse and as a reply to a document, listed under their items in the
kallelse, in the protokoll ("Bilaga 1 …") and in the export (fetched with getFile); bad files
refused; the chair removes one."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from sqlmodel import select

from storage import bodies
from storage.attachments import Attachment
from storage.db import transaction
from storage.models import Administrator
from tests.conftest import Harness
from tests.fakebot import FakeChat
from tests.fakebot.models import SentMessage
from tests.test_meetings_flow import (
    ADMIN,
    CHAIR,
    CITY,
    SG_CHAT,
    STADSMISSION,
    STRANGER,
    call_and_publish,
    harness,  # noqa: F401
    loose_group_limit,  # noqa: F401
    press,
    say,
    setup_sg,
)

PDF = b"%PDF-1.4\n% a budget\n" + b"x" * 3000 + b"\n%%EOF\n"
DOCX = b"PK\x03\x04 a Word document" + b"y" * 2000


@pytest_asyncio.fixture
async def h(harness: Harness) -> AsyncIterator[Harness]:  # noqa: F811
    yield harness


async def send_file(  # type: ignore[no-untyped-def]
    h: Harness, user, name: str, data: bytes, *, caption=None, reply_to=None, mime=None, size=None
) -> list[SentMessage]:
    before = len(h.fake.sent)
    await h.settle(
        h.fake.send_document(
            user,
            SG_CHAT,
            name,
            data,
            mime_type=mime,
            caption=caption,
            size=size,
            reply_to_message_id=reply_to,
        )
    )
    return [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]


def attachments(h: Harness) -> list[Attachment]:
    with transaction(h.services.session_factory) as s:
        return list(s.exec(select(Attachment).order_by(Attachment.id)).all())  # type: ignore[arg-type]


async def test_documents_on_items_in_the_kallelse_the_protokoll_and_the_export(h: Harness) -> None:
    await setup_sg(h)
    _preview, kallelse, _ics = await call_and_publish(h)

    # A document sent in reply to the kallelse, with "/bilaga 7" as its caption.
    replies = await send_file(
        h, STADSMISSION, "Budget 2027.pdf", PDF, caption="/bilaga 7", reply_to=kallelse.message_id,
        mime="application/pdf",
    )  # fmt: skip
    ack = replies[-1]
    assert "Bilaga 1: Budget 2027.pdf (3 kB) är bifogad till punkt 7 Rapporter." in ack.plain
    assert "📎 Bilaga 1: Budget 2027.pdf (3 kB)" in kallelse.plain  # the kallelse, edited

    # A document the bot never saw (privacy mode), then "/bilaga" as a reply to it: the item
    # is asked with buttons; the question answers the document, so the press finds the file.
    unseen = h.fake.send_document(CITY, SG_CHAT, "Lokaler.docx", DOCX)  # no caption: not seen
    assert unseen in [u for u, _why in h.fake.dropped_updates]
    question = (await say_reply(h, CITY, "/bilaga", unseen["message"]["message_id"]))[-1]
    assert question.plain == "Till vilken punkt hör handlingen?"
    choice = next(
        d
        for t, d in zip(question.button_texts(), question.button_data(), strict=True)
        if t.startswith("8 ")
    )
    await press(h, CITY, SG_CHAT, question.message_id, choice)
    assert "Bilaga 2: Lokaler.docx (2 kB) är bifogad till punkt 8 Övriga frågor." in question.plain
    assert "📎 Bilaga 2: Lokaler.docx" in kallelse.plain

    # Refused, with nothing stored: a file type, a size, a personnummer in the name, a stranger,
    # an item that is not there, the same file twice.
    refused = [
        await send_file(h, CITY, "virus.exe", b"MZ", caption="/bilaga 7", reply_to=kallelse.message_id),
        await send_file(h, CITY, "Stor.pdf", PDF, caption="/bilaga 7", reply_to=kallelse.message_id, size=30 * 1024 * 1024),
        await send_file(h, CITY, "Utredning 19811218-9876.pdf", PDF, caption="/bilaga 7", reply_to=kallelse.message_id),
        await send_file(h, STRANGER, "Min.pdf", PDF, caption="/bilaga 7", reply_to=kallelse.message_id),
        await send_file(h, CITY, "Fel.pdf", PDF, caption="/bilaga 42", reply_to=kallelse.message_id),
    ]  # fmt: skip
    texts = [r[-1].plain for r in refused]
    assert texts[0] == "Bifoga PDF-, DOCX-, XLSX- eller ODT-filer, eller bilder."
    assert texts[1] == "Filen är 30,0 MB; handlingar på högst 20 MB kan bifogas."
    assert "personnummer" in texts[2]
    assert texts[3] == "Bara ledamöter kan bifoga handlingar. Skriv /jag först."
    assert texts[4] == "Det finns ingen punkt 42 på den dagordningen."
    assert len(attachments(h)) == 2

    # The chair removes one (a member cannot); its number stays taken.
    extra = (
        await send_file(h, CITY, "Utkast.pdf", PDF + b"2", caption="/bilaga 7", reply_to=kallelse.message_id)
    )[-1]  # fmt: skip
    assert "Bilaga 3" in extra.plain
    remove = extra.button_data()[0]
    answer = await press(h, CITY, SG_CHAT, extra.message_id, remove)
    assert answer is not None and answer.get("show_alert")
    await press(h, CHAIR, SG_CHAT, extra.message_id, remove)
    assert "Bilaga 3: Utkast.pdf" in extra.plain and "har tagits bort" in extra.plain
    assert "Utkast.pdf" not in kallelse.plain
    assert [a.removed_at is not None for a in attachments(h)] == [False, False, True]

    # The meeting: the protokoll lists the documents under their paragraphs.
    h.clock.set(datetime(2026, 12, 10, 13, 0, tzinfo=UTC))
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]
    protokoll = "\n".join(m.plain for m in sent if m.text and not m.document_name)
    assert "Bilaga 1: Budget 2027.pdf (3 kB)" in protokoll
    assert "Bilaga 2: Lokaler.docx (2 kB)" in protokoll and "Utkast.pdf" not in protokoll
    pdf = next(m for m in sent if m.document_name and m.document_name.endswith(".pdf"))
    assert pdf.document_bytes is not None

    # The export: the documents themselves, fetched from Telegram with getFile.
    with transaction(h.services.session_factory) as s:
        partnership = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert partnership is not None and partnership.id is not None
        s.add(Administrator(partnership_id=partnership.id, telegram_user_id=ADMIN.id))
    private = FakeChat.private(ADMIN)
    h.fake.add_chat(private)
    before = len(h.fake.sent)
    await say(h, ADMIN, private, "/export")  # the ZIP goes to the administrator in private
    export = next(
        m for m in h.fake.sent[before:] if m.document_name and m.document_name.endswith(".zip")
    )
    assert export.document_bytes is not None
    archive = zipfile.ZipFile(io.BytesIO(export.document_bytes))
    names = archive.namelist()
    budget = next(n for n in names if n.endswith("1-Budget 2027.pdf"))
    assert archive.read(budget) == PDF
    assert any(n.endswith("2-Lokaler.docx") for n in names)
    assert not any("Utkast" in n for n in names)
    listed = json.loads(archive.read("partnership.json"))["attachments"]
    assert [a["file_name"] for a in listed] == ["Budget 2027.pdf", "Lokaler.docx", "Utkast.pdf"]
    assert any(method == "getFile" for method, _params in h.fake.requests)
    assert h.fake.unexpected_violations == []


async def say_reply(h: Harness, user, text: str, reply_to: int) -> list[SentMessage]:  # type: ignore[no-untyped-def]
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(user, SG_CHAT, text, reply_to_message_id=reply_to))
    return [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id]


async def test_without_a_meeting_or_a_document_it_says_how(h: Harness) -> None:
    await setup_sg(h)
    replies = await say(h, STADSMISSION, SG_CHAT, "/bilaga 5")
    assert replies[-1].plain.startswith("Svara på en handling med /bilaga")
    replies = await send_file(h, STADSMISSION, "Budget.pdf", PDF, caption="/bilaga 5")
    assert replies[-1].plain == (
        "Det finns inget möte att bifoga handlingar till. Ordföranden kallar till ett med /kallelse."
    )
    assert attachments(h) == []
