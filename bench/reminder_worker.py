"""A bot process that only dispatches reminders: used by the restart test and the benchmark.

    python bench/reminder_worker.py --db sqlite:///x.sqlite3 --base-url http://127.0.0.1:PORT/bot

Runs `run_once` until nothing is due or claimed any more (``--until-idle``, the default), or
only once (``--once``: the start-up measurement), and prints one JSON line per event on stdout.
The reminders it sends are of kind ``bench.echo``, whose text carries the dedupe key.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram.constants import ParseMode  # noqa: E402
from telegram.ext import ApplicationBuilder, Defaults  # noqa: E402

from bot.app import make_rate_limiter, make_services  # noqa: E402
from bot.config import Settings  # noqa: E402
from delivery import renderers as reminder_texts  # noqa: E402
from delivery.dispatcher import ReminderDispatcher  # noqa: E402
from storage.runtime import system_clock  # noqa: E402

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
ECHO_KIND = "bench.echo"


def render_echo(payload: dict[str, Any], language: str, late: bool) -> str:
    return f"#{reminder_texts.escape(payload['key'])}"


reminder_texts.register(ECHO_KIND, render_echo)


def emit(event: str, **data: Any) -> None:
    print(json.dumps({"event": event, **data}), flush=True)


def rss_mb() -> float:
    """Peak resident set of this process image, in MB.

    /proc's VmHWM, not getrusage: ru_maxrss survives exec, so a child started from a big
    parent would report the parent's peak."""
    try:
        for text in Path("/proc/self/status").read_text().splitlines():
            if text.startswith("VmHWM:"):
                return int(text.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(args: argparse.Namespace) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=args.base_url,
        database_url=args.db,
        reminder_lease_seconds=args.lease,
        rate_limit_overall_per_second=args.rate,
        rate_limit_group_per_minute=args.group_rate,
    )
    services = make_services(settings, clock=system_clock)
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(args.base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(make_rate_limiter(settings))
        .build()
    )
    async with application:
        dispatcher = ReminderDispatcher(application.bot, services, instance=args.instance)
        emit("ready", seconds=time.perf_counter() - STARTED)
        totals: dict[str, int] = {}
        while True:
            report = await dispatcher.run_once()
            for name in ("claimed", "sent", "late", "failed", "uncertain", "released"):
                totals[name] = totals.get(name, 0) + getattr(report, name)
            if args.once:
                emit(
                    "started",
                    seconds=time.perf_counter() - STARTED,
                    rss_mb=rss_mb(),
                    next_due_at=report.next_due_at.isoformat() if report.next_due_at else None,
                )
                break
            if report.next_due_at is None:
                break
            wait = (report.next_due_at - services.now()).total_seconds()
            if wait > args.max_wait:
                break  # only future reminders are left
            await asyncio.sleep(min(max(wait, 0.05), 1.0))
        emit("done", seconds=time.perf_counter() - STARTED, rss_mb=rss_mb(), **totals)
    services.engine.dispose()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--instance", default=None)
    parser.add_argument("--lease", type=int, default=300)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--group-rate", type=int, default=20)
    parser.add_argument("--once", action="store_true", help="one run, then report start-up")
    parser.add_argument(
        "--max-wait", type=float, default=30.0, help="stop when the next due is further away"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
