"""`python -m bot` runs the bot; `import FILE [--dry-run]` imports a partnership; `check`
checks an installation; `demo` shows the bot against a local fake Telegram."""

from __future__ import annotations

import argparse
import sys

from bot.config import SettingsError, load_settings


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
    args = parser.parse_args(argv)

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
