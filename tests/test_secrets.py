"""The token never shows, whatever fails; failures an operator meets read as one line each
(issue 15 item 4, RELIABILITY 21)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from telegram.error import RetryAfter

from bot.logging_setup import configure_logging
from tests.conftest import TOKEN
from tests.fakebot import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
SECRET = TOKEN.split(":")[1]


def bot_env(base_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def assert_no_token(text: str) -> None:
    assert TOKEN not in text
    assert SECRET not in text


@pytest.mark.slow
async def test_a_rejected_token_is_one_line_and_exit_2(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake_telegram.fail_next("getMe", error_code=401, description="Unauthorized")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=bot_env(fake_telegram.base_url, tmp_path, LOG_LEVEL="WARNING"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode() + err.decode()
    assert process.returncode == 2, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines == ["Telegram rejected the token; check TELEGRAM_BOT_TOKEN"], text
    assert_no_token(text)


@pytest.mark.slow
async def test_no_network_at_start_is_one_line_per_attempt_then_it_connects(
    tmp_path: Path,
) -> None:
    fake = FakeTelegram()
    await fake.start()
    port = fake.port
    await fake.stop()  # nothing listens there now: the network is "down"
    log = tmp_path / "bot.log"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=bot_env(f"http://127.0.0.1:{port}/bot", tmp_path),
        stdout=log.open("wb"),
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        # Two failed attempts (1 s, then 2 s apart), however slowly this machine starts it.
        for _ in range(1200):
            if log.read_text().count("connecting to Telegram failed") >= 2:
                break
            await asyncio.sleep(0.05)
        later = FakeTelegram(port=port)
        await later.start()
        try:
            for _ in range(600):
                if any(method == "getUpdates" for method, _ in later.requests):
                    break
                await asyncio.sleep(0.05)
            assert any(method == "getUpdates" for method, _ in later.requests)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
            await later.stop()
    finally:
        if process.returncode is None:
            process.kill()
    text = log.read_text()
    assert process.returncode == 0, text
    assert "Traceback" not in text
    assert_no_token(text)
    failures = [line for line in text.splitlines() if "connecting to Telegram failed" in line]
    assert len(failures) >= 2, text
    assert "trying again in 1 s" in failures[0] and "trying again in 2 s" in failures[1]
    assert all(len(line) < 200 for line in failures)
    assert "connected to Telegram as @" in text


def test_uncaught_exceptions_are_logged_with_the_token_redacted(tmp_path: Path) -> None:
    program = f"""
import asyncio, logging, threading
from bot.logging_setup import configure_logging
configure_logging("INFO", {TOKEN!r})
def fail():
    raise RuntimeError("calling https://api.telegram.org/bot{TOKEN}/getMe failed")
t = threading.Thread(target=fail); t.start(); t.join()
async def main():
    asyncio.get_running_loop().set_exception_handler(
        __import__("bot.logging_setup").logging_setup.asyncio_exception_handler)
    task = asyncio.ensure_future(asyncio.sleep(0))
    asyncio.get_running_loop().call_exception_handler(
        {{"message": "task failed", "exception": ValueError("{TOKEN}")}})
    await task
asyncio.run(main())
try:
    fail()
except RuntimeError:
    logging.getLogger("telegram.ext.Application").exception("No error handlers are registered")
fail()
"""
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    text = result.stdout + result.stderr
    assert result.returncode == 1
    assert_no_token(text)
    # Four tracebacks, each with the token replaced: a thread, asyncio, a logged one, the main.
    assert text.count("<token>") >= 4, text
    assert text.count("Traceback") >= 3, text


async def test_a_429_is_one_warning_line(
    fake_telegram: FakeTelegram, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.app import build_application, make_services
    from tests.conftest import make_settings

    settings = make_settings(f"sqlite:///{tmp_path / 'b.sqlite3'}", fake_telegram.base_url)
    services = make_services(settings)
    app = build_application(settings, services, with_dispatcher=False)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("INFO", TOKEN)
        async with app:
            capsys.readouterr()
            fake_telegram.fail_next("sendMessage", retry_after=7)
            with pytest.raises(RetryAfter):
                await app.bot.send_message(chat_id=42, text="hej")
        err = capsys.readouterr().err
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        services.engine.dispose()
    lines = [line for line in err.splitlines() if line.strip() and "Application" not in line]
    assert len(lines) == 1, err
    assert "WARNING" in lines[0] and "429" in lines[0] and "retry after 7" in lines[0]
    assert "Traceback" not in err
