"""`python -m bot check`: one line per check, exit 0 when ready, 1 when not (issue 15 item 7)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, TOKEN
from tests.fakebot import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


async def bot_command(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.slow
async def test_check_reports_each_part_in_one_line(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake_telegram.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    }
    bad = tmp_path / "bad.toml"
    bad.write_text('diarienummer = "X"\n', encoding="utf-8")
    example = str(EXAMPLES / "sof-2025-144.toml")

    code, out = await bot_command(env, tmp_path, "check", example)
    assert code == 1, out
    assert "FAIL  database" in out and "empty" in out

    code, out = await bot_command(env, tmp_path, "import", example)
    assert code == 0, out
    code, out = await bot_command(env, tmp_path, "check", example)
    lines = out.strip().splitlines()
    assert code == 0, out
    assert [line.split()[0] for line in lines] == ["ok"] * 4, out
    assert lines[0].startswith("ok    settings: polling mode")
    assert "migrated" in lines[1]
    assert "token accepted (@iop_test_bot)" in lines[2]
    assert "SOF 2025/144), as imported" in lines[3]

    fake_telegram.fail_next("getMe", error_code=401, description="Unauthorized")
    code, out = await bot_command(env, tmp_path, "check", str(bad))
    assert code == 1, out
    assert "FAIL  Telegram rejected the token; check TELEGRAM_BOT_TOKEN" in out
    assert f"FAIL  file {bad}:" in out
    assert TOKEN not in out and TOKEN.split(":")[1] not in out

    env["BOT_MODE"] = "webhook"
    code, out = await bot_command(env, tmp_path, "check")
    assert code == 1
    assert "PUBLIC_URL" in out
