"""Settings: defaults, and one clear line for a missing or malformed token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent


def test_defaults() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite:///./data/")
    assert settings.bot_timezone == "Europe/Stockholm"
    assert settings.bot_language == "sv"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert "token" not in repr(settings).lower() or "telegram_bot_token" not in repr(settings)


@pytest.mark.parametrize(
    "token", ["", "   ", "abc", "123:short", "notdigits:abcdefghijklmnopqrstuvwxyz"]
)
def test_bad_token_is_one_clear_error(token: str) -> None:
    settings = Settings(_env_file=None, telegram_bot_token=token)  # type: ignore[call-arg]
    with pytest.raises(SettingsError) as info:
        settings.require_token()
    assert "TELEGRAM_BOT_TOKEN" in str(info.value)
    assert "\n" not in str(info.value)


def test_file_url_follows_a_self_hosted_base_url() -> None:
    settings = Settings(_env_file=None, telegram_api_base_url="http://127.0.0.1:8081/bot")  # type: ignore[call-arg]
    assert settings.file_base_url == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "nonsense"}, "does not look like a bot token"),
        (
            {
                "TELEGRAM_BOT_TOKEN": "123456:abcdefghijklmnopqrstuvwxyz",
                "BOT_TIMEZONE": "Mars/Base",
            },
            "BOT_TIMEZONE",
        ),
    ],
)
def test_running_without_a_good_setting_prints_one_line(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
