"""Two real `python -m bot` processes in webhook mode behind one address, on one PostgreSQL
database, one of them killed mid-way (issue 15 item 2, RELIABILITY 14): every update is
answered once, every reminder sent once, nothing lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import make_services
from delivery import outbox
from storage.db import transaction
from tests.conftest import TOKEN, make_settings
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parent.parent
SECRET = "two-processes-secret"
USERS = [FakeUser(6100 + n, f"U{n}") for n in range(24)]
GROUPS = [FakeChat(-8100 - n, "group", f"Grupp {n}") for n in range(16)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    def __init__(self, name: str, fake: FakeTelegram, database_url: str, tmp: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "DATABASE_URL": database_url,
            "BOT_MODE": "webhook",
            "PUBLIC_URL": "https://bot.example.org",
            "WEB_PORT": str(self.port),
            "WEBHOOK_SECRET_TOKEN": SECRET,
            "UPDATE_LEASE_SECONDS": "3",
            "DISPATCHER_INTERVAL_SECONDS": "1",
            "REMINDER_LEASE_SECONDS": "10",
            "LOG_LEVEL": "INFO",
        }
        self.log = tmp / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.log.parent,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=asyncio.subprocess.STDOUT,
        )

    async def ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.url + "/healthz")).status_code == 200:
                        return
                assert self.process is not None and self.process.returncode is None, self.text()
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} did not start:\n{self.text()}")

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def deliver(target: BotProcess, update: dict[str, Any]) -> int:
    """Telegram posting one update through the proxy to this process."""
    async with httpx.AsyncClient() as client:
        response = await client.post(
            target.url + "/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            timeout=10,
        )
    return response.status_code


async def wait_until(predicate: Any, what: str, limit: float = 60.0) -> None:
    for _ in range(int(limit / 0.1)):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def queue_reminders(
    database_url: str, due_at: datetime, first: int, groups: list[FakeChat]
) -> None:
    services = make_services(make_settings(database_url))
    try:
        with transaction(services.session_factory) as session:
            for n, chat in enumerate(groups, start=first):
                outbox.send(
                    session,
                    key=f"test-reminder:{n}",
                    chat_id=chat.id,
                    parts=[f"Påminnelse nummer {n}"],
                    now=datetime.now(UTC),
                    due_at=due_at,
                    priority=0,
                )
    finally:
        services.engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_webhook_processes_one_killed(
    fake_telegram: FakeTelegram, postgres_url: str, tmp_path: Path
) -> None:
    fake = fake_telegram
    for chat in GROUPS:
        fake.add_chat(chat)
    first, second = (BotProcess(n, fake, postgres_url, tmp_path) for n in ("first", "second"))
    await first.start()
    await first.ready()  # the first one migrates the empty database
    await second.start()
    await second.ready()
    try:
        # Reminders due now, while both run: each goes out once, from one of them.
        now = datetime.now(UTC)
        await asyncio.to_thread(queue_reminders, postgres_url, now, 0, GROUPS[:8])
        # Updates behind one address: the proxy spreads them over both processes.
        updates = [fake.make_text(u, FakeChat.private(u), "/hjalp") for u in USERS]
        for n, update in enumerate(updates[:8]):
            assert await deliver((first, second)[n % 2], update) == 200
        await wait_until(lambda: all(fake.messages_in(u.id) for u in USERS[:8]), "8 answers")
        await wait_until(lambda: all(fake.messages_in(c.id) for c in GROUPS[:8]), "8 reminders")

        # Reminders falling due after the kill.
        later = datetime.now(UTC) + timedelta(seconds=6)
        await asyncio.to_thread(queue_reminders, postgres_url, later, 8, GROUPS[8:])

        # The first process is in the middle of an update (its answer hangs at Telegram) and
        # has stored more it has not begun, when it is killed.
        victim = USERS[8]
        fake.delay_next("sendMessage", 30, chat_id=victim.id, deliver=False)
        assert await deliver(first, updates[8]) == 200
        await wait_until(
            lambda: any(
                m == "sendMessage" and p.get("chat_id") == victim.id for m, p in fake.requests
            ),
            "the first process to begin answering",
        )
        for update in updates[9:12]:
            assert await deliver(first, update) == 200
        assert first.process is not None
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()

        # The proxy now sends everything to the survivor.
        for update in updates[12:]:
            assert await deliver(second, update) == 200
        # The victim's work committed with its mark before the kill: it is not done again, and
        # its direct reply, hanging at Telegram when the process died, is gone with it (README).
        answered = [u for u in USERS if u is not victim]
        await wait_until(lambda: all(fake.messages_in(u.id) for u in answered), "every answer")
        await wait_until(lambda: all(fake.messages_in(c.id) for c in GROUPS), "every reminder")
        await asyncio.sleep(2)  # anything sent twice would have come by now
        async with httpx.AsyncClient() as client:
            health = (await client.get(second.url + "/healthz")).json()
    finally:
        for bot in (first, second):
            if bot.process is not None and bot.process.returncode is None:
                bot.process.send_signal(signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bot.process.wait(), 30)
                if bot.process.returncode is None:
                    bot.process.kill()
    answers = {u.first_name: len(fake.messages_in(u.id)) for u in USERS}
    assert answers == {u.first_name: 0 if u is victim else 1 for u in USERS}, answers
    reminders = {c.title: [m.plain for m in fake.messages_in(c.id)] for c in GROUPS}
    assert reminders == {c.title: [f"Påminnelse nummer {n}"] for n, c in enumerate(GROUPS)}, (
        reminders
    )
    assert health["inbox_pending"] == 0 and health["outbox_due"] == 0, health
    assert second.process is not None and second.process.returncode == 0, second.text()
    logs = first.text() + second.text()
    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
    assert "Traceback" not in second.text(), second.text()
    # The updates the first one had stored but not begun were handled by the second (their
    # answers above); the one it was cut off in was not done again (no second answer).
