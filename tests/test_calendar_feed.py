"""/kalender: a member's personal, revocable calendar subscription, served over HTTP by the
bot's web server as text/calendar and valid RFC 5545 (issue 15 item 3, PRODUCT §11)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import socket
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from icalendar import Calendar
from sqlmodel import select

from bot.app import make_services
from bot.config import Settings
from bot.runner import INBOX_WORKER, serve
from fakeapi import FakeChat, FakeTelegram, FakeUser, SentMessage
from services.partnerships import set_administrator
from storage.calendar_feeds import CalendarSubscription
from storage.db import transaction
from storage.models import Person
from storage.runtime import Runtime
from tests.conftest import TOKEN, FakeClock, import_example

ADMIN = FakeUser(3101, "Åsa", "asa_admin")
CHAIR = FakeUser(3102, "Agneta", "agneta_c")
MEMBER = FakeUser(3103, "Bertil", "bertil_s")
STRANGER = FakeUser(3105, "Sven", "sven_x")
SG = FakeChat(-6101, "group", "Styrgrupp EU")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bot:
    fake: FakeTelegram
    services: Runtime
    web: str
    application: Any

    async def say(self, user: FakeUser, chat: FakeChat, text: str) -> list[SentMessage]:
        before = len(self.fake.sent)
        await self.settle(self.fake.send_text(user, chat, text))
        return self.fake.sent[before:]

    async def press(self, user: FakeUser, chat: FakeChat, message: SentMessage, text: str) -> None:
        data = message.button_data()[message.button_texts().index(text)]
        await self.settle(self.fake.press(user, message, chat, data))

    async def settle(self, update: dict[str, Any]) -> None:
        """Until the inbox worker handled the update through to its answers (its row is marked
        handled earlier, at the handler's commit)."""
        worker = self.application.bot_data[INBOX_WORKER]
        for _ in range(1500):  # 30 s
            if update["update_id"] in worker.finished:
                break
            await asyncio.sleep(0.02)
        await self.fake.wait_until_idle(timeout=30, quiet=0.1)

    def local(self, address: str) -> str:
        """The proxy's job: https://bot.example.org/… reaches the bot's own port."""
        return re.sub(r"^webcal://bot\.example\.org", self.web, address)


@pytest_asyncio.fixture
async def bot(fake_telegram: FakeTelegram, sqlite_url: str, clock: FakeClock) -> AsyncIterator[Bot]:
    port = free_port()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=fake_telegram.base_url,
        database_url=sqlite_url,
        dispatcher_interval_seconds=3600,
        rate_limit_group_per_minute=100_000,
        public_url="https://bot.example.org",
        web_port=port,
    )
    services = make_services(settings, clock=clock)
    import_example(services, "sof-2025-144.toml")
    stop = asyncio.Event()
    started: list[Any] = []
    task = asyncio.create_task(
        serve(settings, clock=clock, stop=stop, services=services, ready=started.append)
    )
    web = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(400):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(web + "/healthz")).status_code == 200:
                    break
            await asyncio.sleep(0.05)
    for _ in range(400):
        if any(m == "getUpdates" for m, _ in fake_telegram.requests):
            break
        await asyncio.sleep(0.05)
    try:
        yield Bot(fake_telegram, services, web, started[0])
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def set_up(bot: Bot) -> SentMessage:
    """The styrgrupp linked, Agneta chair, Bertil a confirmed member; a published kallelse.
    Returns the .ics invitation the kallelse came with."""
    bot.fake.add_chat(SG)
    bot.fake.set_member_status(SG, ADMIN, "administrator")
    await bot.say(ADMIN, SG, "/koppla SOF 2025/144 styrgrupp")
    for user, party in ((CHAIR, "Convictus"), (MEMBER, "Stadsmission")):
        request = (await bot.say(user, SG, f"/jag {party}"))[-1]
        await bot.press(ADMIN, SG, request, request.button_texts()[0])
    await bot.say(ADMIN, SG, "/ordforande @agneta_c")
    draft = (await bot.say(CHAIR, SG, "/kallelse tisdag 13 Stadshuset"))[-1]
    before = len(bot.fake.sent)
    await bot.press(CHAIR, SG, draft, next(t for t in draft.button_texts() if "Publicera" in t))
    return next(m for m in bot.fake.sent[before:] if (m.document_name or "").endswith(".ics"))


