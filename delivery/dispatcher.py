"""The reminder dispatcher: claims due rows, sends them, records each outcome.

The database says what is due; PTB's JobQueue (APScheduler) only wakes the dispatcher. Rows are
claimed with a lease in a short transaction, sent concurrently across chats but in order within a
chat, and each outcome is written back in small batches. A process that dies after claiming
leaves rows whose lease runs out; the next run (here or in another instance) takes them over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, Job

from delivery import renderers as reminder_texts
from storage import bodies
from storage import reminders as repo
from storage.db import transaction
from storage.models import ChatStatus
from storage.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=1)
BOT_DATA_KEY = "reminder_dispatcher"
_JOB_NAME = "reminder-dispatcher"
_WAKE_JOB_NAME = "reminder-dispatcher-wake"
_RELEASE_DELAY = timedelta(seconds=1)  # a row given back unsent is due again after this
_WRITE_BATCH = 200
_WRITE_LINGER = 0.05  # seconds


@dataclass(frozen=True)
class Claimed:
    """What the dispatcher needs of a claimed row, detached from any session."""

    id: int
    kind: str
    dedupe_key: str
    chat_id: int
    thread_id: int | None
    due_at: datetime
    expires_at: datetime | None
    grace_seconds: int | None
    payload: dict[str, Any]
    language: str | None
    attempts: int
    lease_until: datetime

    @classmethod
    def of(cls, row: repo.Reminder) -> Claimed:
        assert row.id is not None and row.lease_until is not None
        return cls(
            id=row.id,
            kind=row.kind,
            dedupe_key=row.dedupe_key,
            chat_id=row.chat_id,
            thread_id=row.thread_id,
            due_at=row.due_at,
            expires_at=row.expires_at,
            grace_seconds=row.grace_seconds,
            payload=dict(row.payload or {}),
            language=row.language,
            attempts=row.attempts,
            lease_until=row.lease_until,
        )


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    late: int = 0
    skipped: int = 0
    uncertain: int = 0
    failed: int = 0
    retried: int = 0  # back to pending with a later next_attempt_at (429, 5xx, network)
    released: int = 0  # given back unsent (lease nearly over, chat waiting, pool timeout)
    paused: int = 0
    migrated: int = 0
    next_due_at: datetime | None = None

    def busy(self) -> bool:
        return self.claimed > 0


# -- outcomes, written back in order by one writer ------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    # sent | uncertain | failed | skipped | retry (counts as an attempt) | release (does not)
    # | pause_row, and the chat-wide defer_chat | pause_chat | move_chat
    action: str
    reminder_id: int | None = None
    message_id: int | None = None
    late: bool = False
    error: str | None = None
    after: datetime | None = None
    # chat-wide actions
    chat_id: int | None = None
    new_chat_id: int | None = None


class _OutcomeWriter:
    """Writes outcomes in the order given, a small batch per short transaction, off the loop."""

    def __init__(self, dispatcher: ReminderDispatcher) -> None:
        self._dispatcher = dispatcher
        self._buffer: list[_Outcome] = []
        self._wakeup = asyncio.Event()
        self._closed = False
        self._task = asyncio.create_task(self._loop(), name="reminder-outcome-writer")

    def add(self, outcome: _Outcome) -> None:
        self._buffer.append(outcome)
        self._wakeup.set()

    async def close(self) -> None:
        self._closed = True
        self._wakeup.set()
        await self._task

    async def _loop(self) -> None:
        while True:
            if not self._buffer:
                if self._closed:
                    return
                await self._wakeup.wait()
                self._wakeup.clear()
                continue
            if not self._closed and len(self._buffer) < _WRITE_BATCH:
                # Let a few more outcomes gather: one transaction for many rows is far cheaper
                # (on SQLite each one is a connection and BEGIN IMMEDIATE). A crash in this
                # window leaves the rows claimed: they are sent again once, after the lease.
                await asyncio.sleep(_WRITE_LINGER)
            chunk = self._buffer[:_WRITE_BATCH]
            del self._buffer[:_WRITE_BATCH]
            await self._write(chunk)

    async def _write(self, chunk: list[_Outcome]) -> None:
        for attempt in range(5):
            try:
                await asyncio.to_thread(self._dispatcher._apply_outcomes, chunk)
                return
            except Exception:
                # Unrecorded outcomes leave rows claimed: after the lease they are sent again,
                # so keep trying a little before giving up on this batch.
                log.exception("recording %d reminder outcomes failed (try %d)", len(chunk), attempt)
                await asyncio.sleep(0.5 * (attempt + 1))


# -- the dispatcher ---------------------------------------------------------------------------


class ReminderDispatcher:
    """One per Application. `run_once()` sends everything due now; `wake()` asks for a run."""

    def __init__(
        self,
        bot: Bot,
        services: Runtime,
        *,
        instance: str | None = None,
        concurrency: int = 64,
        batch_size: int | None = None,
        lease_seconds: float | None = None,
        grace: timedelta = DEFAULT_GRACE,
        max_attempts: int = 5,
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(hours=1),
    ) -> None:
        settings = services.settings
        self.bot = bot
        self.services = services
        self.instance = (instance or _default_instance())[:64]
        self.lease_seconds = float(lease_seconds or settings.reminder_lease_seconds)
        rate = max(float(settings.rate_limit_overall_per_second), 1.0)
        # A batch must be sent well within its lease even at the overall rate limit.
        self.batch_size = batch_size or max(20, min(500, int(rate * self.lease_seconds / 4)))
        self.grace = grace
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._semaphore = asyncio.Semaphore(concurrency)
        self._run_lock = asyncio.Lock()
        self._again = False
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._inflight = 0
        self._room = asyncio.Event()
        self._job_queue: Any = None
        self._wake_job: Job[Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def _low_water(self) -> int:
        return self.batch_size // 2

    # -- running -------------------------------------------------------------------------------

    async def run_once(self) -> DispatchReport:
        """Send everything due now (claiming batch after batch), then say when next to run."""
        async with self._run_lock:
            report = DispatchReport()
            while True:
                self._again = False
                await self._dispatch(report)
                report.next_due_at = await asyncio.to_thread(self._next_due_at)
                # A wake-up that came while this run held the lock: run again, don't lose it.
                if not self._again:
                    break
        if report.busy():
            log.info(
                "reminders: %d claimed, %d sent (%d late), %d skipped, %d uncertain, %d failed, "
                "%d retried, %d released, %d paused, %d migrated",
                report.claimed,
                report.sent,
                report.late,
                report.skipped,
                report.uncertain,
                report.failed,
                report.retried,
                report.released,
                report.paused,
                report.migrated,
            )
        return report

    async def _dispatch(self, report: DispatchReport) -> None:
        writer = _OutcomeWriter(self)
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                # Claim ahead only while the rows in hand are few, so none waits near its lease.
                while self._inflight > self._low_water:
                    self._room.clear()
                    await self._room.wait()
                batch = await asyncio.to_thread(self._claim)
                if not batch:
                    break
                report.claimed += len(batch)
                self._inflight += len(batch)
                for chat_id, items in _by_chat(batch).items():
                    task = asyncio.create_task(self._deliver_chat(chat_id, items, writer, report))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
        finally:
            # Even when claiming failed: let the sends in flight finish and record their
            # outcomes, or their rows would wait for the lease and go out a second time.
            results = await asyncio.gather(*tasks, return_exceptions=True) if tasks else []
            await writer.close()
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def _claim(self) -> list[Claimed]:
        now = self.services.now()
        with transaction(self.services.session_factory) as session:
            rows = repo.claim_due(
                session,
                now=now,
                instance=self.instance,
                lease_seconds=self.lease_seconds,
                limit=self.batch_size,
            )
            return [Claimed.of(row) for row in rows]

    def _next_due_at(self) -> datetime | None:
        with transaction(self.services.session_factory) as session:
            return repo.next_due_at(session)

    def _chat_lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        return lock

    async def _deliver_chat(
        self,
        chat_id: int,
        items: list[Claimed],
        writer: _OutcomeWriter,
        report: DispatchReport,
    ) -> None:
        lock = self._chat_lock(chat_id)
        try:
            async with lock, self._semaphore:
                await self._deliver_in_order(chat_id, items, writer, report)
        finally:
            self._inflight -= len(items)
            if self._inflight <= self._low_water:
                self._room.set()
            if not lock.locked() and self._chat_locks.get(chat_id) is lock:
                del self._chat_locks[chat_id]

    async def _deliver_in_order(
        self,
        chat_id: int,
        items: list[Claimed],
        writer: _OutcomeWriter,
        report: DispatchReport,
    ) -> None:
        target = chat_id
        for index, item in enumerate(items):
            stop = await self._deliver_one(item, target, writer, report)
            if isinstance(stop, _Migrated):
                target = stop.new_chat_id
                continue
            if isinstance(stop, _Paused):
                for rest in items[index + 1 :]:
                    writer.add(_Outcome("pause_row", rest.id))
                    report.paused += 1
                return
            if isinstance(stop, _Wait):
                # Telegram asked this chat to wait: the rest keep their order behind it.
                for rest in items[index + 1 :]:
                    writer.add(_Outcome("release", rest.id, after=stop.until))
                    report.released += 1
                return

    async def _deliver_one(
        self,
        item: Claimed,
        chat_id: int,
        writer: _OutcomeWriter,
        report: DispatchReport,
        *,
        resend: bool = False,
    ) -> _Stop | None:
        now = self.services.now()
        if now >= item.lease_until - self._lease_margin():
            # Someone else may take the row over once the lease ends: never race them.
            writer.add(_Outcome("release", item.id, after=now + _RELEASE_DELAY))
            report.released += 1
            return None
        if item.expires_at is not None and now >= item.expires_at:
            log.info(
                "reminder %s (%s, chat %s) skipped: expired at %s",
                item.id,
                item.kind,
                chat_id,
                item.expires_at.isoformat(),
            )
            writer.add(_Outcome("skipped", item.id, error="expired"))
            report.skipped += 1
            return None
        late = now - item.due_at > self._grace(item)
        language = item.language or self.services.settings.bot_language
        try:
            text = reminder_texts.render(item.kind, item.payload, language, late)
        except reminder_texts.UnknownKind:
            log.error("reminder %s failed: no renderer for kind %r", item.id, item.kind)
            writer.add(_Outcome("failed", item.id, error="unknown_kind"))
            report.failed += 1
            return None
        except Exception:
            log.exception("reminder %s failed: rendering %r raised", item.id, item.kind)
            writer.add(_Outcome("failed", item.id, error="render_error"))
            report.failed += 1
            return None

        try:
            message = await self.bot.send_message(
                chat_id=chat_id,
                text=text,
                message_thread_id=item.thread_id,
                parse_mode=ParseMode.HTML,
            )
        except RetryAfter as exc:
            until = now + _retry_after(exc)
            log.warning(
                "reminder %s: flood control for chat %s, retrying after %s",
                item.id,
                chat_id,
                until.isoformat(),
            )
            # Not a failed attempt: it does not use up the row's retries.
            writer.add(_Outcome("release", item.id, after=until, error="retry_after"))
            writer.add(_Outcome("defer_chat", chat_id=chat_id, after=until))
            report.retried += 1
            return _Wait(until)
        except ChatMigrated as exc:
            if resend:
                log.error("reminder %s failed: chat %s migrated again", item.id, chat_id)
                writer.add(_Outcome("failed", item.id, error="migrated_twice"))
                report.failed += 1
                return None
            new_chat_id = int(exc.new_chat_id)
            log.info("chat %s became supergroup %s: reminders follow", chat_id, new_chat_id)
            writer.add(_Outcome("move_chat", chat_id=chat_id, new_chat_id=new_chat_id))
            report.migrated += 1
            stop = await self._deliver_one(item, new_chat_id, writer, report, resend=True)
            return stop if stop is not None else _Migrated(new_chat_id)
        except Forbidden:
            log.warning(
                "reminder %s: the bot is not in chat %s any more; its reminders are paused",
                item.id,
                chat_id,
            )
            writer.add(_Outcome("pause_chat", item.id, chat_id=chat_id))
            report.paused += 1
            return _Paused()
        except BadRequest as exc:
            # Before TimedOut and NetworkError: BadRequest subclasses NetworkError.
            log.error("reminder %s failed: bad request (%s)", item.id, _error_code(exc))
            writer.add(_Outcome("failed", item.id, error=f"bad_request:{_error_code(exc)}"))
            report.failed += 1
            return None
        except TimedOut as exc:
            if _never_sent(exc):
                writer.add(_Outcome("release", item.id, after=now + _RELEASE_DELAY))
                report.released += 1
                return None
            # The message may have been delivered (PTB #1045): never resend blindly.
            log.warning("reminder %s: send timed out, delivery uncertain", item.id)
            writer.add(_Outcome("uncertain", item.id, error="timed_out"))
            report.uncertain += 1
            return None
        except (NetworkError, TelegramError) as exc:
            self._retry_later(item, exc, now, writer, report)
            return None
        except Exception:
            log.exception("reminder %s failed: unexpected error while sending", item.id)
            writer.add(_Outcome("failed", item.id, error="internal"))
            report.failed += 1
            return None

        writer.add(_Outcome("sent", item.id, message_id=message.message_id, late=late))
        report.sent += 1
        if late:
            report.late += 1
            log.info("reminder %s sent late (due %s)", item.id, item.due_at.isoformat())
        return None

    def _retry_later(
        self,
        item: Claimed,
        exc: TelegramError,
        now: datetime,
        writer: _OutcomeWriter,
        report: DispatchReport,
    ) -> None:
        code = "network" if isinstance(exc, NetworkError) else type(exc).__name__.lower()
        if item.attempts >= self.max_attempts:
            log.error("reminder %s failed after %d attempts (%s)", item.id, item.attempts, code)
            writer.add(_Outcome("failed", item.id, error=code))
            report.failed += 1
            return
        delay = min(self.backoff_cap, self.backoff_base * (2 ** max(item.attempts - 1, 0)))
        log.warning("reminder %s: %s, retrying in %s", item.id, code, delay)
        writer.add(_Outcome("retry", item.id, after=now + delay, error=code))
        report.retried += 1

    def _grace(self, item: Claimed) -> timedelta:
        if item.grace_seconds is not None:
            return timedelta(seconds=item.grace_seconds)
        from_payload = item.payload.get("grace_seconds")
        if isinstance(from_payload, int | float):
            return timedelta(seconds=from_payload)
        return self.grace

    def _lease_margin(self) -> timedelta:
        return timedelta(seconds=min(30.0, self.lease_seconds / 5))

    # -- recording -----------------------------------------------------------------------------

    def _apply_outcomes(self, outcomes: Sequence[_Outcome]) -> None:
        now = self.services.now()
        mine = self.instance
        # "sent" is recorded whatever else happened to the row, so all of them go first, in one
        # executemany; the rest keep their order (a chat's pause or move before its later rows).
        sent = [(o.reminder_id, o.message_id, o.late) for o in outcomes if o.action == "sent"]
        with transaction(self.services.session_factory) as session:
            repo.mark_sent_many(session, sent, now=now)  # type: ignore[arg-type]
            for o in outcomes:
                rid = o.reminder_id
                if o.action == "sent":
                    continue
                if o.action == "uncertain":
                    assert rid is not None
                    repo.mark_uncertain(session, rid, now=now, error=o.error or "", instance=mine)
                elif o.action == "failed":
                    assert rid is not None
                    repo.mark_failed(session, rid, now=now, error=o.error or "", instance=mine)
                elif o.action == "skipped":
                    assert rid is not None
                    repo.mark_skipped(session, rid, now=now, reason=o.error or "", instance=mine)
                elif o.action in ("retry", "release"):
                    assert rid is not None and o.after is not None
                    repo.mark_retry(
                        session,
                        rid,
                        o.after,
                        now=now,
                        error=o.error,
                        instance=mine,
                        count_attempt=o.action == "retry",
                    )
                elif o.action == "defer_chat":
                    assert o.chat_id is not None and o.after is not None
                    repo.defer_chat(session, o.chat_id, o.after, now=now)
                elif o.action == "pause_row":
                    assert rid is not None
                    repo.pause_row(session, rid, now=now, instance=mine)
                elif o.action == "pause_chat":
                    assert o.chat_id is not None
                    bodies.set_chat_status(session, o.chat_id, ChatStatus.REMOVED)
                    repo.pause_chat(session, o.chat_id, now=now)
                elif o.action == "move_chat":
                    assert o.chat_id is not None and o.new_chat_id is not None
                    # The handler of the migration service message may have moved the body.
                    bodies.move_chat(session, o.chat_id, o.new_chat_id)
                    repo.move_chat(session, o.chat_id, o.new_chat_id, now=now)
                else:  # pragma: no cover - a programming error
                    raise ValueError(f"unknown outcome {o.action}")

    # -- waking --------------------------------------------------------------------------------

    def attach(self, job_queue: Any) -> None:
        self._job_queue = job_queue

    async def wake(self) -> None:
        """Something was scheduled: make sure a run happens by its due time."""
        next_due = await asyncio.to_thread(self._next_due_at)
        self._arrange_wake(next_due, min_delay=0.0)

    async def _tick(self, _context: Any = None) -> None:
        if self._run_lock.locked():
            self._again = True  # the running dispatch claims once more before it stops
            return
        try:
            report = await self.run_once()
        except Exception:
            log.exception("reminder dispatch failed; the next run tries again")
            return
        self._arrange_wake(report.next_due_at, min_delay=1.0)

    def _arrange_wake(self, next_due: datetime | None, *, min_delay: float) -> None:
        if next_due is None:
            return
        delay = max((next_due - self.services.now()).total_seconds(), min_delay)
        interval = float(self.services.settings.dispatcher_interval_seconds)
        if self._job_queue is None:
            if delay <= 0:
                self._spawn(self._tick())
            return
        if delay >= interval:
            return  # the repeating job comes first
        when = datetime.now(tz=next_due.tzinfo) + timedelta(seconds=delay)
        current = self._wake_job
        # A one-off job that already ran is gone from the scheduler but keeps its old next_t.
        if current is not None and self._job_queue.scheduler.get_job(current.job.id) is not None:
            next_t = current.next_t
            if next_t is not None and next_t <= when:
                return
            current.schedule_removal()
        self._wake_job = self._job_queue.run_once(
            self._tick,
            when=delay,
            name=_WAKE_JOB_NAME,
            job_kwargs={"misfire_grace_time": None},
        )

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


# -- what a send tells the chat loop --------------------------------------------------------


class _Stop:
    pass


@dataclass(frozen=True)
class _Migrated(_Stop):
    new_chat_id: int


class _Paused(_Stop):
    pass


@dataclass(frozen=True)
class _Wait(_Stop):
    until: datetime


def _by_chat(batch: Sequence[Claimed]) -> dict[int, list[Claimed]]:
    grouped: dict[int, list[Claimed]] = {}
    for item in batch:
        grouped.setdefault(item.chat_id, []).append(item)
    return grouped


def _retry_after(exc: RetryAfter) -> timedelta:
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return max(value, timedelta(seconds=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = exc.retry_after
    seconds = raw.total_seconds() if isinstance(raw, timedelta) else float(raw)
    return timedelta(seconds=max(seconds, 1.0))


def _never_sent(exc: TimedOut) -> bool:
    """A pool or connect timeout: the request never left, so sending again is safe."""
    cause = exc.__cause__
    return isinstance(cause, httpx.PoolTimeout | httpx.ConnectTimeout)


def _error_code(exc: TelegramError) -> str:
    """A short, content-free code from Telegram's description, e.g. "can't_parse_entities".

    Only the part before any further colon: what follows may quote the message (a tag name)."""
    description = exc.message.lower().removeprefix("bad request:").strip()
    words = description.split(":")[0].replace('"', " ").split()
    return "_".join(words[:4])[:40] or "unknown"


def _default_instance() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# -- installing in an Application -------------------------------------------------------------


def install_dispatcher(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    dispatcher: ReminderDispatcher | None = None,
    first: float = 1.0,
) -> ReminderDispatcher:
    """Create the dispatcher, publish it in bot_data, and wake it from the JobQueue."""
    if dispatcher is None:
        dispatcher = ReminderDispatcher(application.bot, application.bot_data["services"])
    services = dispatcher.services
    application.bot_data[BOT_DATA_KEY] = dispatcher
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
    dispatcher.attach(job_queue)
    job_queue.run_repeating(
        dispatcher._tick,
        interval=float(services.settings.dispatcher_interval_seconds),
        first=first,
        name=_JOB_NAME,
        # Late runs must never be dropped (APScheduler's default grace is 1 s), runs that piled
        # up collapse into one, and a run that overlaps a long fan-out returns at once.
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 3},
    )
    return dispatcher


def get_dispatcher(
    bot_data: dict[str, Any],
) -> ReminderDispatcher | None:
    found = bot_data.get(BOT_DATA_KEY)
    return found if isinstance(found, ReminderDispatcher) else None
