"""A fact recorded is a fact delivered: the kallelse and the protokoll through Telegram's
trouble, end to end through the real Application and the strict fake Bot API.

Telegram answers the kallelse's sendMessage, and then the protokoll's sendDocument, first with a
429 (retry_after), then a 502, then not at all within PTB's read timeout. The fact is recorded at
once; the chair is told so, never "nothing changed"; each retry goes out when its back-off has
passed (the test's clock is moved on, the dispatcher woken); in the end every message, file and
button arrives once.
"""

from __future__ import annotations

from typing import Any

import pytest

from delivery.dispatcher import get_dispatcher
from services import justering
from services.kallelse import kallelse_key
from storage import reminders
from storage.db import transaction
from storage.models import Meeting
from tests.conftest import Harness
from tests.test_meetings_flow import CHAIR, SG_CHAT, STADSMISSION, press, say, setup_sg, sv
from tests.test_minutes_flow import meeting_harness, opened_meeting  # noqa: F401

NOTHING_CHANGED = (
    "Something went wrong. Nothing was changed; please try again.",
    "Nothing has changed since draft version {version}.",
)
REPEAT = sv("(may have been sent before)")


def row(h: Harness, key: str) -> reminders.Reminder:
    with transaction(h.services.session_factory) as session:
        found = reminders.get_by_key(session, key)
        assert found is not None, key
        return found


async def retry_after(h: Harness, seconds: float) -> None:
    """The back-off has passed: move the clock on, wake the dispatcher, wait for its sends."""
    h.clock.advance(seconds=seconds)
    dispatcher = get_dispatcher(h.app.bot_data)
    assert dispatcher is not None
    dispatcher.kick()
    await h.drain_outbox(limit=20)


def told_nothing_changed(h: Harness) -> list[str]:
    said = [m.plain for m in h.fake.sent] + [
        str(a.get("text") or "") for a in h.fake.callback_answers
    ]
    refusals = [sv(msgid, version=1) if "{" in msgid else sv(msgid) for msgid in NOTHING_CHANGED]
    return [text for text in said if any(r in text for r in refusals)]


def faults(h: Harness, method: str) -> list[int]:
    return [e["error_code"] for e in h.fake.errors if e["method"] == method]


def in_group(h: Harness, since: int = 0) -> list[Any]:
    return [m for m in h.fake.sent[since:] if m.chat_id == SG_CHAT.id]


