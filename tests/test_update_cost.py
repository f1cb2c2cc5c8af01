"""What one update costs the database and Telegram on the common path: a note from a known
member in a meeting is one transaction (its claim included) and, within half a minute of the
last, no getChatMember; a status change Telegram reports forgets the cached admin answer."""

from __future__ import annotations

import threading
import traceback

from sqlalchemy import event
from sqlmodel import select

from storage.db import transaction
from storage.models import MinuteEntry, ProcessedUpdate
from tests.conftest import Harness
from tests.test_meetings_flow import ADMIN, CHAIR, SG_CHAT, say
from tests.test_minutes_flow import meeting_harness, opened_meeting

__all__ = ["meeting_harness"]


def count_requests(h: Harness, method: str) -> int:
    return sum(1 for name, _ in h.fake.requests if name == method)


async def test_a_note_is_one_transaction_and_asks_telegram_once(
    meeting_harness: Harness,
) -> None:
    h = meeting_harness
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart")
    begins: list[str] = []

    def began(_conn: object) -> None:
        # The harness's own look at the outbox (waiting for the bot) is not the bot's work.
        if not any("conftest.py" in frame.filename for frame in traceback.extract_stack()):
            begins.append(threading.current_thread().name)

    event.listen(h.services.engine, "begin", began)
    await say(h, CHAIR, SG_CHAT, "/anteckning Första raden")  # sender and chat now known
    before_begins, before_checks = len(begins), count_requests(h, "getChatMember")
    update = h.fake.send_text(CHAIR, SG_CHAT, "/anteckning Andra raden")
    await h.settle(update)
    new = begins[before_begins:]
    assert len(new) == 1, new  # the claim, the sender and the note: one BEGIN … COMMIT
    assert all(name != threading.main_thread().name for name in new)  # never on the loop
    assert count_requests(h, "getChatMember") == before_checks  # the admin answer was kept
    with transaction(h.services.session_factory) as s:
        assert s.get(ProcessedUpdate, update["update_id"]) is not None
        texts = [e.text for e in s.exec(select(MinuteEntry)).all()]
    assert "Andra raden" in texts


async def test_the_same_update_twice_is_handled_once(meeting_harness: Harness) -> None:
    h = meeting_harness
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart")
    await say(h, CHAIR, SG_CHAT, "/anteckning Värm upp")
    update = h.fake.make_text(CHAIR, SG_CHAT, "/anteckning En gång")
    await h.app.process_update(_update(h, update))
    await h.app.process_update(_update(h, update))
    with transaction(h.services.session_factory) as s:
        texts = [e.text for e in s.exec(select(MinuteEntry)).all()]
    assert texts.count("En gång") == 1


def _update(h: Harness, payload: dict[str, object]):  # type: ignore[no-untyped-def]
    from telegram import Update

    return Update.de_json(payload, h.app.bot)


async def test_a_reported_status_change_forgets_the_admin_answers(
    meeting_harness: Harness,
) -> None:
    h = meeting_harness
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart")
    await say(h, CHAIR, SG_CHAT, "/anteckning Ett")
    checks = count_requests(h, "getChatMember")
    await say(h, CHAIR, SG_CHAT, "/anteckning Två")
    assert count_requests(h, "getChatMember") == checks  # kept
    # Telegram reports a change in the chat (here: the bot made an admin): asked again.
    await h.settle(h.fake.bot_added(SG_CHAT, ADMIN, "administrator"))
    await say(h, CHAIR, SG_CHAT, "/anteckning Tre")
    assert count_requests(h, "getChatMember") == checks + 1
