"""`python -m bot check`: is this installation ready to run? One line per check, exit 0/1.

Settings, the database (reachable, migrated), the token (getMe), the web address where set
(`/healthz` through the operator's proxy, and Telegram's view of the webhook), and each
partnership file named on the command line (valid, and whether the database has it as written).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.config import Settings, SettingsError
from bot.logging_setup import redact

Report = Callable[[bool, str], None]


def run_check(settings: Settings, files: list[str], out: Callable[[str], None] = print) -> int:
    failures = 0

    def report(ok: bool, line: str) -> None:
        nonlocal failures
        failures += 0 if ok else 1
        out(("ok    " if ok else "FAIL  ") + redact(line, settings.telegram_bot_token))

    token_ok = _check_settings(settings, report)
    engine_ok = _check_database(settings, report)
    if token_ok:
        asyncio.run(_check_telegram(settings, report))
    if settings.public_url:
        _check_public_address(settings, report)
    for name in files:
        _check_file(settings, name, report, with_database=engine_ok)
    return 1 if failures else 0


def _check_settings(settings: Settings, report: Report) -> bool:
    try:
        settings.require_token()
        settings.require_web()
    except SettingsError as exc:
        report(False, f"settings: {exc}")
        return False
    where = f", web server on {settings.web_listen}:{settings.web_port}"
    report(
        True,
        f"settings: {settings.bot_mode} mode, time zone {settings.bot_timezone}, "
        f"language {settings.bot_language}" + (where if settings.web_enabled else ""),
    )
    return True


def _database_name(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


def _check_database(settings: Settings, report: Report) -> bool:
    from storage.db import make_engine
    from storage.migrate import current_revision, head_revision

    name = _database_name(settings)
    try:
        engine = make_engine(settings.database_url)
        current = current_revision(engine)
        engine.dispose()
    except Exception as exc:
        cause = getattr(exc, "orig", None) or exc
        report(False, f"database {name}: not reachable ({type(cause).__name__})")
        return False
    head = head_revision()
    if current == head:
        report(True, f"database {name}: reachable, migrated (revision {head})")
        return True
    if current is None:
        report(
            False,
            f"database {name}: reachable but empty; the bot migrates it at start "
            "(or run `python -m bot migrate`)",
        )
        return True
    report(
        False,
        f"database {name}: at revision {current}, this version needs {head}; the bot migrates "
        "at start (or run `python -m bot migrate`)",
    )
    return True


async def _check_telegram(settings: Settings, report: Report) -> None:
    bot = Bot(
        settings.telegram_bot_token.strip(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.file_base_url,
        request=HTTPXRequest(connect_timeout=10, read_timeout=10),
    )
    try:
        async with bot:
            me = bot.bot
            report(True, f"Telegram: token accepted (@{me.username})")
            if settings.bot_mode == "webhook":
                info = await bot.get_webhook_info()
                if info.url != settings.webhook_url:
                    report(
                        False,
                        f"Telegram webhook: set to {info.url or 'nothing'}, expected "
                        f"{settings.webhook_url} (the bot sets it at start)",
                    )
                elif info.last_error_message:
                    report(
                        False,
                        f"Telegram webhook: last delivery failed: {info.last_error_message}",
                    )
                else:
                    pending = info.pending_update_count
                    report(True, f"Telegram webhook: {info.url}, {pending} updates pending")
    except InvalidToken:
        report(False, "Telegram rejected the token; check TELEGRAM_BOT_TOKEN")
    except TelegramError as exc:
        cause = exc.__cause__
        report(False, f"Telegram: not reachable ({type(cause or exc).__name__})")


def _check_public_address(settings: Settings, report: Report) -> None:
    url = f"{settings.public_url}/healthz"
    try:
        response = httpx.get(url, timeout=10, follow_redirects=False)
    except httpx.HTTPError as exc:
        report(False, f"web address {url}: not reachable ({type(exc).__name__})")
        return
    if response.status_code == 200:
        report(True, f"web address {url}: answers")
    else:
        report(False, f"web address {url}: answered HTTP {response.status_code}")


def _check_file(settings: Settings, name: str, report: Report, *, with_database: bool) -> None:
    from governance.partnership_file import PartnershipFileError, load_partnership_file

    try:
        spec = load_partnership_file(name)
    except PartnershipFileError as exc:
        first = str(exc).splitlines()[0]
        report(False, f"file {name}: {first}")
        return
    except OSError as exc:
        report(False, f"file {name}: {exc.strerror}")
        return
    if not with_database:
        report(True, f"file {name}: valid ({spec.diarienummer})")
        return
    from services.partnerships import import_partnership
    from storage.db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    session = make_session_factory(engine)()
    try:
        from datetime import UTC, datetime

        changes = import_partnership(session, spec, now=datetime.now(UTC), dry_run=True)
    except Exception as exc:
        report(False, f"file {name}: valid, but comparing with the database failed ({exc})")
        return
    finally:
        session.rollback()
        session.close()
        engine.dispose()
    if not changes:
        report(True, f"file {name}: valid ({spec.diarienummer}), as imported")
    else:
        report(
            True,
            f"file {name}: valid ({spec.diarienummer}), {len(changes)} changes not imported yet "
            f"(`python -m bot import {Path(name)}`)",
        )
