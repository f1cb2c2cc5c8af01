"""The logs never hold the bot token (RELIABILITY 21)."""

from __future__ import annotations

import logging

import pytest

from bot.logging_setup import configure_logging
from tests.conftest import TOKEN


def test_token_is_redacted_and_httpx_is_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("INFO", TOKEN)
        logging.getLogger("httpx").info("HTTP Request: POST https://x/bot%s/getMe", TOKEN)
        logging.getLogger("bot").warning("failed at https://x/bot%s/sendMessage", TOKEN)
        logging.getLogger("bot").error("other token 999999:%s", "A" * 35)
        err = capsys.readouterr().err
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    assert TOKEN not in err
    assert "A" * 35 not in err
    assert "HTTP Request" not in err  # httpx request lines (which carry the URL) are not logged
    assert err.count("<token>") == 2


async def test_a_second_poller_is_told_clearly(caplog: pytest.LogCaptureFixture) -> None:
    from types import SimpleNamespace

    from telegram.error import Conflict

    from handlers.errors import on_error

    with caplog.at_level(logging.INFO):
        await on_error(None, SimpleNamespace(error=Conflict("terminated by other getUpdates")))  # type: ignore[arg-type]
    assert "Another bot process is already polling" in caplog.text
    assert "webhook mode" in caplog.text
