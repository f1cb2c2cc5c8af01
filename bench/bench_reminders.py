"""Reminder benchmark: fan-out at Telegram's limits and above them, start-up cost, a SIGKILL.

    .venv/bin/python bench/bench_reminders.py [--repeat 3] [--only abcde]

Each figure is printed beside its baseline or ideal, measured in the same run; timed parts are
repeated, interleaved with their baseline, and shown as min / median:
  (a) at Telegram's default limits (30 messages/s overall, 20 a minute per group), 1 000 due
      reminders to 200 group chats: the dispatcher against the rate-limit optimum (1 000 / 30 s;
      target <= 1.05x) and against a raw send loop through the same limiter;
  (b) with a raised limit (paid broadcast, 1 000 msg/s), 10 000 due reminders to 2 000 chats:
      the dispatcher against a raw loop of bot.send_message calls through the same Bot, rate
      limiter and concurrency, with no database (target <= 1.15x);
  (c) start-up time and peak RSS of a dispatcher process with 100 000 future reminders in its
      database, beside the same process on an empty database (targets <= 2 s, <= 150 MB);
  (d) `python -m bot` with 1 000 partnerships: process start to its first getUpdates, and RSS
      then, beside the same with none (targets <= 2 s, <= 200 MB);
  (e) reminders lost and sent twice across a SIGKILL in the middle of a burst; each send's
      outcome is written as it returns, and a resend after the lease is marked as a possible
      repeat, so every repeat must be marked.

The fake Bot API server runs in a child process (so its CPU is not charged to the bot); the bot
side runs in this process exactly as in production: PTB's Bot over httpx with the rate limiter
`bot.app.make_rate_limiter` builds (RATE_LIMITER=ptb: PTB's AIORateLimiter, for comparison).
In (b) chat ids are positive (private chats), so only the overall limit applies.

Sends in flight in (b): 8 for both the raw loop and the dispatcher (the dispatcher's own
default is 64, sized for Telegram's real round trips). On loopback a request takes about a
millisecond, so 8 keep the client busy, and more only add connections that httpcore's pool scans
on every request (measured here: the raw loop at 64 in flight is ~40% slower than at 8). (a) uses
the dispatcher's default.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram.constants import ParseMode  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, Defaults  # noqa: E402

from bot.app import make_rate_limiter, make_services  # noqa: E402
from bot.config import Settings  # noqa: E402
from delivery import renderers as reminder_texts  # noqa: E402
from delivery.dispatcher import ReminderDispatcher  # noqa: E402
from storage import reminders as repo  # noqa: E402
from storage.db import make_engine, make_session_factory, transaction  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.reminders import ReminderSpec  # noqa: E402
from storage.runtime import system_clock  # noqa: E402

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
WORKER = ROOT / "bench" / "reminder_worker.py"
FIRST_CHAT = 10_000
ECHO_KIND = "bench.echo"  # as in reminder_worker.py: the text carries the dedupe key


def render_echo(payload: dict[str, Any], language: str, late: bool) -> str:
    return f"#{reminder_texts.escape(payload['key'])}"


reminder_texts.register(ECHO_KIND, render_echo)


# -- the fake server, in a child process --------------------------------------------------------


async def serve_fake(chats: int) -> None:
    """Child mode: run FakeTelegram, answer "stats" / "reset" / "polls" lines on stdin."""
    from tests.fakebot import FakeChat, FakeTelegram

    class Fake(FakeTelegram):
        polls: list[float] = []

        async def _process(self, method: str, params: Any, files: Any, request: Any) -> Any:
            if method == "getUpdates":
                self.polls.append(time.time())
            return await super()._process(method, params, files, request)

    fake = Fake()
    await fake.start()
    for n in range(chats):
        fake.add_chat(FakeChat(FIRST_CHAT + n, "private", f"U{n}"))
        fake.add_chat(FakeChat(-(FIRST_CHAT + n), "group", f"G{n}"))
    # Telegram answers 429 to a group's 21st message in a minute.
    fake.rate_limit_per_chat_per_minute = 20
    print(json.dumps({"port": fake.port}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "stats":
            # The key is the first line; a resend after a crash carries a note under it.
            keys = [(m.text or "").split("\n")[0] for m in fake.sent]
            texts = Counter(keys)
            seen: set[str] = set()
            unmarked = marked = 0
            for key, message in zip(keys, fake.sent, strict=True):
                is_marked = "\n" in (message.text or "")
                marked += is_marked
                unmarked += key in seen and not is_marked
                seen.add(key)
            answer = {
                "sent": len(fake.sent),
                "distinct": len(texts),
                "twice": sum(n - 1 for n in texts.values() if n > 1),
                "marked": marked,
                "unmarked_repeats": unmarked,
                "errors": len(fake.errors),
                "throttled": len(fake.throttled),
                "violations": len(fake.violations),
            }
            print(json.dumps(answer), flush=True)
        elif line == "polls":
            print(json.dumps({"polls": fake.polls}), flush=True)
            fake.polls.clear()
        elif line == "reset":
            fake.polls.clear()
            fake._send_times.clear()
            fake.throttled.clear()
            fake.sent.clear()
            fake.requests.clear()
            fake.messages.clear()
            fake.errors.clear()
            print(json.dumps({"ok": True}), flush=True)
    await fake.stop()


class FakeServer:
    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}/bot"

    @classmethod
    async def start(cls, chats: int) -> FakeServer:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve-fake",
            str(chats),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        port = json.loads(await process.stdout.readline())["port"]
        return cls(process, port)

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        return json.loads(await self.process.stdout.readline())  # type: ignore[no-any-return]

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            self.process.kill()


# -- helpers ------------------------------------------------------------------------------------


def settings_for(db_url: str, base_url: str, rate: float) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=base_url,
        database_url=db_url,
        rate_limit_overall_per_second=rate,
        rate_limiter=os.environ.get("RATE_LIMITER", "telegram"),
    )


def build_app(settings: Settings) -> Application:  # type: ignore[type-arg]
    """As bot.app.build_application builds it, without the handlers."""
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(settings.telegram_api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(make_rate_limiter(settings))
        .build()
    )


def echo_specs(
    count: int, chats: int, due: datetime, prefix: str, *, groups: bool = False
) -> list[ReminderSpec]:
    sign = -1 if groups else 1
    specs = []
    for i in range(count):
        key = f"{prefix}:{i}"
        specs.append(
            ReminderSpec(
                kind=ECHO_KIND,
                source=f"{prefix}:{i % chats}",
                dedupe_key=key,
                chat_id=sign * (FIRST_CHAT + i % chats),
                due_at=due,
                payload={"key": key},
            )
        )
    return specs


def fill(db_url: str, specs: list[ReminderSpec], now: datetime) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    for start in range(0, len(specs), 5000):
        with transaction(factory) as session:
            repo.schedule(session, specs[start : start + 5000], now=now)
    engine.dispose()


def line(label: str, value: str, beside: str) -> None:
    print(f"  {label:<44} {value:>14}   {beside}")


def seconds(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} s"


# -- (a), (b) fan-out ------------------------------------------------------------------------------


async def raw_loop(
    fake: FakeServer, settings: Settings, count: int, chats: int, sign: int, concurrency: int
) -> tuple[float, dict[str, Any]]:
    """The baseline: bot.send_message in a loop through the same Bot and limiter, no database."""
    app = build_app(settings)
    async with app:
        semaphore = asyncio.Semaphore(concurrency)

        async def send(i: int) -> None:
            async with semaphore:
                await app.bot.send_message(sign * (FIRST_CHAT + i % chats), f"#raw:{i}")

        started = time.perf_counter()
        await asyncio.gather(*(send(i) for i in range(count)))
        elapsed = time.perf_counter() - started
    stats = await fake.ask("stats")
    await fake.ask("reset")
    return elapsed, stats


async def dispatch(
    fake: FakeServer,
    work: Path,
    settings: Settings,
    specs: list[ReminderSpec],
    concurrency: int | None,
    name: str,
) -> tuple[float, dict[str, Any], dict[str, int]]:
    """The dispatcher sending every due reminder of a fresh database."""
    db_url = f"sqlite:///{work / (name + '.sqlite3')}"
    fill(db_url, specs, datetime.now(UTC))
    settings = settings.model_copy(update={"database_url": db_url})
    services = make_services(settings, clock=system_clock)
    app = build_app(settings)
    extra = {} if concurrency is None else {"concurrency": concurrency}
    async with app:
        dispatcher = ReminderDispatcher(app.bot, services, instance="bench", **extra)
        started = time.perf_counter()
        while True:
            report = await dispatcher.run_once()
            if report.next_due_at is None or report.next_due_at > datetime.now(UTC):
                break
        elapsed = time.perf_counter() - started
    with transaction(services.session_factory) as session:
        states = repo.count_by_state(session)
    services.engine.dispose()
    stats = await fake.ask("stats")
    await fake.ask("reset")
    return elapsed, stats, states


async def bench_default_limits(fake: FakeServer, work: Path, args: argparse.Namespace) -> None:
    count, chats = args.group_reminders, args.group_chats
    rate, per_group = 30.0, 20
    # Telegram allows 30 in any second: the last of `count` messages can go out at
    # ceil(count / 30) - 1 s, and no group gets more than 20 in a minute.
    per_chat = math.ceil(count / chats)
    optimum = max(math.ceil(count / rate) - 1, (math.ceil(per_chat / per_group) - 1) * 60.0)
    print(
        f"(a) {count} due reminders to {chats} group chats at Telegram's default limits "
        f"({rate:.0f}/s overall, {per_group}/min per group), {args.repeat} repeats interleaved"
    )
    settings = settings_for(f"sqlite:///{work / 'unused.sqlite3'}", fake.base_url, rate)
    raw: list[float] = []
    disp: list[float] = []
    last: dict[str, Any] = {}
    for rep in range(args.repeat):
        elapsed, _stats = await raw_loop(fake, settings, count, chats, -1, 64)
        raw.append(elapsed)
        specs = echo_specs(
            count, chats, datetime.now(UTC) - timedelta(seconds=5), f"grp{rep}", groups=True
        )
        elapsed, stats, states = await dispatch(fake, work, settings, specs, None, f"grp{rep}")
        disp.append(elapsed)
        last = {"stats": stats, "states": states}
    med = statistics.median(disp)
    line("rate-limit optimum", f"{optimum:.2f} s", "30 in any second, 20 a minute per group")
    line(
        "raw send loop through the limiter",
        seconds(raw),
        f"{statistics.median(raw) / optimum:.2f}x optimum",
    )
    line(
        "dispatcher",
        seconds(disp),
        f"{med / optimum:.2f}x optimum (target <= 1.05)",
    )
    stats = last["stats"]
    line(
        "sent / distinct / twice / 429s (last run)",
        f"{stats['sent']}/{stats['distinct']}/{stats['twice']}/{stats['throttled']}",
        f"rows {last['states']}",
    )


async def bench_fanout(fake: FakeServer, work: Path, args: argparse.Namespace) -> None:
    count, chats, rate = args.reminders, args.chats, args.rate
    ideal = count / rate
    print(
        f"(b) {count} due reminders to {chats} chats, rate limit {rate:.0f} msg/s, "
        f"concurrency {args.concurrency}, {args.repeat} repeats interleaved"
    )
    settings = settings_for(f"sqlite:///{work / 'unused.sqlite3'}", fake.base_url, rate)
    raw: list[float] = []
    disp: list[float] = []
    last: dict[str, Any] = {}
    for rep in range(args.repeat):
        elapsed, raw_stats = await raw_loop(fake, settings, count, chats, 1, args.concurrency)
        raw.append(elapsed)
        specs = echo_specs(count, chats, datetime.now(UTC) - timedelta(seconds=5), f"fan{rep}")
        elapsed, stats, states = await dispatch(
            fake, work, settings, specs, args.concurrency, f"fan{rep}"
        )
        disp.append(elapsed)
        last = {"stats": stats, "states": states, "raw": raw_stats}
    raw_med, disp_med = statistics.median(raw), statistics.median(disp)
    line("ideal (the rate limit)", f"{ideal:.2f} s", f"{count / ideal:.0f} msg/s" if ideal else "")
    line(
        "raw send loop, no database (baseline)",
        seconds(raw),
        f"{count / raw_med:.0f} msg/s, {raw_med / ideal:.2f}x ideal",
    )
    line(
        "dispatcher (claim, send, record)",
        seconds(disp),
        f"{count / disp_med:.0f} msg/s, {disp_med / ideal:.2f}x ideal",
    )
    pairs = [d / r for d, r in zip(disp, raw, strict=True)]
    line(
        "dispatcher / raw loop",
        f"{min(pairs):.2f} / {statistics.median(pairs):.2f}",
        "per interleaved pair, min / median (target <= 1.15)",
    )
    stats = last["stats"]
    line(
        "sent / distinct / twice (last run)",
        f"{stats['sent']}/{stats['distinct']}/{stats['twice']}",
        f"rows {last['states']}",
    )


# -- (c), (d) start-up -------------------------------------------------------------------------------


async def run_worker(db_url: str, base_url: str, *extra: str) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        "--db",
        db_url,
        "--base-url",
        base_url,
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(err.decode()[-2000:])
    return [json.loads(x) for x in out.decode().splitlines() if x.startswith("{")]


async def bench_startup(fake: FakeServer, work: Path, args: argparse.Namespace) -> None:
    count = args.future
    print(
        f"(c) start-up with {count} future reminders (process start to first dispatch done), "
        f"{args.repeat} repeats interleaved"
    )
    now = datetime.now(UTC)
    empty = f"sqlite:///{work / 'empty.sqlite3'}"
    full = f"sqlite:///{work / 'full.sqlite3'}"
    fill(empty, [], now)
    filling = time.perf_counter()
    fill(full, echo_specs(count, args.chats, now + timedelta(days=30), "future"), now)
    filled = time.perf_counter() - filling
    bases, loads = [], []
    for _ in range(args.repeat):
        bases.append((await run_worker(empty, fake.base_url, "--once"))[-2])
        loads.append((await run_worker(full, fake.base_url, "--once"))[-2])
    line(
        "empty database (baseline)",
        seconds([b["seconds"] for b in bases]),
        f"peak RSS {statistics.median([b['rss_mb'] for b in bases]):.0f} MB",
    )
    line(
        f"{count} future reminders",
        seconds([x["seconds"] for x in loads]),
        f"peak RSS {statistics.median([x['rss_mb'] for x in loads]):.0f} MB "
        "(targets <= 2 s, <= 150 MB)",
    )
    line("(scheduling them took)", f"{filled:.2f} s", f"{count / filled:.0f} rows/s via schedule()")


async def first_poll(fake: FakeServer, db_url: str) -> tuple[float, float]:
    """`python -m bot` started as production starts it: seconds to its first getUpdates, and
    its peak RSS (MB) by then."""
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        DATABASE_URL=db_url,
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.environ.get("BENCH_BOT_ROOT") or str(ROOT),
    )
    await fake.ask("reset")
    started = time.time()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        while True:  # another process: there is no event to wait on
            polls = (await fake.ask("polls"))["polls"]
            if polls:
                rss = _peak_rss(process.pid)
                return polls[0] - started, rss
            if process.returncode is not None or time.time() - started > 300:
                err = await process.stderr.read() if process.stderr else b""
                raise RuntimeError(f"the bot did not poll: {err.decode()[-2000:]}")
            await asyncio.sleep(0.01)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()


def _peak_rss(pid: int) -> float:
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1]) / 1024
    return float("nan")


async def bench_partnerships(fake: FakeServer, work: Path, args: argparse.Namespace) -> None:
    from loadkit import import_examples

    count = args.partnerships
    print(
        f"(d) python -m bot with {count} partnerships: start to first getUpdates, "
        f"{args.repeat} repeats interleaved"
    )
    empty = f"sqlite:///{work / 'no-partnerships.sqlite3'}"
    full = f"sqlite:///{work / 'partnerships.sqlite3'}"
    fill(empty, [], datetime.now(UTC))
    importing = time.perf_counter()
    import_examples(full, copies=max(1, count // 2))
    imported = time.perf_counter() - importing
    bases, loads = [], []
    for _ in range(args.repeat):
        bases.append(await first_poll(fake, empty))
        loads.append(await first_poll(fake, full))
    line(
        "no partnerships (baseline)",
        seconds([b[0] for b in bases]),
        f"peak RSS {statistics.median([b[1] for b in bases]):.0f} MB",
    )
    line(
        f"{count} partnerships",
        seconds([x[0] for x in loads]),
        f"peak RSS {statistics.median([x[1] for x in loads]):.0f} MB (targets <= 2 s, <= 200 MB)",
    )
    line("(importing them took)", f"{imported:.1f} s", "")


# -- (e) SIGKILL ----------------------------------------------------------------------------------


async def bench_kill(fake: FakeServer, work: Path, args: argparse.Namespace) -> None:
    count, rate = args.burst, args.burst_rate
    print(f"(e) SIGKILL mid-burst: {count} reminders at {rate:.0f} msg/s, lease 3 s, restart")
    db_url = f"sqlite:///{work / 'kill.sqlite3'}"
    now = datetime.now(UTC)
    fill(db_url, echo_specs(count, args.chats, now - timedelta(seconds=1), "kill"), now)
    common = ("--rate", str(rate), "--lease", "3")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        "--db",
        db_url,
        "--base-url",
        fake.base_url,
        *common,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    while True:  # polling another process: there is no event to wait on
        if (await fake.ask("stats"))["sent"] >= count * 0.4:
            break
        await asyncio.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    at_kill = await fake.ask("stats")
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        states_at_kill = repo.count_by_state(session)
    restarted = time.perf_counter()
    await run_worker(db_url, fake.base_url, *common)
    took = time.perf_counter() - restarted
    final = await fake.ask("stats")
    with transaction(factory) as session:
        states = repo.count_by_state(session)
    engine.dispose()
    lost = count - final["distinct"]
    line("sent when killed", f"{at_kill['sent']}", f"rows then: {states_at_kill}")
    line("lost (target 0)", f"{lost}", f"rows now: {states}")
    line(
        "sent twice",
        f"{final['twice']}",
        f"at most the {states_at_kill.get('claimed', 0)} claimed (in flight) when killed",
    )
    line(
        "repeats not marked (target 0)",
        f"{final['unmarked_repeats']}",
        f"{final['marked']} sends marked as possible repeats after the restart",
    )
    line("restart to all sent", f"{took:.2f} s", "includes waiting out the 3 s lease")
    await fake.ask("reset")


async def main(args: argparse.Namespace) -> None:
    from loadkit import machine

    print(__doc__.split("\n\n")[0].strip().splitlines()[0])
    print(f"machine: {machine()}")
    fake = await FakeServer.start(max(args.chats, args.group_chats))
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
            work = Path(tmp)
            if "a" in args.only:
                await bench_default_limits(fake, work, args)
            if "b" in args.only:
                await bench_fanout(fake, work, args)
            if "c" in args.only:
                await bench_startup(fake, work, args)
            if "d" in args.only:
                await bench_partnerships(fake, work, args)
            if "e" in args.only:
                await bench_kill(fake, work, args)
    finally:
        await fake.stop()
    print(
        f"total {time.perf_counter() - started:.1f} s (python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs)"
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve-fake", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--group-reminders", type=int, default=1_000)
    parser.add_argument("--group-chats", type=int, default=200)
    parser.add_argument("--partnerships", type=int, default=1_000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=1_000.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--future", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=2_000)
    parser.add_argument("--burst-rate", type=float, default=200.0)
    parser.add_argument("--only", default="abcde", help="which parts to run, e.g. 'a' or 'bc'")
    parser.add_argument("--tiny", action="store_true", help="a smoke run for the test suite")
    args = parser.parse_args(argv)
    if args.tiny:
        args.repeat, args.group_reminders, args.group_chats = 1, 70, 10
        args.reminders, args.chats, args.future, args.partnerships = 200, 50, 500, 4
        args.burst = 200
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve_fake is not None:
        asyncio.run(serve_fake(arguments.serve_fake))
    else:
        asyncio.run(main(arguments))
