"""Webhook mode through the bot's own web server: the secret is required, an update is stored
before the 200 and handled once however often it comes (RELIABILITY 14, 20), /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.app import make_services
from bot.config import Settings
from bot.runner import serve
from storage.db import transaction
from storage.inbox import InboundUpdate
from storage.runtime import Runtime
from tests.conftest import TOKEN
from tests.fakebot import FakeChat, FakeUser

SECRET = "s3cret-Token_1"
USER = FakeUser(4001, "Maja")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def webhook_settings(database_url: str, base_url: str, port: int) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        database_url=database_url,
        dispatcher_interval_seconds=3600,
        bot_mode="webhook",
        public_url="https://bot.example.org",
        web_port=port,
        webhook_secret_token=SECRET,
    )


@asynccontextmanager
async def webhook_process(
    fake: Any, database_url: str, clock: Any
) -> AsyncIterator[tuple[str, Runtime]]:
    """`serve()` as `python -m bot` runs it, in this event loop."""
    port = free_port()
    settings = webhook_settings(database_url, fake.base_url, port)
    services = make_services(settings, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, clock=clock, stop=stop, services=services))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(400):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(base + "/healthz")).status_code == 200:
                        break
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        yield base, services
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def post(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json=update, headers=headers, timeout=10)
    return response.status_code


async def test_secret_is_required_and_a_redelivered_update_is_handled_once(
    fake_telegram: Any, sqlite_url: str, clock: Any
) -> None:
    chat = FakeChat.private(USER)
    async with webhook_process(fake_telegram, sqlite_url, clock) as (base, _services):
        assert fake_telegram.webhook_url == "https://bot.example.org/telegram"
        url = base + "/telegram"
        update = fake_telegram.make_text(USER, chat, "/hjalp")
        assert await post(url, update, None) == 403
        assert await post(url, update, "wrong") == 403
        async with httpx.AsyncClient() as client:
            bad = await client.post(
                url, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
        assert bad.status_code == 400
        await fake_telegram.wait_until_idle()
        assert fake_telegram.messages_in(USER.id) == []
        assert await post(url, update, SECRET) == 200
        await fake_telegram.wait_for(lambda m: m.chat_id == USER.id)
        assert await post(url, update, SECRET) == 200  # Telegram retrying the same update
        await fake_telegram.wait_until_idle(quiet=0.5)
        async with httpx.AsyncClient() as client:
            health = (await client.get(base + "/healthz")).json()
        assert health["database"] == "ok"
        assert health["mode"] == "webhook"
        assert health["last_update"]["update_id"] == update["update_id"]
        assert health["inbox_pending"] == 0
        assert health["outbox_due"] == 0
    assert len(fake_telegram.messages_in(USER.id)) == 1


async def test_an_update_is_stored_before_the_200(
    fake_telegram: Any, sqlite_url: str, clock: Any
) -> None:
    """The answer to Telegram comes after the commit: a process killed right after answering
    finds the update in the inbox at its next start."""
    chat = FakeChat.private(USER)
    async with webhook_process(fake_telegram, sqlite_url, clock) as (base, services):
        fake_telegram.delay_next("sendMessage", 2.0)  # the handler is slow to finish
        update = fake_telegram.make_text(USER, chat, "/hjalp")
        assert await post(base + "/telegram", update, SECRET) == 200
        with transaction(services.session_factory) as session:
            stored = session.exec(select(InboundUpdate)).all()
        assert [row.update_id for row in stored] == [update["update_id"]]
        assert stored[0].payload["message"]["text"] == "/hjalp"
        await fake_telegram.wait_for(lambda m: m.chat_id == USER.id)


@pytest.mark.postgres
async def test_two_workers_on_one_database_handle_each_update_once(
    fake_telegram: Any, postgres_url: str, clock: Any
) -> None:
    chat = FakeChat.private(USER)
    async with webhook_process(fake_telegram, postgres_url, clock) as (first, _):
        async with webhook_process(fake_telegram, postgres_url, clock) as (second, _):
            updates = [fake_telegram.make_text(USER, chat, "/hjalp") for _ in range(5)]
            for update in updates:
                # A load balancer that retried: both workers get every update.
                assert await post(first + "/telegram", update, SECRET) == 200
                assert await post(second + "/telegram", update, SECRET) == 200
            for _ in range(200):
                if len(fake_telegram.messages_in(USER.id)) >= 5:
                    break
                await asyncio.sleep(0.05)
            await fake_telegram.wait_until_idle(quiet=0.5)
    assert len(fake_telegram.messages_in(USER.id)) == 5
