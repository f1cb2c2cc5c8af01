"""Interactive benchmark: the bot's everyday mix through the real Application, beside an echo bot.

    .venv/bin/python bench/bench_interactive.py [--repeat 3] [--duration 5] [--profile DIR]

The mix: 60 % notes (/anteckning during a meeting in session: a reaction acknowledges them),
20 % RSVP presses on a published kallelse (answered, the kallelse edited), 10 % /moten and 10 %
/beslutslogg (a reply each), spread over governed group chats with three confirmed members each.
The same sequence of updates goes to a bare PTB echo bot (`bench/echo_bot.py`: echoes text,
answers presses) on its own fake server: the baseline. Every bot is its own process started as
production starts it (`python -m bot`, long polling); the fake servers run in this process.

For each target (echo; the bot on SQLite; the bot on PostgreSQL where it answers), interleaved
and repeated, it measures:
  - saturation: K updates queued at once, throughput = K / time until the last is acknowledged;
  - latency at 25, 50, 100 and 200 updates/s offered (uniform arrivals for --duration seconds):
    p50 and p99 from queueing the update to the bot's acknowledgement reaching the server.
Targets (issue 16): throughput >= 0.5x the echo bot's; p99 <= 50 ms at 100 updates/s.
The rate limiter's limits are raised for this benchmark (it measures the bot, not Telegram's
flood limits: see bench_meeting.py for those).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadkit import (
    CHAIR,
    BotProcess,
    Driver,
    GovernedChat,
    TimedFake,
    database,
    governed_chats,
    import_examples,
    machine,
    min_median,
    ms,
    percentile,
    postgres_unavailable,
)

NOTE_TEXT = "/anteckning Rad {n}: samverkan kring nattplatser och öppettider följs upp i januari"
FAST_LIMITS = {"RATE_LIMIT_OVERALL_PER_SECOND": "100000", "RATE_LIMIT_GROUP_PER_MINUTE": "1000000"}


@dataclass
class Target:
    name: str
    fake: TimedFake
    bot: BotProcess
    chats: list[GovernedChat]
    echo: bool
    saturation: list[float] = field(default_factory=list)
    latency: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    unmatched: int = 0


def plan(count: int, chats: int, seed: int) -> list[tuple[int, int, str, int]]:
    """(chat index, member index, kind, choice) for each update: the same for every target."""
    rng = random.Random(seed)
    steps = []
    for _ in range(count):
        r = rng.random()
        kind = "note" if r < 0.6 else "rsvp" if r < 0.8 else "moten" if r < 0.9 else "beslutslogg"
        steps.append((rng.randrange(chats), rng.randrange(3), kind, rng.randrange(3)))
    return steps


def queue_one(target: Target, step: tuple[int, int, str, int], n: int) -> None:
    chat_index, member, kind, choice = step
    gc = target.chats[chat_index]
    fake, user, chat = target.fake, gc.members[member], gc.chat
    if kind == "rsvp":
        assert gc.kallelse is not None
        data = gc.rsvp_data[choice % len(gc.rsvp_data)]
        update = fake.make_press(user, gc.kallelse, chat, data, check_button=not target.echo)
        fake.queue(update, kind, "answer")
        return
    text = {"note": NOTE_TEXT.format(n=n), "moten": "/moten", "beslutslogg": "/beslutslogg"}[kind]
    update = fake.make_text(user, chat, text)
    how = "reaction" if kind == "note" and not target.echo else "reply"
    fake.queue(update, kind, how)


async def settle(target: Target, limit: float) -> None:
    tracker = target.fake.tracker
    try:
        await asyncio.wait_for(tracker.idle.wait(), limit)
    except TimeoutError:
        left = tracker.outstanding()
        raise RuntimeError(
            f"{target.name}: {len(left)} updates not acknowledged within {limit}s "
            f"({sorted({p.kind for p in left})})\n{target.bot.tail()}"
        ) from None
    await target.fake.wait_until_idle(limit, quiet=0.2)


async def saturate(target: Target, count: int, seed: int, limit: float) -> float:
    target.fake.tracker.reset()
    steps = plan(count, len(target.chats), seed)
    started = time.monotonic()
    for n, step in enumerate(steps):
        queue_one(target, step, n)
    await settle(target, limit)
    done = target.fake.tracker.take()
    target.unmatched += len(target.fake.tracker.unmatched)
    last = max(p.acked or started for p in done)
    return count / (last - started)


async def offer(
    target: Target, rate: int, duration: float, seed: int, limit: float
) -> tuple[float, float]:
    target.fake.tracker.reset()
    count = max(1, round(rate * duration))
    steps = plan(count, len(target.chats), seed)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for n, step in enumerate(steps):
        delay = started + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue_one(target, step, n)
    await settle(target, limit)
    done = target.fake.tracker.take()
    target.unmatched += len(target.fake.tracker.unmatched)
    latencies = [(p.acked or math.inf) - p.pushed for p in done]
    return percentile(latencies, 50), percentile(latencies, 99)


async def start_target(
    name: str, work: Path, chats: int, db_kind: str | None, profile: Path | None
) -> tuple[Target, Any]:
    fake = TimedFake()
    fake.keep_history = False
    await fake.start()
    governed = governed_chats(chats)
    if db_kind is None:
        bot = BotProcess(fake, db_url=None, echo=True)
        await bot.start()
        driver = Driver(fake)
        for gc in governed:
            fake.add_chat(gc.chat)
            (gc.kallelse,) = await driver.say(CHAIR, gc.chat, "/hej")
            gc.rsvp_data = ["rv:1:y", "rv:1:n", "rv:1:m"]
        return Target(name, fake, bot, governed, echo=True), None
    db = database(db_kind, work, name)
    url = db.__enter__()
    import_examples(url, copies=math.ceil(chats / 2))
    prof = profile / f"{name}.prof" if profile else None
    bot = BotProcess(fake, db_url=url, env=FAST_LIMITS, profile=prof)
    await bot.start()
    driver = Driver(fake)
    for gc in governed:
        await driver.govern(gc)
    return Target(name, fake, bot, governed, echo=False), db


def report(targets: list[Target], rates: list[int]) -> None:
    echo = targets[0]
    best_echo, med_echo = max(echo.saturation), min_median(echo.saturation)[1]
    print("\nsaturation throughput (updates/s; best / median of the repeats)")
    for t in targets:
        best, med = max(t.saturation), min_median(t.saturation)[1]
        ratio = "" if t is echo else f"   {med / med_echo:.2f}x echo (target >= 0.5x)"
        print(f"  {t.name:<22} {best:7.0f} / {med:7.0f}{ratio}")
    print(f"  (echo baseline {best_echo:.0f} / {med_echo:.0f})")
    print("\nlatency, queued -> acknowledged (p50 and p99; min / median of the repeats)")
    for rate in rates:
        print(f"  {rate} updates/s offered" + ("   (target p99 <= 50 ms)" if rate == 100 else ""))
        for t in targets:
            p50s = [x[0] for x in t.latency[rate]]
            p99s = [x[1] for x in t.latency[rate]]
            (p50_min, p50_med), (p99_min, p99_med) = min_median(p50s), min_median(p99s)
            print(
                f"    {t.name:<20} p50 {ms(p50_min):>8} / {ms(p50_med):>8}   "
                f"p99 {ms(p99_min):>8} / {ms(p99_med):>8}"
            )
    for t in targets:
        if t.unmatched:
            print(f"  note: {t.name} sent {t.unmatched} answers that matched no update")


async def main(args: argparse.Namespace) -> None:
    print(__doc__.split("\n\n")[0].strip().splitlines()[0])
    print(f"machine: {machine()}")
    rates = [int(r) for r in args.rates.split(",")]
    print(
        f"{args.chats} chats, saturation {args.saturation} updates, {args.duration} s per "
        f"offered rate, {args.repeat} repeats, interleaved"
    )
    databases = ["sqlite"]
    if not args.no_postgres:
        reason = postgres_unavailable()
        if reason:
            print(f"skipping PostgreSQL: {reason}")
        else:
            databases.append("postgres")
    profile = Path(args.profile) if args.profile else None
    if profile:
        profile.mkdir(parents=True, exist_ok=True)
    targets: list[Target] = []
    dbs: list[Any] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-interactive-") as tmp:
        work = Path(tmp)
        try:
            setup = time.perf_counter()
            for name, kind in [("echo bot (baseline)", None)] + [
                (f"bot on {k}", k) for k in databases
            ]:
                target, db = await start_target(name, work, args.chats, kind, profile)
                targets.append(target)
                if db is not None:
                    dbs.append(db)
            print(f"set up in {time.perf_counter() - setup:.1f} s")
            for rep in range(args.repeat):
                for t in targets:
                    t.saturation.append(
                        await saturate(t, args.saturation, seed=rep, limit=args.timeout)
                    )
                for rate in rates:
                    for t in targets:
                        result = await offer(t, rate, args.duration, seed=rep, limit=args.timeout)
                        t.latency.setdefault(rate, []).append(result)
                print(
                    f"  repeat {rep + 1}/{args.repeat} done at {time.perf_counter() - started:.0f} s"
                )
        finally:
            for t in targets:
                await t.bot.stop()
                await t.fake.stop()
            for db in dbs:
                db.__exit__(None, None, None)
    report(targets, rates)
    if profile:
        import pstats

        for t in targets[1:]:
            path = profile / f"{t.name.split()[-1]}.prof"
            path = profile / f"{t.name}.prof"
            if path.exists():
                print(f"\nprofile of {t.name} ({path}), top 25 by cumulative time:")
                pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)
    print(f"total {time.perf_counter() - started:.1f} s")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=4)
    parser.add_argument("--saturation", type=int, default=400)
    parser.add_argument("--rates", default="25,50,100,200")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", default=None, help="profile the bots (cProfile) into DIR")
    parser.add_argument(
        "--tiny", action="store_true", help="a smoke run for the test suite (not timed)"
    )
    args = parser.parse_args(argv)
    if args.tiny:
        args.chats, args.saturation, args.rates = 1, 10, "50"
        args.duration, args.repeat = 0.2, 1
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
