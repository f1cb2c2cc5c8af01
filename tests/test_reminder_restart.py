"""A dispatcher process killed mid-burst and started again: nothing lost, little repeated,
and every repeat marked as one.

Crash semantics (README "Delivery"): each send's outcome is written as soon as it returns, so
only the sends in flight at the kill can go out twice; they are resent after the lease marked
"(may have been sent before)".

The fake Bot API server runs in the test's event loop; the dispatcher is a separate Python
process (bench/reminder_worker.py) reaching it over HTTP, on a SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from delivery.renderers import REPEAT_NOTE
from i18n import t
from storage import reminders as repo
from storage.db import make_engine, make_session_factory, transaction
from storage.migrate import upgrade
from storage.reminders import ReminderSpec
from tests.fakebot import FakeChat, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bench" / "reminder_worker.py"
CHATS = 40
PER_CHAT = 10


async def start_worker(db_url: str, base_url: str, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        "--db",
        db_url,
        "--base-url",
        base_url,
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def events(process: asyncio.subprocess.Process, timeout: float) -> list[dict[str, Any]]:  # noqa: ASYNC109
    """Waits for the process to end and returns its JSON lines."""
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        raise
    assert process.returncode == 0, err.decode()[-3000:]
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


@pytest.mark.slow
async def test_killed_mid_burst_then_restarted_loses_nothing(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    chats = [FakeChat(8000 + n, "private", f"U{n}") for n in range(CHATS)]
    for chat in chats:
        fake_telegram.add_chat(chat)
    db_url = f"sqlite:///{tmp_path / 'restart.sqlite3'}"
    engine = make_engine(db_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    keys = [f"burst:{chat.id}:{i}" for chat in chats for i in range(PER_CHAT)]
    with transaction(factory) as session:
        repo.schedule(
            session,
            [
                ReminderSpec(
                    kind="bench.echo",
                    source="burst",
                    dedupe_key=key,
                    chat_id=int(key.split(":")[1]),
                    due_at=now - timedelta(seconds=1),
                    payload={"key": key},
                )
                for key in keys
            ],
            now=now,
        )

    # 100 messages a second: the burst of 400 takes about four seconds, long enough to kill.
    first = await start_worker(db_url, fake_telegram.base_url, "--rate", "100", "--lease", "3")
    deadline = asyncio.get_running_loop().time() + 30
    while len(fake_telegram.sent) < 120:
        assert first.returncode is None, "the worker ended before it could be killed"
        assert asyncio.get_running_loop().time() < deadline, fake_telegram.dump()[-2000:]
        await asyncio.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    sent_before_restart = len(fake_telegram.sent)
    with transaction(factory) as session:
        states_at_kill = repo.count_by_state(session)
    in_flight = states_at_kill.get("claimed", 0)
    assert 0 < sent_before_restart < len(keys), "killed mid-burst"
    assert states_at_kill.get("pending", 0) > 0

    second = await start_worker(db_url, fake_telegram.base_url, "--rate", "100", "--lease", "3")
    done = await events(second, timeout=60)
    assert done[-1]["event"] == "done"

    note = t("sv", REPEAT_NOTE)
    first_send: dict[str, int] = {}
    unmarked_repeats = []
    for index, message in enumerate(fake_telegram.sent):
        key = message.plain.split("\n")[0].lstrip("#")
        if key in first_send and not message.plain.endswith(note):
            unmarked_repeats.append(key)
        first_send.setdefault(key, index)
    delivered = Counter(m.plain.split("\n")[0].lstrip("#") for m in fake_telegram.sent)
    lost = [key for key in keys if delivered[key] == 0]
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    assert lost == []
    assert set(delivered) == set(keys)
    # Only rows claimed but not yet recorded as sent when the process died can go out twice,
    # and the chat sees each such repeat marked as a possible repeat.
    assert duplicates <= in_flight
    assert unmarked_repeats == []
    with transaction(factory) as session:
        assert repo.count_by_state(session) == {"sent": len(keys)}
    engine.dispose()
