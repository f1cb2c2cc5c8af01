"""Protokollsutdrag end to end: /utdrag by § and by decision number, buttons when nothing is
named, refusals before any protokoll is approved, and the revision of a party's commitments
sent privately as an extract to that party's members who have started the bot."""

from __future__ import annotations

import re
from typing import Any

from fakeapi.models import FakeChat
from storage.models import ProtokollRecord
from tests.conftest import Harness
from tests.pdfcheck import pages_text
from tests.test_justering import JUSTERARE, buttons_of, close_with_draft
from tests.test_meetings_flow import CHAIR, CITY, SG_CHAT, press, say
from tests.test_minutes_flow import meeting_harness, rows  # noqa: F401


def documents(h: Harness, chat_id: int, before: int = 0) -> list[Any]:
    return [m for m in h.fake.sent[before:] if m.chat_id == chat_id and m.document_name]


async def test_extract_of_a_paragraph_and_revisions_sent_privately(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    panel, _note = await close_with_draft(h)
    # Nothing approved yet: a polite refusal, nothing sent.
    replies = await say(h, CITY, SG_CHAT, "/utdrag 2")
    assert "justerade protokoll" in replies[-1].plain.lower() or "utdrag" in replies[-1].plain
    # The chair (Convictus) has started the bot; the revision of Convictus reaches her there.
    await say(h, CHAIR, FakeChat.private(CHAIR), "/start")
    approve, _change = buttons_of(panel)
    await press(h, CHAIR, SG_CHAT, panel.message_id, approve)
    before = len(h.fake.sent)
    await press(h, JUSTERARE, SG_CHAT, panel.message_id, approve)
    final = rows(h, ProtokollRecord)[-1]
    assert final.status == "final"
    private = [m for m in h.fake.sent[before:] if m.chat_id == CHAIR.id]
    note, extract = private
    assert "Convictus" in note.plain and "SG 2026:2" in note.plain
    assert extract.document_name and extract.document_name.startswith("protokollsutdrag-")
    text = "".join(pages_text(extract.document_bytes or b""))
    assert "PROTOKOLLSUTDRAG" in text and "Convictus tar över." in text
    assert "Justerat digitalt" in text and final.content_hash in text
    assert len(re.findall(r"§ \d+ ", text)) == 1  # one paragraph only
    assert documents(h, JUSTERARE.id) == []  # Bertil is not of Convictus

    # /utdrag with a decision number: the paragraph holding it, in the group.
    before = len(h.fake.sent)
    await say(h, CITY, SG_CHAT, "/utdrag SG 2026:1")
    (by_number,) = documents(h, SG_CHAT.id, before)
    text = "".join(pages_text(by_number.document_bytes or b""))
    assert "Rapporten godkänns" in text and len(re.findall(r"§ \d+ ", text)) == 1
    assert final.content["meeting_number"] in by_number.plain  # the caption names it

    # /utdrag with nothing: the paragraphs as buttons; a press sends that one.
    question = (await say(h, CITY, SG_CHAT, "/utdrag"))[-1]
    choices = question.button_data()
    assert choices and all(c.startswith("ux:") for c in choices)
    assert any(t.startswith("§ 1 ") for t in question.button_texts())
    before = len(h.fake.sent)
    await press(h, CITY, SG_CHAT, question.message_id, choices[0])
    (pressed,) = documents(h, SG_CHAT.id, before)
    assert pressed.document_name.endswith("-paragraf-1.pdf")
    # "§ 99" does not exist: the buttons again, nothing sent.
    before = len(h.fake.sent)
    replies = await say(h, CITY, SG_CHAT, "/utdrag § 99")
    assert replies[-1].button_data() == choices and documents(h, SG_CHAT.id, before) == []
    # A tampered button is refused.
    answer = await press(h, CITY, SG_CHAT, question.message_id, "ux:9999:1", check=False)
    assert answer is not None and answer.get("show_alert")
    # /revideringar lists the revision with an extract button, which sends it.
    listing = (await say(h, CITY, SG_CHAT, "/revideringar"))[-1]
    assert "Convictus" in listing.plain
    (button,) = listing.button_data()
    assert listing.button_texts()[0].startswith("Utdrag SG 2026:2")
    before = len(h.fake.sent)
    await press(h, CITY, SG_CHAT, listing.message_id, button)
    (revision,) = documents(h, SG_CHAT.id, before)
    assert "Convictus tar över." in "".join(pages_text(revision.document_bytes or b""))