async def fetch(bot: Bot, address: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(bot.local(address))


def address_in(message: SentMessage) -> str:
    found = re.search(r"webcal://\S+\.ics", message.plain)
    assert found is not None, message.plain
    return found.group(0)


async def test_a_member_subscribes_and_the_feed_stays_current(bot: Bot) -> None:
    invitation = await set_up(bot)
    invited = Calendar.from_ical(invitation.document_bytes).walk("VEVENT")[0]

    # Not started privately yet: the address is personal, so the bot asks for a private chat.
    replies = await bot.say(MEMBER, SG, "/kalender")
    assert [m.chat_id for m in replies] == [SG.id]
    assert "privat chatt" in replies[0].plain
    assert replies[0].buttons()[0]["url"] == "https://t.me/iop_test_bot"

    await bot.say(MEMBER, FakeChat.private(MEMBER), "/start")
    replies = await bot.say(MEMBER, SG, "/kalender")
    private = [m for m in replies if m.chat_id == MEMBER.id]
    group = [m for m in replies if m.chat_id == SG.id]
    assert len(private) == 1 and len(group) == 1
    assert "privat meddelande" in group[0].plain
    address = address_in(private[0])
    assert address.startswith("webcal://bot.example.org/kalender/")
    assert address not in group[0].plain  # the secret never shows in the group

    response = await fetch(bot, address)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    feed = Calendar.from_ical(response.content)
    assert str(feed["METHOD"]) == "PUBLISH"
    assert Calendar.from_ical(feed.to_ical()).to_ical() == feed.to_ical()  # round trip
    [event] = feed.walk("VEVENT")
    # The same event as the invitation: one meeting in the member's calendar, not two.
    assert str(event["UID"]) == str(invited["UID"])
    assert event.decoded("DTSTART") == invited.decoded("DTSTART")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Stadshuset"
    assert "Dagordning" in str(event["DESCRIPTION"])
    assert "Val av justerare" in str(event["DESCRIPTION"])
    assert feed.walk("VTIMEZONE"), "times carry their zone"
    # Nothing personal beyond what the chat shows: no names, no answers.
    text = response.content.decode()
    assert "Bertil" not in text and "Agneta" not in text and "ATTENDEE" not in text

    # The same address again; the meeting cancelled shows as cancelled with a higher SEQUENCE.
    again = await bot.say(MEMBER, SG, "/kalender")
    assert address_in(next(m for m in again if m.chat_id == MEMBER.id)) == address
    cancel = await bot.say(CHAIR, SG, "/stall_in")
    confirm = next((m for m in cancel if m.buttons()), None)
    if confirm is not None:
        await bot.press(CHAIR, SG, confirm, confirm.button_texts()[0])
    [event] = Calendar.from_ical((await fetch(bot, address)).content).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > int(invited["SEQUENCE"])

    # /kalender ny: the old address stops working, the new one works.
    renewed = await bot.say(MEMBER, SG, "/kalender ny")
    new_address = address_in(next(m for m in renewed if m.chat_id == MEMBER.id))
    assert new_address != address
    assert (await fetch(bot, address)).status_code == 404
    assert (await fetch(bot, new_address)).status_code == 200
    assert (await fetch(bot, "webcal://bot.example.org/kalender/nonsense.ics")).status_code == 404


async def test_only_members_get_a_calendar(bot: Bot) -> None:
    await set_up(bot)
    await bot.say(STRANGER, FakeChat.private(STRANGER), "/start")
    replies = await bot.say(STRANGER, SG, "/kalender")
    assert [m.chat_id for m in replies] == [SG.id]
    assert "Kalendern är för gruppens ledamöter" in replies[0].plain
    assert "webcal://" not in replies[0].plain


async def test_a_member_who_erases_their_data_loses_the_feed(bot: Bot) -> None:
    await set_up(bot)
    await bot.say(MEMBER, FakeChat.private(MEMBER), "/start")
    replies = await bot.say(MEMBER, SG, "/kalender")
    address = address_in(next(m for m in replies if m.chat_id == MEMBER.id))
    assert (await fetch(bot, address)).status_code == 200
    asked = (await bot.say(MEMBER, FakeChat.private(MEMBER), "/glomma_mig"))[-1]
    await bot.press(MEMBER, FakeChat.private(MEMBER), asked, asked.button_texts()[0])
    assert (await fetch(bot, address)).status_code == 404


async def until(condition: Any, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "not within the time limit"
        await asyncio.sleep(0.05)


def export_data(bot: Bot, before: int) -> tuple[bytes, dict[str, Any]]:
    (zipped,) = [m for m in bot.fake.sent[before:] if m.chat_id == ADMIN.id and m.document_name]
    archive = zipfile.ZipFile(io.BytesIO(zipped.document_bytes or b""))
    raw = b"".join(archive.read(name) for name in archive.namelist())
    return raw, json.loads(archive.read("partnership.json"))


async def export(bot: Bot) -> tuple[bytes, dict[str, Any]]:
    before = len(bot.fake.sent)
    await bot.say(ADMIN, SG, "/export")
    await until(lambda: any(m.document_name for m in bot.fake.sent[before:]))
    return export_data(bot, before)


async def test_a_subscription_is_in_the_members_data_and_the_export_and_goes_with_erasure(
    bot: Bot,
) -> None:
    """The right of access and the export list the subscription (never its secret, which is
    the key to the feed); erasure deletes the row, not only the feed's answer."""
    await set_up(bot)
    member_chat = FakeChat.private(MEMBER)
    await bot.say(MEMBER, member_chat, "/start")
    replies = await bot.say(MEMBER, SG, "/kalender")
    address = address_in(next(m for m in replies if m.chat_id == MEMBER.id))
    secret = address.rsplit("/", 1)[1].removesuffix(".ics")

    replies = await bot.say(MEMBER, member_chat, "/mina_uppgifter")
    assert "kalenderprenumerationer: 1" in "\n".join(m.plain for m in replies if m.text)
    (file,) = [m for m in replies if m.document_name]
    assert secret.encode() not in (file.document_bytes or b"")
    mine = json.loads(file.document_bytes or b"")["calendar_subscriptions"]
    assert [(row["revoked_at"], "secret" in row) for row in mine] == [(None, False)]

    with transaction(bot.services.session_factory) as s:
        set_administrator(s, "SOF 2025/144", ADMIN.id, add=True)
        member = s.exec(select(Person).where(Person.telegram_user_id == MEMBER.id)).one()
    await bot.say(ADMIN, FakeChat.private(ADMIN), "/start")
    raw, data = await export(bot)
    assert [row["person_id"] for row in data["calendar_subscriptions"]] == [member.id]
    assert "secret" not in data["calendar_subscriptions"][0] and secret.encode() not in raw

    asked = (await bot.say(MEMBER, member_chat, "/glomma_mig"))[-1]
    await bot.press(MEMBER, member_chat, asked, asked.button_texts()[0])
    assert (await fetch(bot, address)).status_code == 404
    with transaction(bot.services.session_factory) as s:
        assert s.exec(select(CalendarSubscription)).all() == []
    _raw, data = await export(bot)
    assert data["calendar_subscriptions"] == []
