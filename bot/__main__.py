"""`python -m bot` runs the bot; `import FILE [--dry-run]` imports a partnership; `check`
checks an installation; `demo` shows the bot against a local fake Telegram."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import SettingsError, load_settings


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("Europe/Stockholm"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="IOP governance bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    imp = sub.add_parser("import", help="import or re-import a partnership file (TOML)")
    imp.add_argument("file")
    imp.add_argument(
        "--dry-run", action="store_true", help="show what would change, change nothing"
    )
    sub.add_parser("migrate", help="apply database migrations and exit")
    check = sub.add_parser("check", help="check settings, database, token, web address, files")
    check.add_argument("files", nargs="*", help="partnership files to validate")
    admin = sub.add_parser("admin", help="add an administrator to a partnership")
    admin.add_argument("action", choices=["add", "remove"])
    admin.add_argument("diarienummer")
    admin.add_argument("telegram_user_id", type=int)
    demo_cmd = sub.add_parser(
        "demo", help="try the bot in the terminal against a local fake Telegram (no token)"
    )
    demo_cmd.add_argument(
        "--at",
        type=_instant,
        help="start the demo's clock at this time (e.g. 2026-12-03T09:00, Stockholm time)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        # Needs no settings: a broken .env must not keep anyone from trying the bot.
        from bot.demo import main as demo

        return demo(args.at)

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from bot import cli

    try:
        if args.command == "import":
            return cli.import_file(settings, args.file, dry_run=args.dry_run)
        if args.command == "check":
            from bot.check import run_check

            return run_check(settings, args.files)
        if args.command == "migrate":
            return cli.migrate(settings)
        if args.command == "admin":
            return cli.admin(settings, args.action, args.diarienummer, args.telegram_user_id)
        return cli.run(settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
