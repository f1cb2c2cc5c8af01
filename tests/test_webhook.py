"""Webhook mode: the secret is required, and an update delivered twice (or to two workers
sharing one database) is handled once (RELIABILITY 14, 20)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from bot.app import build_application, make_services
from tests.conftest import make_settings
from tests.fakebot import FakeChat, FakeUser

SECRET = "s3cret-Token_1"
USER = FakeUser(4001, "Maja")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def webhook_worker(fake: Any, database_url: str, clock: Any) -> AsyncIterator[str]:
    settings = make_settings(database_url, fake.base_url)
    svc = make_services(settings, clock=clock)
    app = build_application(settings, svc, with_dispatcher=False)
    port = free_port()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url="https://bot.example.org/telegram",
            secret_token=SECRET,
        )
        try:
            yield f"http://127.0.0.1:{port}/telegram"
        finally:
            await app.updater.stop()
            await app.stop()
    svc.engine.dispose()


async def post(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json=update, headers=headers, timeout=10)
    return response.status_code


async def test_secret_is_required_and_a_redelivered_update_is_handled_once(
    fake_telegram: Any, sqlite_url: str, clock: Any
) -> None:
    chat = FakeChat.private(USER)
    async with webhook_worker(fake_telegram, sqlite_url, clock) as url:
        update = fake_telegram.make_text(USER, chat, "/hjalp")
        assert await post(url, update, None) == 403
        assert await post(url, update, "wrong") == 403
        await fake_telegram.wait_until_idle()
        assert fake_telegram.messages_in(USER.id) == []
        assert await post(url, update, SECRET) == 200
        await fake_telegram.wait_for(lambda m: m.chat_id == USER.id)
        assert await post(url, update, SECRET) == 200  # Telegram retrying the same update
        await fake_telegram.wait_until_idle(quiet=0.3)
    assert len(fake_telegram.messages_in(USER.id)) == 1


@pytest.mark.postgres
async def test_two_workers_on_one_database_handle_each_update_once(
    fake_telegram: Any, postgres_url: str, clock: Any
) -> None:
    chat = FakeChat.private(USER)
    async with webhook_worker(fake_telegram, postgres_url, clock) as first:
        async with webhook_worker(fake_telegram, postgres_url, clock) as second:
            updates = [fake_telegram.make_text(USER, chat, "/hjalp") for _ in range(5)]
            for update in updates:
                # A load balancer that retried: both workers get every update.
                assert await post(first, update, SECRET) == 200
                assert await post(second, update, SECRET) == 200
            await fake_telegram.wait_until_idle(quiet=0.3)
    assert len(fake_telegram.messages_in(USER.id)) == 5
