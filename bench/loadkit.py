"""What the bot benchmarks share: a timed fake Bot API server, bot processes, governed chats.

The bot under test always runs in its own process, started the way production starts it
(`python -m bot`, settings from the environment), long-polling a `FakeTelegram` that runs in the
benchmark's process. The fake notes when each acknowledgement request arrives (a reaction on the
member's message, the answer to a button press, a reply in the chat), so the latency of an update
is measured on one clock: from the moment it is queued for getUpdates to the moment the bot's
answer reaches the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakebot import FakeChat, FakeTelegram, FakeUser, SentMessage  # noqa: E402

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
# The code `python -m bot` runs: this tree, or another checkout (BENCH_BOT_ROOT) to measure the
# bot as it was before a change with the benchmarks of after it.
BOT_ROOT = os.environ.get("BENCH_BOT_ROOT") or str(ROOT)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


# -- figures ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); inf for no values."""
    if not values:
        return float("inf")
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def min_median(values: Sequence[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def ms(seconds: float) -> str:
    if seconds == float("inf"):
        return "never"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return (
        f"{model}, {os.cpu_count()} CPUs, load average {load[0]:.1f} at start, "
        f"python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    """Resident set (VmRSS) or its peak (VmHWM) of a process, in MB."""
    with contextlib.suppress(OSError):
        for text in Path(f"/proc/{pid}/status").read_text().splitlines():
            if text.startswith(f"{field_name}:"):
                return int(text.split()[1]) / 1024
    return float("nan")


# -- databases ----------------------------------------------------------------------------------


@contextlib.contextmanager
def database(kind: str, work: Path, name: str) -> Iterator[str]:
    """A fresh database URL: a file under ``work`` for SQLite, a new PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{work / (name + '.sqlite3')}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    db = f"iop_bench_{name}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    try:
        yield admin_url.set(database=db).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": db},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
        admin.dispose()


def postgres_unavailable() -> str | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    try:
        url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure: the PostgreSQL part is skipped, with the reason
        return f"PostgreSQL at {POSTGRES_URL} does not answer ({type(exc).__name__})"
    return None


def import_examples(db_url: str, copies: int = 1) -> None:
    """The two example partnerships, ``copies`` times (each copy under its own diarienummer)."""
    from bot.app import make_services
    from bot.config import Settings
    from governance.partnership_file import load_partnership_file
    from services.partnerships import import_partnership
    from storage.db import transaction

    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, database_url=db_url)  # type: ignore[call-arg]
    svc = make_services(settings)
    specs = [load_partnership_file(ROOT / "examples" / name) for name in EXAMPLE_FILES]
    for n in range(copies):
        with transaction(svc.session_factory) as session:
            for spec in specs:
                if n:
                    spec = spec.model_copy(update={"diarienummer": copy_dnr(spec.diarienummer, n)})
                import_partnership(session, spec, now=svc.now())
    svc.engine.dispose()


EXAMPLE_FILES = ("sof-2025-144.toml", "sof-2023-202.toml")


def copy_dnr(dnr: str, n: int) -> str:
    """The diarienummer of copy ``n`` of a partnership: SOF 2025/144 -> SOF 2025/1144, ..."""
    if n == 0:
        return dnr
    office, rest = dnr.split(" ")
    year, number = rest.split("/")
    return f"{office} {year}/{int(number) + 1000 * n}"


# -- the fake server with acknowledgement times --------------------------------------------------


@dataclass
class Pending:
    kind: str
    pushed: float
    acked: float | None = None
    # For a reply: which sent messages answer it (None: the next one in its chat).
    accepts: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class AckTracker:
    """Matches the bot's answers to the updates they acknowledge.

    A reaction names its message, an answer its callback query; a reply in a chat is matched to
    the oldest update in that chat still waiting for a reply (the bot handles updates in order).
    """

    by_message: dict[tuple[int, int], Pending] = field(default_factory=dict)
    by_query: dict[str, Pending] = field(default_factory=dict)
    replies: dict[int, list[Pending]] = field(default_factory=dict)
    done: list[Pending] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    waiting: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(
        self,
        update: dict[str, Any],
        kind: str,
        how: str,
        at: float,
        accepts: Callable[[dict[str, Any]], bool] | None = None,
    ) -> Pending:
        pending = Pending(kind, at, accepts=accepts)
        if how == "reaction":
            message = update["message"]
            self.by_message[(message["chat"]["id"], message["message_id"])] = pending
        elif how == "answer":
            self.by_query[update["callback_query"]["id"]] = pending
        else:
            chat_id = update["message"]["chat"]["id"]
            self.replies.setdefault(chat_id, []).append(pending)
        self.waiting += 1
        self.idle.clear()
        return pending

    def seen(self, method: str, params: dict[str, Any], at: float) -> None:
        pending: Pending | None = None
        if method == "setMessageReaction":
            pending = self.by_message.pop((params.get("chat_id"), params.get("message_id")), None)
        elif method == "answerCallbackQuery":
            pending = self.by_query.pop(str(params.get("callback_query_id")), None)
        elif method in ("sendMessage", "sendDocument"):
            queue = self.replies.get(params.get("chat_id"), [])  # type: ignore[arg-type]
            for index, waiting in enumerate(queue):
                if waiting.accepts is None or waiting.accepts(params):
                    pending = queue.pop(index)
                    break
        else:
            return
        if pending is None:
            self.unmatched.append(method)
            return
        pending.acked = at
        self.done.append(pending)
        self.waiting -= 1
        if self.waiting == 0:
            self.idle.set()

    def take(self) -> list[Pending]:
        done, self.done = self.done, []
        return done

    def outstanding(self) -> list[Pending]:
        left = list(self.by_message.values()) + list(self.by_query.values())
        return left + [p for queue in self.replies.values() for p in queue]

    def reset(self) -> None:
        self.by_message.clear()
        self.by_query.clear()
        self.replies.clear()
        self.done.clear()
        self.unmatched.clear()
        self.waiting = 0
        self.idle.set()


class TimedFake(FakeTelegram):
    """FakeTelegram that tells the tracker when an acknowledgement arrives, and counts polls."""

    def __init__(self) -> None:
        super().__init__()
        self.tracker = AckTracker()
        self.polls = 0
        self.first_poll_at: float | None = None
        self.keep_history = True
        self.on_request: Callable[[str, dict[str, Any], float], None] | None = None

    async def _process(self, method: str, params: dict[str, Any], files: Any, request: Any) -> Any:
        arrived = time.monotonic()
        if method == "getUpdates":
            self.polls += 1
            if self.first_poll_at is None:
                self.first_poll_at = arrived
        result = await super()._process(method, params, files, request)
        self.tracker.seen(method, params, arrived)
        if self.on_request is not None:
            self.on_request(method, params, arrived)
        if not self.keep_history and len(self.requests) > 1000:
            del self.requests[:-100]
        return result

    def queue(
        self,
        update: dict[str, Any],
        kind: str,
        how: str,
        accepts: Callable[[dict[str, Any]], bool] | None = None,
    ) -> Pending:
        """Pushes an update for getUpdates and starts its clock."""
        pending = self.tracker.expect(update, kind, how, time.monotonic(), accepts)
        self.push(update)
        return pending


# -- bot processes ------------------------------------------------------------------------------


class BotProcess:
    """`python -m bot` (or the echo bot) in its own process, long-polling a fake server."""

    def __init__(
        self,
        fake: TimedFake,
        *,
        db_url: str | None,
        echo: bool = False,
        env: dict[str, str] | None = None,
        profile: Path | None = None,
    ) -> None:
        self.fake = fake
        self.db_url = db_url
        self.echo = echo
        self.env = env or {}
        self.profile = profile
        self.process: asyncio.subprocess.Process | None = None
        self.spy: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        self.log = tempfile.NamedTemporaryFile(prefix="bench-bot-", suffix=".log", delete=False)

    async def start(self, *, wait: bool = True, limit: float = 120) -> None:
        env = dict(os.environ)
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.fake.base_url,
            TELEGRAM_API_FILE_URL=self.fake.base_file_url,
            LOG_LEVEL="WARNING",
            PYTHONPATH=BOT_ROOT,
        )
        if self.db_url:
            env["DATABASE_URL"] = self.db_url
        env.update(self.env)
        args = [sys.executable]
        if self.profile is not None:
            args += ["-m", "cProfile", "-o", str(self.profile)]
        if self.echo:
            args.append(str(ROOT / "bench" / "echo_bot.py"))
        else:
            args += ["-m", "bot"]
        self.fake.first_poll_at = None
        self.started_at = time.monotonic()
        self.process = await asyncio.create_subprocess_exec(
            *args,
            env=env,
            cwd=tempfile.gettempdir(),
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        spy = os.environ.get("BENCH_PY_SPY")
        if spy and not self.echo:
            # A sampling profile of the bot (all its threads, the database pool's included),
            # written when the bot exits: BENCH_PY_SPY=DIR, one folded-stacks file per bot.
            os.makedirs(spy, exist_ok=True)
            name = "".join(c if c.isalnum() else "-" for c in (self.db_url or "echo"))[:40]
            out = Path(spy) / f"{name}-{self.process.pid}.txt"
            self.spy = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"),
                "record", "--pid", str(self.process.pid), "--rate", "200", "--format", "raw",
                "--nonblocking", "--threads", "-o", str(out),
                stdout=self.log, stderr=self.log,
            )  # fmt: skip
        if wait:
            await self.wait_polling(limit)

    async def wait_polling(self, limit: float = 120) -> float:
        """Seconds from process start to its first getUpdates."""
        deadline = time.monotonic() + limit
        while self.fake.first_poll_at is None:
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"the bot exited early:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not poll within {limit}s:\n{self.tail()}")
            await asyncio.sleep(0.005)
        return self.fake.first_poll_at - self.started_at

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(Path(self.log.name).read_text().splitlines()[-lines:])
        return ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stop(self, wait: float = 30) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), wait)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self.spy is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.spy.wait(), 60)


