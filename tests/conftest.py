"""Shared fixtures: databases (SQLite always, PostgreSQL where it answers), a controllable
clock, and the real PTB Application long-polling the fake Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.app import build_application, make_services
from bot.config import Settings
from storage.runtime import Runtime

pytest_plugins = ["tests.fakebot.plugin"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class FakeClock:
    """Time as the tests say it is; nothing sleeps."""

    def __init__(self, start: datetime) -> None:
        self.current = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.sqlite3'}"


def _postgres_admin_url() -> str:
    return (
        make_url(POSTGRES_URL)
        .set(drivername="postgresql+psycopg")
        .render_as_string(hide_password=False)
    )


_pg_reason: str | None = None


def postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can (asked once)."""
    global _pg_reason
    if _pg_reason is None:
        try:
            engine = create_engine(_postgres_admin_url(), connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            _pg_reason = ""
        except Exception as exc:  # any failure to connect means: skip, and say why
            _pg_reason = f"PostgreSQL at {POSTGRES_URL} does not answer ({type(exc).__name__})"
    return _pg_reason or None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"iop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(_postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    return request.getfixturevalue("postgres_url")  # type: ignore[no-any-return]


def make_settings(database_url: str, base_url: str = "http://127.0.0.1:9/bot") -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        database_url=database_url,
        dispatcher_interval_seconds=3600,
    )


@pytest.fixture
def services(sqlite_url: str, clock: FakeClock) -> Iterator[Runtime]:
    svc = make_services(make_settings(sqlite_url), clock=clock)
    yield svc
    svc.engine.dispose()


def import_example(svc: Runtime, name: str) -> None:
    from governance.partnership_file import load_partnership_file
    from services.partnerships import import_partnership
    from storage.db import transaction

    spec = load_partnership_file(EXAMPLES / name)
    with transaction(svc.session_factory) as session:
        import_partnership(session, spec, now=svc.now())


class TrackingProcessor(BaseUpdateProcessor):
    """Processes one update at a time, as production does, and records which are done, so
    tests wait for the bot to finish an update instead of guessing with sleeps."""

    def __init__(self) -> None:
        super().__init__(max_concurrent_updates=1)
        self.done: set[int] = set()
        self.changed = asyncio.Event()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        finally:
            if isinstance(update, Update):
                self.done.add(update.update_id)
            self.changed.set()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def wait_done(self, update_id: int, limit: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + limit
        while update_id not in self.done:
            self.changed.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"update {update_id} was not processed within {limit}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


@dataclass
class Harness:
    """The real Application, polling the fake server, on a real database."""

    app: Any
    fake: Any
    services: Runtime
    clock: FakeClock
    processor: TrackingProcessor

    async def settle(self, update: dict[str, Any] | list[dict[str, Any]]) -> None:
        """Wait until the bot has processed these injected updates (and sent its answers, the
        outbox's included)."""
        from handlers.panel_refresh import refreshed

        for item in update if isinstance(update, list) else [update]:
            await self.processor.wait_done(item["update_id"])
        await refreshed(self.app.bot_data)  # the meeting panel follows in the background
        await self.fake.wait_until_idle()
        await self.drain_outbox()

    async def drain_outbox(self, limit: float = 10.0) -> None:
        """Until the messages the bot queued (due now, by the test's clock) are sent."""
        from delivery.outbox import NOW
        from storage import reminders
        from storage.db import transaction

        def outstanding() -> int:
            with transaction(self.services.session_factory) as session:
                return reminders.outstanding(session, now=self.clock(), min_priority=NOW)

        deadline = asyncio.get_running_loop().time() + limit
        while await asyncio.to_thread(outstanding):
            if asyncio.get_running_loop().time() > deadline:
                return  # e.g. waiting for Telegram's retry_after: the test looks at the rows
            await asyncio.sleep(0.02)
        await self.fake.wait_until_idle()


@pytest_asyncio.fixture
async def harness(fake_telegram, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    settings = make_settings(f"sqlite:///{tmp_path / 'bot.sqlite3'}", fake_telegram.base_url)
    svc = make_services(settings, clock=clock)
    import_example(svc, "sof-2025-144.toml")
    import_example(svc, "sof-2023-202.toml")
    processor = TrackingProcessor()
    app = build_application(settings, svc, update_processor=processor)
    async with app:
        # run_polling() would call post_init; the harness drives the lifecycle itself.
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0,
            timeout=1,
            allowed_updates=[
                "message",
                "edited_message",
                "callback_query",
                "my_chat_member",
                "chat_member",
            ],
        )
        try:
            yield Harness(
                app=app, fake=fake_telegram, services=svc, clock=clock, processor=processor
            )
        finally:
            await app.updater.stop()
            await app.stop()
    svc.engine.dispose()
