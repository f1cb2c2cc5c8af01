"""`python -m bot` as an operator runs it: migrations, long polling, an answer, a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.fakebot import FakeChat, FakeUser

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
async def test_the_bot_process_answers_and_never_logs_the_token(
    fake_telegram, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        user = FakeUser(3001, "Karin")
        # Wait until the process polls, then talk to it in private.
        for _ in range(300):
            if any(method == "getUpdates" for method, _params in fake_telegram.requests):
                break
            await asyncio.sleep(0.05)
        fake_telegram.send_text(user, FakeChat.private(user), "/hjalp")
        answer = await fake_telegram.wait_for(lambda m: m.chat_id == user.id, timeout=20)
        assert "/hjalp" in answer.plain
        # The menus are published once polling runs, beside the first updates.
        for _ in range(300):
            if any(method == "setMyCommands" for method, _params in fake_telegram.requests):
                break
            await asyncio.sleep(0.05)
        assert any(method == "setMyCommands" for method, _params in fake_telegram.requests)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    log = err.decode()
    assert process.returncode == 0, log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "/hjalp" not in log  # no message content at INFO
    assert (tmp_path / "run.sqlite3").exists()