@pytest.mark.slow
async def test_kallelse_arrives_once_through_429_5xx_and_a_timeout(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    await setup_sg(h)
    preview = (await say(h, CHAIR, SG_CHAT, "/kallelse 2026-12-10 14:00 Stadshuset, rum 3"))[-1]
    publish = next(d for d in preview.button_data() if d.startswith("mp:"))
    meeting_id = int(publish.split(":")[1])
    h.fake.fail_next("sendMessage", retry_after=5, chat_id=SG_CHAT.id)
    h.fake.fail_next("sendMessage", error_code=502, chat_id=SG_CHAT.id)
    h.fake.delay_next("sendMessage", 6, chat_id=SG_CHAT.id, deliver=False)  # PTB waits 5 s
    before = len(h.fake.sent)

    toast = await press(h, CHAIR, SG_CHAT, preview.message_id, publish)
    # Recorded and said so at once, though Telegram refused the kallelse itself (429).
    assert toast is not None and toast["text"] == sv("The kallelse has been published.")
    assert [m.plain for m in in_group(h, before) if m.button_data()] == []
    queued = row(h, kallelse_key(meeting_id))
    assert (queued.state, queued.last_error) == ("pending", "retry_after")

    await retry_after(h, 3)
    assert row(h, kallelse_key(meeting_id)).state == "pending"  # not before retry_after
    await retry_after(h, 3)  # past retry_after: the 502
    assert row(h, kallelse_key(meeting_id)).last_error == "network"
    await retry_after(h, 3)  # past the 2 s back-off: the timeout (PTB gives up after 5 s)
    assert row(h, kallelse_key(meeting_id)).last_error == "timed_out"
    await retry_after(h, 5)  # past the 4 s back-off: delivered

    # Telegram did answer as injected: 429, 502, and nothing in time (504 once PTB gave up).
    assert faults(h, "sendMessage") == [429, 502, 504]
    sent = in_group(h, before)
    panels = [m for m in sent if m.button_data() and m.button_data()[0].startswith("rv:")]
    invitations = [m for m in sent if m.document_name]
    assert len(panels) == 1 and len(invitations) == 1
    assert invitations[0].document_name.endswith(".ics")
    assert sent.index(panels[0]) < sent.index(invitations[0])
    # The timed-out send may have reached the chat: the resend says so.
    assert REPEAT in panels[0].plain
    assert row(h, kallelse_key(meeting_id)).state == "sent"
    with transaction(h.services.session_factory) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None and meeting.kallelse_message_id == panels[0].message_id

    # The panel is live: an answer edits it (the edit is queued with the answer).
    await press(h, STADSMISSION, SG_CHAT, panels[0].message_id, f"rv:{meeting_id}:y")
    panel = next(m for m in h.fake.sent if m.message_id == panels[0].message_id)
    assert panel.edits and sv("Coming") + " (1)" in panel.plain
    assert REPEAT not in panel.plain
    assert told_nothing_changed(h) == []


@pytest.mark.slow
async def test_protokoll_files_and_buttons_arrive_once_through_429_5xx_and_a_timeout(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    await say(h, CHAIR, SG_CHAT, "/beslut Rapporten godkänns")
    h.fake.fail_next("sendDocument", retry_after=5, chat_id=SG_CHAT.id)
    h.fake.fail_next("sendDocument", error_code=502, chat_id=SG_CHAT.id)
    h.fake.delay_next("sendDocument", 6, chat_id=SG_CHAT.id, deliver=False)
    before = len(h.fake.sent)

    replies = await say(h, CHAIR, SG_CHAT, "/motesslut")
    assert replies[0].plain == sv("The meeting is closed. Here is the draft of the minutes.")
    with transaction(h.services.session_factory) as session:
        current = justering.current_draft(session, h_body(h, session))
        assert current is not None
        record_id = current[1].id
        assert record_id is not None
    key = justering.draft_key(record_id)
    assert row(h, key).state == "pending"  # the chat text went, the PDF waits for retry_after
    assert not [m for m in in_group(h, before) if m.document_name]

    # The chair asks for the draft again meanwhile: told it is on its way, not "nothing changed".
    waiting = await say(h, CHAIR, SG_CHAT, "/utkast")
    assert waiting[-1].plain == sv(
        "Draft version {version} is recorded and on its way to this chat; it arrives as soon as Telegram lets the bot send it.",
        version=1,
    )

    await retry_after(h, 6)  # the 502
    await retry_after(h, 3)  # the timeout
    await retry_after(h, 5)  # delivered
    assert row(h, key).state == "sent"
    assert faults(h, "sendDocument") == [429, 502, 504]

    sent = in_group(h, before)
    files = [m.document_name for m in sent if m.document_name]
    assert files == [
        "protokoll-SG-mote-1-2026-utkast-v1.pdf",
        "protokoll-SG-mote-1-2026-utkast-v1.docx",
    ]
    pdf = next(m for m in sent if m.document_name and m.document_name.endswith(".pdf"))
    assert pdf.document_bytes and pdf.document_bytes.startswith(b"%PDF")
    assert REPEAT in h.fake.plain_text(pdf.text or "")  # the resend after the timeout
    buttons = [m for m in sent if m.button_data()]
    assert len(buttons) == 1 and buttons[0].button_data() == [
        f"js:{record_id}:a",
        f"js:{record_id}:c",
    ]
    assert sent[-1] is buttons[0]
    # The chat text went once, before the files.
    first_pdf = sent.index(pdf)
    texts = [m.plain for m in sent[:first_pdf] if not m.document_name]
    assert len(texts) == len(set(texts))

    # Once delivered, /utkast with nothing changed says so, truthfully.
    again = await say(h, CHAIR, SG_CHAT, "/utkast")
    assert again[-1].plain == sv("Nothing has changed since draft version {version}.", version=1)

    # The justering goes on from the delivered buttons; the locked minutes come through too.
    await press(h, CHAIR, SG_CHAT, buttons[0].message_id, f"js:{record_id}:a")
    await press(h, STADSMISSION, SG_CHAT, buttons[0].message_id, f"js:{record_id}:a")
    final = [m for m in in_group(h, before) if m.document_name and "utkast" not in m.document_name]
    assert [m.document_name for m in final] == [
        "protokoll-SG-mote-1-2026.pdf",
        "protokoll-SG-mote-1-2026.docx",
    ]
    with transaction(h.services.session_factory) as session:
        from delivery import outbox

        ((name, file_id),) = outbox.files_of(session, justering.final_key(record_id))
        assert name == "protokoll-SG-mote-1-2026.pdf"
        assert outbox.file_data(session, file_id) == final[0].document_bytes
    assert told_nothing_changed(h) == [sv(NOTHING_CHANGED[1], version=1)]


def h_body(h: Harness, session: Any) -> Any:
    from services.chats import body_of_chat

    found = body_of_chat(session, SG_CHAT.id)
    assert found is not None
    return found[0]