# -- governed chats, set up through the bot -------------------------------------------------------

ADMIN = FakeUser(3001, "Åsa", "asa_admin")
CHAIR = FakeUser(3002, "Agneta", "agneta_c")
MEMBER_B = FakeUser(3003, "Bertil", "bertil_s")
MEMBER_C = FakeUser(3004, "Cecilia", "cecilia_city")


@dataclass
class GovernedChat:
    """A group linked to a body, three confirmed members, a meeting in session, and a
    published kallelse for the next meeting whose RSVP buttons members press."""

    chat: FakeChat
    dnr: str
    kind: str
    members: list[FakeUser]
    kallelse: SentMessage | None = None
    rsvp_data: list[str] = field(default_factory=list)


def governed_chats(count: int) -> list[GovernedChat]:
    # SOF 2023/202 ended on 2026-06-30 (no meetings after it): both bodies of SOF 2025/144, in
    # as many copies of that partnership as needed (see import_examples).
    layouts = [("SOF 2025/144", "styrgrupp"), ("SOF 2025/144", "samverkansgrupp")]
    chats = []
    for n in range(count):
        dnr, kind = layouts[n % len(layouts)]
        dnr = copy_dnr(dnr, n // len(layouts))
        chats.append(
            GovernedChat(
                FakeChat(-7001 - n, "group", f"{kind} {dnr}"),
                dnr,
                kind,
                [CHAIR, MEMBER_B, MEMBER_C],
            )
        )
    return chats


PARTIES = ["Convictus", "Stadsmission", "stockholms-stad"]


def when(delta: timedelta) -> str:
    """A meeting time the bot reads, in Stockholm time, on the hour."""
    at = (datetime.now(STOCKHOLM) + delta).replace(minute=0, second=0, microsecond=0)
    return at.strftime("%Y-%m-%d %H:%M")


class Driver:
    """Talks to the bot through the fake server and waits for its answers (setup only)."""

    def __init__(self, fake: TimedFake, timeout: float = 60) -> None:
        self.fake = fake
        self.timeout = timeout

    async def say(self, user: FakeUser, chat: FakeChat, text: str) -> list[SentMessage]:
        before = len(self.fake.sent)
        self.fake.send_text(user, chat, text)
        await self.fake.wait_for(
            lambda m: m.chat_id == chat.id and self.fake.sent.index(m) >= before, self.timeout
        )
        await self.fake.wait_until_idle(self.timeout, quiet=0.2)
        return [m for m in self.fake.sent[before:] if m.chat_id == chat.id]

    async def press(self, user: FakeUser, chat: FakeChat, message: SentMessage, data: str) -> None:
        update = self.fake.press(user, message, chat, data)
        query_id = update["callback_query"]["id"]
        deadline = time.monotonic() + self.timeout
        while not self.fake.callback_queries.get(query_id):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer to {data}\n{self.fake.dump()}")
            await asyncio.sleep(0.01)
        await self.fake.wait_until_idle(self.timeout, quiet=0.2)

    async def publish(self, chair: FakeUser, chat: FakeChat, at: str) -> SentMessage:
        preview = (await self.say(chair, chat, f"/kallelse {at} Stadshuset"))[-1]
        publish = next((d for d in preview.button_data() if d.startswith("mp:")), None)
        if publish is None:
            raise RuntimeError(f"no publish button after /kallelse {at}: {preview.plain}")
        before = len(self.fake.sent)
        await self.press(chair, chat, preview, publish)
        for message in self.fake.sent[before:]:
            if message.chat_id == chat.id and any(
                d.startswith("rv:") for d in message.button_data()
            ):
                return message
        raise RuntimeError(f"no kallelse published\n{self.fake.dump()}")

    async def govern(
        self, gc: GovernedChat, *, decisions: int = 3, open_meeting: bool = True
    ) -> None:
        fake, chat = self.fake, gc.chat
        fake.add_chat(chat)
        fake.set_member_status(chat, ADMIN, "administrator")
        await self.say(ADMIN, chat, f"/koppla {gc.dnr} {gc.kind}")
        for user, party in zip(gc.members, PARTIES, strict=True):
            request = (await self.say(user, chat, f"/jag {party}"))[-1]
            confirm = [d for d in request.button_data() if d.startswith("mc:")]
            if not confirm:
                raise RuntimeError(f"/jag {party} gave no confirm button: {request.plain}")
            await self.press(ADMIN, chat, request, confirm[0])
        await self.say(ADMIN, chat, f"/ordforande @{gc.members[0].username}")
        chair = gc.members[0]
        if open_meeting:
            await self.publish(chair, chat, when(timedelta(hours=2)))
        gc.kallelse = await self.publish(chair, chat, when(timedelta(days=30)))
        gc.rsvp_data = [d for d in gc.kallelse.button_data() if d.startswith("rv:")]
        if open_meeting:
            answer = (await self.say(chair, chat, "/motesstart"))[-1]
            if "/nasta" not in answer.plain and "nasta" not in answer.plain.lower():
                # the opening message names the first item and how to move on
                pass
            for n in range(decisions):
                await self.say(chair, chat, f"/beslut Styrgruppen beslutar i fråga {n + 1}")
