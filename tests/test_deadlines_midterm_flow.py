"""A partnership that starts using the bot mid-term (linked on 2026-12-03), and deadlines marked
met with buttons: through the real Application and the fake Bot API, at fixed instants, in
Swedish."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from delivery.dispatcher import ReminderDispatcher, get_dispatcher
from i18n import t
from services import deadline_list
from storage.db import transaction
from storage.deadline_facts import DeadlineMet
from storage.reminders import Reminder
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ADMIN = FakeUser(8001, "Åsa", "asa_admin")
CHAIR = FakeUser(8002, "Agneta", "agneta_c")
MEMBER = FakeUser(8003, "Bertil", "bertil_f")
SG_144 = FakeChat(-8101, "group", "Styrgrupp EU")
SG_202 = FakeChat(-8102, "group", "Styrgrupp Bostad Först")
LINKED_AT = datetime(2026, 12, 3, 10, 0, tzinfo=STOCKHOLM)
ONLY_CHAIR = (
    "Only the chair of this body or the partnership's administrator can mark a deadline as met."
)
# A kind: the key without its last part (financial_report:convictus, cadence:styrgrupp).
KEY_LINE = re.compile(r"/klart (\S+):[^:\s]+$")


async def say(h: Harness, user: FakeUser, chat: FakeChat, text: str):  # type: ignore[no-untyped-def]
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(user, chat, text))
    return [m for m in h.fake.sent[before:] if m.chat_id == chat.id and "⏰" not in m.plain]


async def press(h: Harness, user: FakeUser, chat: FakeChat, message, data: str, **kw):  # type: ignore[no-untyped-def]
    before = len(h.fake.callback_answers)
    await h.settle(h.fake.press(user, message.message_id, chat, data, **kw))
    answers = h.fake.callback_answers[before:]
    return answers[-1] if answers else None


async def link(h: Harness, chat: FakeChat, command: str) -> None:
    h.fake.add_chat(chat)
    h.fake.set_member_status(chat, ADMIN, "administrator")
    assert await say(h, ADMIN, chat, command)


def kinds_before_link(text: str) -> list[str]:
    """The kinds of the items marked "före koppling" (each line is followed by its key): the
    same duty of the same party or body."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if "(före koppling)" in line:
            key = KEY_LINE.search(lines[i + 1]) if i + 1 < len(lines) else None
            found.append(key.group(1) if key else line)
    return found


def met_keys(h: Harness) -> list[str]:
    with transaction(h.services.session_factory) as s:
        return sorted(m.key for m in s.exec(select(DeadlineMet)).all())


def reminder_dues(h: Harness, chat: FakeChat) -> list[str]:
    with transaction(h.services.session_factory) as s:
        rows = s.exec(select(Reminder).where(Reminder.chat_id == chat.id)).all()
        return [str(r.payload.get("due")) for r in rows if r.kind.startswith("deadline.")]


async def test_linked_mid_term_no_wall_and_no_burst(harness: Harness) -> None:
    h = harness
    h.clock.set(LINKED_AT)
    await link(h, SG_144, "/koppla SOF 2025/144 styrgrupp")
    reply = (await say(h, ADMIN, SG_144, "/tidsfrister"))[-1]
    text = reply.plain
    marked = kinds_before_link(text)
    assert marked, text
    # At most one "före koppling" item per kind (per party's financial report).
    assert len(marked) == len(set(marked)), marked
    # The older ones: one line and a button that lists them.
    count = re.search(
        r"(\d+) äldre tidsfrist(?:er)? från före kopplingen \(3 december 2026\)", text
    )
    assert count is not None, text
    older_button = [b for b in reply.buttons() if b["text"].startswith("Visa äldre")]
    assert older_button and older_button[0]["text"] == f"Visa äldre ({count.group(1)})"
    assert all(len(d.encode()) <= 64 for d in reply.button_data())
    before = len(h.fake.sent)
    await press(h, MEMBER, SG_144, reply, older_button[0]["callback_data"])
    older = [m for m in h.fake.sent[before:] if m.chat_id == SG_144.id][-1]
    assert "Äldre tidsfrister från före kopplingen (3 december 2026)" in older.plain
    assert older.plain.count("• ") == int(count.group(1))
    # Nothing before the link is reminded: no burst in the new chat.
    assert all(due >= "2026-12-03" for due in reminder_dues(h, SG_144))
    dispatcher = get_dispatcher(h.app.bot_data) or ReminderDispatcher(h.app.bot, h.services)
    before = len(h.fake.sent)
    await dispatcher.run_once()
    burst = [m.plain for m in h.fake.sent[before:] if m.chat_id == SG_144.id and "⏰" in m.plain]
    assert len(burst) <= 1, burst

    # SOF 2023/202 has ended (2026-06-30): no wall of what it owed, no buttons, no reminders.
    await link(h, SG_202, "/koppla SOF 2023/202 styrgrupp")
    reply = (await say(h, ADMIN, SG_202, "/tidsfrister"))[-1]
    assert "• " not in reply.plain and reply.buttons() == []
    assert reminder_dues(h, SG_202) == []

    # Linking again does not move the day the chat started.
    await say(h, ADMIN, SG_144, "/koppla SOF 2025/144 styrgrupp")
    h.clock.set(datetime(2026, 12, 20, 10, 0, tzinfo=STOCKHOLM))
    text = (await say(h, ADMIN, SG_144, "/tidsfrister"))[-1].plain
    assert "(3 december 2026)" in text


