"""Start-up: polling does not wait for the deadline re-sync; the re-sync runs afterwards, a few
partnerships per transaction, in threads, and is idempotent. And the SQLite pool: PRAGMAs once
per connection, connections reused."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, text

from bot import app as app_module
from bot.app import RESYNC_TASK, build_application, resync_deadlines
from services import deadlines
from storage import bodies
from storage import reminders as repo
from storage.db import make_engine, make_session_factory, transaction
from storage.runtime import Runtime
from tests.conftest import FakeClock, import_example, make_settings
from tests.fakebot import FakeTelegram


def pending(svc: Runtime) -> dict[str, int]:
    with transaction(svc.session_factory) as session:
        return repo.count_by_state(session)


async def test_resync_runs_after_start_in_chunks_off_the_event_loop(
    services: Runtime,
    clock: FakeClock,
    fake_telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.set(datetime(2025, 9, 1, 7, tzinfo=UTC))  # SOF 2025/144's renewal is ahead
    import_example(services, "sof-2025-144.toml")
    import_example(services, "sof-2023-202.toml")
    with transaction(services.session_factory) as session:
        # Linked while the bot was down (no re-sync yet): the re-sync schedules its reminders.
        for n, dnr in enumerate(("SOF 2025/144", "SOF 2023/202")):
            partnership = bodies.get_partnership_by_diarienummer(session, dnr)
            assert partnership is not None and partnership.id is not None
            body = bodies.get_body(session, partnership.id, "styrgrupp")
            assert body is not None
            body.chat_id = -9000 - n
            session.add(body)
    calls: list[tuple[list[int], bool]] = []
    real = deadlines.sync_some

    def spy(session, ids, *, now):  # type: ignore[no-untyped-def]
        calls.append((list(ids), threading.current_thread() is threading.main_thread()))
        return real(session, ids, now=now)

    monkeypatch.setattr(deadlines, "sync_some", spy)
    before = pending(services)
    settings = make_settings(str(services.engine.url), fake_telegram.base_url)
    application = build_application(settings, services, with_dispatcher=False)
    monkeypatch.setattr(app_module, "resync_deadlines", lambda svc: resync_deadlines(svc, chunk=1))
    async with application:
        assert application.post_init is not None
        await application.post_init(application)  # what run_polling awaits before polling
        task = application.bot_data[RESYNC_TASK]
        scheduled = await task
    assert [len(ids) for ids, _ in calls] == [1, 1]  # one partnership per transaction
    assert not any(on_main for _, on_main in calls)  # in threads, never on the event loop
    assert scheduled > 0
    after = pending(services)
    # Idempotent: a second run changes nothing.
    assert await resync_deadlines(services) == scheduled
    assert pending(services) == after
    assert after != before


def test_sqlite_connections_are_pooled_and_set_up_once(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    connects: list[object] = []
    event.listen(engine, "connect", lambda conn, record: connects.append(conn))
    factory = make_session_factory(engine)
    for _ in range(20):
        with transaction(factory) as session:
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    assert len(connects) == 1
    engine.dispose()


async def test_menus_are_published_after_polling_starts(
    services: Runtime, clock: FakeClock, fake_telegram: FakeTelegram
) -> None:
    """Through `serve()` as `python -m bot` runs it: the first getUpdates comes before any menu
    or description is published, and the publishing still reaches every scope and a linked
    body's administrator (their own menu in the body's chat)."""
    import asyncio

    from bot.runner import serve
    from services.partnerships import set_administrator
    from storage import people
    from tests.fakebot import FakeChat, FakeUser
    from tests.fakebot.methods import scope_key

    import_example(services, "sof-2025-144.toml")
    chat, admin = FakeChat(-9100, "supergroup", "Styrgrupp"), FakeUser(5001, "Karin")
    fake_telegram.set_member_status(chat, admin, "administrator")
    with transaction(services.session_factory) as session:
        partnership = bodies.get_partnership_by_diarienummer(session, "SOF 2025/144")
        assert partnership is not None and partnership.id is not None
        body = bodies.get_body(session, partnership.id, "styrgrupp")
        assert body is not None
        body.chat_id = chat.id
        session.add(body)
        people.upsert_person(
            session,
            telegram_user_id=admin.id,
            first_name=admin.first_name,
            last_name=None,
            username=None,
            language_code="sv",
            now=services.now(),
        )
        set_administrator(session, "SOF 2025/144", admin.id, add=True)
    leader = (scope_key({"type": "chat_member", "chat_id": chat.id, "user_id": admin.id}), "")
    settings = make_settings(str(services.engine.url), fake_telegram.base_url)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, clock=clock, stop=stop, services=services))
    try:
        for _ in range(600):
            if leader in fake_telegram.commands or task.done():
                break
            await asyncio.sleep(0.05)
        if task.done():
            task.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert leader in fake_telegram.commands, "the administrator's menu was never published"
    methods = [method for method, _params in fake_telegram.requests]
    first_poll = methods.index("getUpdates")
    published = [
        i
        for i, method in enumerate(methods)
        if method
        in ("setMyCommands", "deleteMyCommands", "setMyDescription", "setMyShortDescription")
    ]
    assert published and min(published) > first_poll, methods[: first_poll + 3]
    # The first poll does not wait for updates: its answer is what lets the publishing begin.
    assert int(fake_telegram.requests[first_poll][1].get("timeout", 0)) == 0
    assert {"setMyDescription", "setMyShortDescription"} <= set(methods[first_poll:])


HEAVY = ("fpdf", "docx", "lxml", "matplotlib", "PIL", "fontTools", "xlsxwriter", "icalendar")


def test_starting_the_bot_imports_no_document_libraries(tmp_path: Path) -> None:
    """`import bot.app`, then what `python -m bot` does before it polls (the database opened at
    head, the application built with every handler): none of the libraries that build PDF,
    DOCX, XLSX, charts or calendar files is imported (each is imported where a file is built),
    nor Alembic for a database already at head, nor aiohttp without a web server."""
    import json
    import subprocess
    import sys

    from bot.app import make_services

    url = f"sqlite:///{tmp_path / 'head.sqlite3'}"
    make_services(make_settings(url)).engine.dispose()  # migrated here, at head there
    script = f"""
import json, sys
import bot.app
after_import = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
from bot.app import build_application, make_services
from tests.conftest import make_settings
settings = make_settings({url!r})
services = make_services(settings)
build_application(settings, services, updater=False)
import bot.runner
print(json.dumps({{
    "after_import": after_import,
    "after_build": sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})),
    "alembic": "alembic" in sys.modules,
    "aiohttp": "aiohttp" in sys.modules,
    "handlers": "handlers.reports" in sys.modules,
}}))
"""
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["handlers"]  # the handlers (and the views they use) were imported
    assert found["after_import"] == []
    assert found["after_build"] == []
    assert not found["alembic"]
    assert not found["aiohttp"]


def test_the_head_check_agrees_with_alembic(tmp_path: Path) -> None:
    """Start-up asks Alembic only when the database is not at head; the scripts' head it reads
    without Alembic is Alembic's own."""
    from storage.migrate import at_head, current_revision, head_revision, script_head, upgrade

    assert script_head() == head_revision()
    engine = make_engine(f"sqlite:///{tmp_path / 'check.sqlite3'}")
    assert not at_head(engine)  # no version table yet
    upgrade(engine, "0001")
    assert not at_head(engine)
    upgrade(engine)
    assert at_head(engine) and current_revision(engine) == script_head()
    engine.dispose()
