"""What the command line does, kept apart from argument parsing."""

from __future__ import annotations

import logging
import sys

from bot.app import make_services
from bot.config import Settings
from bot.logging_setup import configure_logging
from storage.db import make_engine, transaction
from storage.migrate import upgrade

log = logging.getLogger("bot")


def run(settings: Settings) -> int:
    import asyncio

    from bot.poller import TokenRejected
    from bot.runner import TOKEN_REJECTED, StartupFailed, serve

    token = settings.require_token()
    settings.require_web()
    configure_logging(settings.log_level, token)
    try:
        asyncio.run(serve(settings))
    except TokenRejected:
        print(TOKEN_REJECTED, file=sys.stderr)
        return 2
    except StartupFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def migrate(settings: Settings) -> int:
    configure_logging(settings.log_level)
    upgrade(make_engine(settings.database_url))
    print("database is at the newest revision")
    return 0


def import_file(settings: Settings, path: str, *, dry_run: bool) -> int:
    from governance.partnership_file import PartnershipFileError, load_partnership_file
    from services.partnerships import import_partnership

    configure_logging("WARNING")
    try:
        spec = load_partnership_file(path)
    except PartnershipFileError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{path}: {exc.strerror}", file=sys.stderr)
        return 1
    services = make_services(settings)
    with transaction(services.session_factory) as session:
        changes = import_partnership(session, spec, now=services.now(), dry_run=dry_run)
        if dry_run:
            session.rollback()
    if not changes:
        print(f"{spec.diarienummer}: no changes")
    else:
        verb = "would change" if dry_run else "changed"
        print(f"{spec.diarienummer}: {verb}:")
        for line in changes:
            print(f"  {line}")
    return 0


def admin(settings: Settings, action: str, diarienummer: str, telegram_user_id: int) -> int:
    from services.partnerships import set_administrator

    services = make_services(settings)
    with transaction(services.session_factory) as session:
        message = set_administrator(session, diarienummer, telegram_user_id, add=action == "add")
    print(message)
    return 0