async def make_chair(h: Harness, chat: FakeChat) -> None:
    h.fake.set_member_status(chat, CHAIR, "member")
    h.fake.set_member_status(chat, MEMBER, "member")
    request = (await say(h, CHAIR, chat, "/jag convictus"))[-1]
    await press(h, ADMIN, chat, request, request.button_data()[0])
    request = (await say(h, MEMBER, chat, "/jag frälsningsarmén"))[-1]
    await press(h, ADMIN, chat, request, request.button_data()[0])
    assert "Agneta" in (await say(h, ADMIN, chat, "/ordforande @agneta_c"))[-1].plain


async def test_done_buttons_for_the_chair_only(harness: Harness) -> None:
    h = harness
    h.clock.set(LINKED_AT)
    await link(h, SG_144, "/koppla SOF 2025/144 styrgrupp")
    await make_chair(h, SG_144)

    listing = (await say(h, MEMBER, SG_144, "/tidsfrister"))[-1]
    done = [b for b in listing.buttons() if b["text"].startswith("✓ Klar: ")]
    assert done and all(len(b["callback_data"].encode()) <= 64 for b in done)
    first = done[0]

    # A member pressing: a polite alert, nothing recorded.
    answer = await press(h, MEMBER, SG_144, listing, first["callback_data"])
    assert answer is not None and answer.get("show_alert")
    assert answer["text"] == t("sv", ONLY_CHAIR)
    assert met_keys(h) == []

    # The chair: recorded, the list drawn again without it, and the chat told.
    before = len(h.fake.sent)
    answer = await press(h, CHAIR, SG_144, listing, first["callback_data"])
    assert answer is not None and not answer.get("show_alert")
    assert answer["text"].startswith("Klarmarkerad: ")
    [key] = met_keys(h)
    assert first["callback_data"].endswith(deadline_list.button_token(key))
    assert first["callback_data"] not in listing.button_data()  # edited away
    told = [m.plain for m in h.fake.sent[before:] if m.chat_id == SG_144.id]
    assert any(p.startswith("Agneta klarmarkerade: ") for p in told), told

    # A second press (a client still showing the old button): an alert, nothing changes.
    answer = await press(h, CHAIR, SG_144, listing, first["callback_data"], check_button=False)
    assert answer is not None and answer.get("show_alert")
    assert answer["text"] == "Den här tidsfristen är redan klarmarkerad."
    assert met_keys(h) == [key]
    # A made-up one.
    answer = await press(h, CHAIR, SG_144, listing, "tfk:b:0123456789ab", check_button=False)
    assert answer is not None and answer.get("show_alert")
    assert "inte längre öppen" in answer["text"]

    # /klart without a key: the open items as buttons (for the chair; a member is refused).
    refused = (await say(h, MEMBER, SG_144, "/klart"))[-1].plain
    assert refused == t("sv", ONLY_CHAIR)
    choice = (await say(h, CHAIR, SG_144, "/klart"))[-1]
    assert "Vilken tidsfrist är klar?" in choice.plain
    buttons = [b for b in choice.buttons() if b["text"].startswith("✓ Klar: ")]
    assert buttons and all(
        deadline_list.button_token(key) not in b["callback_data"] for b in buttons
    )
    await press(h, CHAIR, SG_144, choice, buttons[0]["callback_data"])
    assert len(met_keys(h)) == 2
    assert buttons[0]["callback_data"] not in choice.button_data()
    # Keys still work for scripts.
    listing_text = (await say(h, CHAIR, SG_144, "/tidsfrister"))[-1].plain
    line = next(x for x in listing_text.splitlines() if x.strip().startswith("/klart "))
    await say(h, CHAIR, SG_144, line.strip())
    assert len(met_keys(h)) == 3
