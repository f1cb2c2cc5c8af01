"""The outbox dispatcher: claims due rows, sends them, records each outcome.

The database says what is due; PTB's JobQueue (APScheduler) only wakes the dispatcher, and a
commit that queued a message due now wakes it at once (`delivery.outbox`). Rows are claimed with
a lease in a short transaction, highest priority first, and handed to one worker per chat: chats
are served concurrently, a chat's rows one after another, the most urgent first (a reply to the
person who just acted goes before the rest of a reminder burst to the same chat). A row may be
several messages (texts, documents, edits; `delivery.parts`), sent in order.

Crash semantics (PRODUCT.md §11; README "Delivery"): every send's outcome is written as soon as
it returns — the writer commits whatever has gathered while its previous commit ran, with no
linger before it — and a row of several messages records each message's id before the next is
sent. A process killed mid-burst therefore leaves, as possibly delivered, only the sends that
were in flight (or answered and not yet committed) at the kill. Their rows stay claimed; when the
lease runs out another run (here or in another instance) takes them over and sends them again,
marked "(may have been sent before)" / "(kan ha skickats tidigare)": nothing is lost, and a
repeat is never silent. Rows claimed but not yet tried when the process died carry the same note
(the database cannot tell them apart); claiming ahead is bounded by the batch size for that
reason as well as for the lease.

Telegram's answers: 429 `retry_after` puts the row and the rest of its chat back until then
(not an attempt); 5xx and network errors retry with exponential back-off (urgent rows from 2 s,
reminders from 30 s) up to the row's attempts; a timeout marks a reminder uncertain (never resent
blindly) and resends a fact's message marked as a possible repeat; a migrated group's rows follow
the new chat id; Forbidden pauses the chat's rows until the bot is back; a bad request fails the
row with a short, content-free code.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import socket
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ReplyParameters
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

from delivery import hooks, outbox
from delivery import renderers as reminder_texts
from delivery.parts import (
    Document,
    Edit,
    Keyboard,
    Message,
    Pin,
    Text,
    expand,
    message_from_json,
)
from governance.privacy import chat_ref
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
_TARGET_WAIT = timedelta(seconds=5)  # an edit whose message is not delivered yet waits this long
_WRITE_BATCH = 200


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
    priority: int = 0
    progress: int = 0
    sent_message_ids: tuple[int, ...] = ()
    possible_repeat: bool = False
    on_timeout: str = "uncertain"
    max_attempts: int | None = None
    on_sent: str | None = None
    coalesce_key: str | None = None

    @classmethod
    def of(cls, row: Any) -> Claimed:
        """From a claimed row (`repo.claim_due_rows`: a plain row, or an ORM Reminder)."""
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
            priority=row.priority,
            progress=row.progress,
            sent_message_ids=tuple(row.sent_message_ids or ()),
            possible_repeat=row.possible_repeat,
            on_timeout=row.on_timeout,
            max_attempts=row.max_attempts,
            on_sent=row.on_sent,
            coalesce_key=row.coalesce_key,
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
    repeats: int = 0  # sends marked as possible repeats
    next_due_at: datetime | None = None

    def busy(self) -> bool:
        return self.claimed > 0


# -- outcomes, written back in order by one writer ------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    # sent | progress | uncertain | failed | skipped | retry (counts as an attempt) | release
    # (does not) | pause_row, and the chat-wide defer_chat | pause_chat | move_chat
    action: str
    reminder_id: int | None = None
    message_id: int | None = None
    late: bool = False
    error: str | None = None
    after: datetime | None = None
    # chat-wide actions
    chat_id: int | None = None
    new_chat_id: int | None = None
    # rows of several messages, rows whose ids an edit may need, on-sent hooks
    message_ids: tuple[int, ...] | None = None
    repeat: bool = False
    hook: tuple[str, hooks.Sent] | None = None


class _OutcomeWriter:
    """Writes outcomes in the order given, off the loop, as soon as they come: each commit takes
    whatever gathered while the previous one ran (group commit), never waiting for more."""

    def __init__(self, dispatcher: ReminderDispatcher) -> None:
        self._dispatcher = dispatcher
        self._buffer: list[tuple[_Outcome, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._closed = False
        self._task = asyncio.create_task(self._loop(), name="outbox-outcome-writer")

    def add(self, outcome: _Outcome) -> asyncio.Future[None]:
        """Queue an outcome; the future is done once it is committed (or given up on)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer.append((outcome, done))
        self._wakeup.set()
        return done

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
            chunk = self._buffer[:_WRITE_BATCH]
            del self._buffer[:_WRITE_BATCH]
            await self._write([outcome for outcome, _ in chunk])
            for _, done in chunk:
                if not done.done():
                    done.set_result(None)

    async def _write(self, chunk: list[_Outcome]) -> None:
        for attempt in range(5):
            try:
                await asyncio.to_thread(self._dispatcher._apply_outcomes, chunk)
                return
            except Exception:
                # Unrecorded outcomes leave rows claimed: after the lease they are sent again
                # (marked as possible repeats), so keep trying a little before giving up.
                log.exception("recording %d outbox outcomes failed (try %d)", len(chunk), attempt)
                await asyncio.sleep(0.5 * (attempt + 1))


# -- what a send tells the chat worker -------------------------------------------------------


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


class _TargetNotReady(Exception):
    """The message an edit addresses has not been delivered yet."""

    def __init__(self, until: datetime) -> None:
        super().__init__("target not delivered yet")
        self.until = until


class _TargetGone(Exception):
    """The message an edit addresses will never exist (failed, cancelled) or is gone."""


class _FileMissing(Exception):
    pass


# -- the dispatcher ---------------------------------------------------------------------------


class ReminderDispatcher:
    """One per Application. `run_once()` sends everything due now; `wake()` asks for a run by
    the next due time; `kick()` (any thread) asks for one now."""

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
        urgent_backoff_base: timedelta = timedelta(seconds=2),
        urgent_backoff_cap: timedelta = timedelta(minutes=10),
    ) -> None:
        settings = services.settings
        self.bot = bot
        self.services = services
        self.instance = (instance or _default_instance())[:64]
        self.lease_seconds = float(lease_seconds or settings.reminder_lease_seconds)
        rate = max(float(settings.rate_limit_overall_per_second), 1.0)
        # A batch must be sent well within its lease even at the overall rate limit, and is
        # not claimed much further ahead than about two seconds of sends: after a crash, every
        # row claimed and not yet recorded is resent marked as a possible repeat.
        self.batch_size = batch_size or max(
            20, min(500, int(rate * self.lease_seconds / 4), int(rate * 2))
        )
        self.grace = grace
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.urgent_backoff_base = urgent_backoff_base
        self.urgent_backoff_cap = urgent_backoff_cap
        self._semaphore = asyncio.Semaphore(concurrency)
        self._run_lock = asyncio.Lock()
        self._again = False
        self._inflight = 0
        self._room = asyncio.Event()
        self._urgent = asyncio.Event()
        self._idle = asyncio.Event()
        self._queues: dict[int, list[tuple[tuple[int, datetime, int], Claimed]]] = {}
        # Rows in hand by id: waiting in a chat's queue (the latest claim of each), or being sent.
        self._waiting: dict[int, Claimed] = {}
        self._sending: set[int] = set()
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._holds: dict[int, _Stop] = {}
        self._moved: dict[int, int] = {}
        self._delivered: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._job_queue: Any = None
        self._wake_job: Job[Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        outbox.register_waker(self)

    @property
    def _low_water(self) -> int:
        return self.batch_size // 2

    # -- running -------------------------------------------------------------------------------

    async def run_once(self) -> DispatchReport:
        """Send everything due now (claiming batch after batch), then say when next to run."""
        self._loop = asyncio.get_running_loop()
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
                "outbox: %d claimed, %d sent (%d late, %d marked as possible repeats), "
                "%d skipped, %d uncertain, %d failed, %d retried, %d released, %d paused, "
                "%d migrated",
                report.claimed,
                report.sent,
                report.late,
                report.repeats,
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
        self._holds.clear()
        self._waiting.clear()
        self._sending.clear()
        self._moved.clear()
        self._delivered.clear()
        self._idle.set()
        try:
            while True:
                # Claim ahead only while the rows in hand are few, so none waits near its
                # lease; an urgent wake-up claims the urgent rows at once all the same.
                while self._inflight > self._low_water and not self._urgent.is_set():
                    self._room.clear()
                    await _first(self._room, self._urgent)
                urgent_only = False
                if self._urgent.is_set():
                    self._urgent.clear()
                    urgent_only = self._inflight > self._low_water
                claim = self._claim_urgent if urgent_only else self._claim
                batch = await asyncio.to_thread(claim)
                if batch:
                    report.claimed += len(batch)
                    self._route(batch, writer, report)
                    continue
                if not self._workers:
                    break
                # Nothing more is due: wait for the chats in hand, or for an urgent row.
                await _first(self._idle, self._urgent)
                if not self._urgent.is_set():
                    break
        finally:
            # Even when claiming failed: let the sends in flight finish and record their
            # outcomes, or their rows would wait for the lease and go out a second time.
            workers = list(self._workers.values())
            results = await asyncio.gather(*workers, return_exceptions=True) if workers else []
            await writer.close()
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def _claim(self) -> list[Claimed]:
        return self._claim_rows(urgent_only=False)

    def _claim_urgent(self) -> list[Claimed]:
        return self._claim_rows(urgent_only=True)

    def _claim_rows(self, *, urgent_only: bool) -> list[Claimed]:
        now = self.services.now()
        with transaction(self.services.session_factory) as session:
            rows = repo.claim_due_rows(
                session,
                now=now,
                instance=self.instance,
                lease_seconds=self.lease_seconds,
                limit=self.batch_size,
                min_priority=outbox.NOW if urgent_only else None,
            )
            return [Claimed.of(row) for row in rows]

    def _next_due_at(self) -> datetime | None:
        with transaction(self.services.session_factory) as session:
            return repo.next_due_at(session)

    def _route(
        self, batch: Sequence[Claimed], writer: _OutcomeWriter, report: DispatchReport
    ) -> None:
        """Each claimed row to its chat's queue (most urgent first), one worker per chat."""
        now = self.services.now()
        for item in batch:
            hold = self._holds.get(item.chat_id)
            if isinstance(hold, _Wait) and now >= hold.until:
                del self._holds[item.chat_id]
                hold = None
            if hold is not None:
                self._hold(item, hold, writer, report)
                continue
            if item.id in self._sending:
                continue  # claimed again while its send is under way: that send decides
            if item.id in self._waiting:
                # Claimed again while it waited here (its lease ran out first): the newer claim
                # and its lease replace the old one, in the same place in the queue.
                # This process knows it never tried it: no possible repeat.
                old = self._waiting[item.id]
                self._waiting[item.id] = replace(item, possible_repeat=old.possible_repeat)
                continue
            self._inflight += 1
            queue = self._queues.setdefault(item.chat_id, [])
            if item.coalesce_key is not None and self._coalesce(queue, item, writer, report):
                continue
            self._waiting[item.id] = item
            heapq.heappush(queue, ((-item.priority, item.due_at, item.id), item))
            if item.chat_id not in self._workers:
                self._idle.clear()
                self._workers[item.chat_id] = asyncio.create_task(
                    self._chat_worker(item.chat_id, writer, report)
                )

    def _coalesce(
        self,
        queue: list[tuple[tuple[int, datetime, int], Claimed]],
        item: Claimed,
        writer: _OutcomeWriter,
        report: DispatchReport,
    ) -> bool:
        """Of the rows waiting in a chat's queue with one coalesce key (edits of one message),
        only the newest is sent. True if `item` itself is superseded."""
        same = [entry for entry in queue if entry[1].coalesce_key == item.coalesce_key]
        if not same:
            return False
        newest = max([item, *(entry[1] for entry in same)], key=lambda c: c.id)
        dropped = [entry[1] for entry in same if entry[1] is not newest]
        if item is not newest:
            dropped.append(item)
        kept = [entry for entry in queue if entry[1] not in dropped]
        queue[:] = kept
        heapq.heapify(queue)
        for old in dropped:
            self._waiting.pop(old.id, None)
            writer.add(_Outcome("skipped", old.id, error="superseded"))
            report.skipped += 1
            self._done_one()
        return item is not newest

    def _hold(
        self, item: Claimed, hold: _Stop, writer: _OutcomeWriter, report: DispatchReport
    ) -> None:
        if isinstance(hold, _Paused):
            writer.add(_Outcome("pause_row", item.id))
            report.paused += 1
        elif isinstance(hold, _Wait):
            # Telegram asked this chat to wait: the rest keep their order behind it.
            writer.add(_Outcome("release", item.id, after=hold.until))
            report.released += 1

    def _done_one(self) -> None:
        self._inflight -= 1
        if self._inflight <= self._low_water:
            self._room.set()

    async def _chat_worker(
        self, chat_id: int, writer: _OutcomeWriter, report: DispatchReport
    ) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                _, queued = heapq.heappop(queue)
                item = self._waiting.pop(queued.id, queued)
                self._sending.add(item.id)
                target = self._moved.get(chat_id, chat_id)
                try:
                    # The slot is taken before the row's lease is checked: a row never waits
                    # for a slot between that check and its send.
                    async with self._semaphore:
                        stop = await self._deliver_one(item, target, writer, report)
                finally:
                    self._sending.discard(item.id)
                    self._done_one()
                if isinstance(stop, _Migrated):
                    self._moved[chat_id] = stop.new_chat_id
                elif isinstance(stop, _Paused | _Wait):
                    self._holds[chat_id] = stop
                    while queue:
                        _, rest = heapq.heappop(queue)
                        rest = self._waiting.pop(rest.id, rest)
                        self._hold(rest, stop, writer, report)
                        self._done_one()
        finally:
            self._queues.pop(chat_id, None)
            self._workers.pop(chat_id, None)
            if not self._workers:
                self._idle.set()

    # -- one row -------------------------------------------------------------------------------

    async def _render(self, item: Claimed, language: str, late: bool) -> list[Message]:
        if item.kind == outbox.STATIC_KIND:
            return [message_from_json(raw) for raw in item.payload.get("parts", [])]
        if reminder_texts.is_heavy(item.kind):
            parts = await asyncio.to_thread(
                reminder_texts.render_parts, item.kind, item.payload, language, late
            )
        else:
            parts = reminder_texts.render_parts(item.kind, item.payload, language, late)
        return expand(parts)

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
                "outbox row %s (%s, chat %s) skipped: expired at %s",
                item.id,
                item.kind,
                chat_ref(chat_id),
                item.expires_at.isoformat(),
            )
            writer.add(_Outcome("skipped", item.id, error="expired"))
            report.skipped += 1
            return None
        late = now - item.due_at > self._grace(item)
        language = item.language or self.services.settings.bot_language
        try:
            messages = await self._render(item, language, late)
        except reminder_texts.UnknownKind:
            log.error("outbox row %s failed: no renderer for kind %r", item.id, item.kind)
            writer.add(_Outcome("failed", item.id, error="unknown_kind"))
            report.failed += 1
            return None
        except Exception:
            log.exception("outbox row %s failed: rendering %r raised", item.id, item.kind)
            writer.add(_Outcome("failed", item.id, error="render_error"))
            report.failed += 1
            return None

        start = min(item.progress, len(messages))
        ids = list(item.sent_message_ids[:start])
        current: Message | None = None
        try:
            for index in range(start, len(messages)):
                current = messages[index]
                repeat = item.possible_repeat and index == start
                ids.append(await self._send(item, current, chat_id, language, repeat))
                if repeat and not isinstance(current.part, Edit | Pin):
                    report.repeats += 1
                if index < len(messages) - 1:
                    # Recorded before the next message goes: a retry resumes after this one.
                    await writer.add(_Outcome("progress", item.id, message_ids=tuple(ids)))
        except RetryAfter as exc:
            until = now + _retry_after(exc)
            log.warning(
                "outbox row %s: flood control for chat %s, retrying after %s",
                item.id,
                chat_ref(chat_id),
                until.isoformat(),
            )
            # Not a failed attempt: it does not use up the row's retries.
            writer.add(_Outcome("release", item.id, after=until, error="retry_after"))
            writer.add(_Outcome("defer_chat", chat_id=chat_id, after=until))
            report.retried += 1
            return _Wait(until)
        except ChatMigrated as exc:
            if resend:
                log.error("outbox row %s failed: chat %s migrated again", item.id, chat_id)
                writer.add(_Outcome("failed", item.id, error="migrated_twice"))
                report.failed += 1
                return None
            new_chat_id = int(exc.new_chat_id)
            log.info("chat %s became supergroup %s: its messages follow", chat_id, new_chat_id)
            writer.add(_Outcome("move_chat", chat_id=chat_id, new_chat_id=new_chat_id))
            report.migrated += 1
            # Telegram refused the message: nothing of it reached the old chat.
            moved = replace(
                item, progress=len(ids), sent_message_ids=tuple(ids), possible_repeat=False
            )
            stop = await self._deliver_one(moved, new_chat_id, writer, report, resend=True)
            return stop if stop is not None else _Migrated(new_chat_id)
        except Forbidden:
            log.warning(
                "outbox row %s: the bot is not in chat %s any more; its messages are paused",
                item.id,
                chat_ref(chat_id),
            )
            writer.add(_Outcome("pause_chat", item.id, chat_id=chat_id))
            report.paused += 1
            return _Paused()
        except _TargetNotReady as wait:
            writer.add(_Outcome("release", item.id, after=wait.until, error="target_pending"))
            report.released += 1
            return None
        except _TargetGone:
            log.info("outbox row %s skipped: the message it edits is not there", item.id)
            writer.add(_Outcome("skipped", item.id, error="no_target"))
            report.skipped += 1
            return None
        except _FileMissing:
            log.error("outbox row %s failed: its file is missing", item.id)
            writer.add(_Outcome("failed", item.id, error="file_missing"))
            report.failed += 1
            return None
        except BadRequest as exc:
            # Before TimedOut and NetworkError: BadRequest subclasses NetworkError.
            log.error("outbox row %s failed: bad request (%s)", item.id, _error_code(exc))
            writer.add(_Outcome("failed", item.id, error=f"bad_request:{_error_code(exc)}"))
            report.failed += 1
            return None
        except TimedOut as exc:
            if _never_sent(exc):
                writer.add(_Outcome("release", item.id, after=now + _RELEASE_DELAY))
                report.released += 1
                return None
            editing = current is not None and isinstance(current.part, Edit | Pin)
            if item.on_timeout == "resend" or editing:
                # The message may have been delivered (PTB #1045). A fact's message is sent
                # again rather than lost, marked as a possible repeat; an edit is idempotent.
                log.warning("outbox row %s: send timed out, resending", item.id)
                self._retry_later(item, "timed_out", now, writer, report, repeat=not editing)
                return None
            # A reminder: never resent blindly.
            log.warning("outbox row %s: send timed out, delivery uncertain", item.id)
            writer.add(_Outcome("uncertain", item.id, error="timed_out"))
            report.uncertain += 1
            return None
        except (NetworkError, TelegramError) as exc:
            code = "network" if isinstance(exc, NetworkError) else type(exc).__name__.lower()
            self._retry_later(item, code, now, writer, report)
            return None
        except Exception:
            log.exception("outbox row %s failed: unexpected error while sending", item.id)
            writer.add(_Outcome("failed", item.id, error="internal"))
            report.failed += 1
            return None

        ofs = tuple(m.of for m in messages)
        self._delivered[item.dedupe_key] = (tuple(ids), ofs)
        hook = None
        if item.on_sent:
            data = item.payload.get("hook")
            sent = hooks.Sent(item.dedupe_key, chat_id, tuple(ids), ofs, dict(data) if data else {})
            hook = (item.on_sent, sent)
        keep_ids = len(ids) > 1 or item.kind == outbox.STATIC_KIND or hook is not None
        writer.add(
            _Outcome(
                "sent",
                item.id,
                message_id=ids[-1] if ids else None,
                late=late,
                message_ids=tuple(ids) if keep_ids else None,
                hook=hook,
            )
        )
        report.sent += 1
        if late:
            report.late += 1
            log.info("outbox row %s sent late (due %s)", item.id, item.due_at.isoformat())
        return None

    async def _send(
        self, item: Claimed, message: Message, chat_id: int, language: str, repeat: bool
    ) -> int:
        """One Telegram call; returns the message id sent (or edited)."""
        part = message.part
        markup = _markup(part.keyboard)
        if isinstance(part, Text):
            text = reminder_texts.with_repeat_note(part.html, language) if repeat else part.html
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=text,
                message_thread_id=item.thread_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_notification=part.silent or None,
                reply_parameters=(
                    ReplyParameters(part.reply_to, allow_sending_without_reply=True)
                    if part.reply_to is not None
                    else None
                ),
            )
            return sent.message_id
        if isinstance(part, Document):
            data = part.data
            if data is None and part.file_id is not None:
                data = await asyncio.to_thread(self._file_data, part.file_id)
            if data is None:
                raise _FileMissing(part.filename)
            caption = part.caption
            if repeat:
                caption = reminder_texts.with_repeat_note(caption, language)
            sent = await self.bot.send_document(
                chat_id=chat_id,
                document=InputFile(data, filename=part.filename),
                caption=caption,
                parse_mode=ParseMode.HTML,
                message_thread_id=item.thread_id,
                reply_markup=markup,
                disable_notification=part.silent or None,
            )
            return sent.message_id
        if isinstance(part, Pin):
            return await self._pin(part, chat_id)
        assert isinstance(part, Edit)
        message_id = part.message_id
        if message_id is None:
            message_id = await self._resolve(part)
        try:
            await self.bot.edit_message_text(
                text=part.html,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            text = exc.message.lower()
            if "not modified" in text:
                return message_id
            if "not found" in text or "can't be edited" in text:
                raise _TargetGone from exc
            raise
        return message_id

    async def _pin(self, pin: Pin, chat_id: int) -> int:
        """Pin or unpin quietly; without the right (or with the message gone) it stays as it is."""
        message_id = pin.message_id
        if message_id is None:
            message_id = await self._resolve(pin)
        try:
            if pin.unpin:
                await self.bot.unpin_chat_message(chat_id=chat_id, message_id=message_id)
            else:
                await self.bot.pin_chat_message(
                    chat_id=chat_id, message_id=message_id, disable_notification=True
                )
        except BadRequest as exc:
            log.info(
                "message %s in chat %s not (un)pinned: %s", message_id, chat_id, _error_code(exc)
            )
        return message_id

    async def _resolve(self, edit: Edit | Pin) -> int:
        """The message id an edit addresses: the target row's message for the given part."""
        assert edit.target is not None
        known = self._delivered.get(edit.target)
        if known is None:
            found = await asyncio.to_thread(self._delivery_of, edit.target)
            if found is None:
                raise _TargetGone
            if found.state in (
                repo.ReminderState.PENDING,
                repo.ReminderState.CLAIMED,
                repo.ReminderState.PAUSED,
            ):
                now = self.services.now()
                until = max(found.next_attempt_at or now, now) + _TARGET_WAIT
                raise _TargetNotReady(until)
            if found.state != repo.ReminderState.SENT or not found.message_ids:
                raise _TargetGone
            raw = found.payload.get("parts")
            ofs = (
                tuple(int(p.get("of", i)) for i, p in enumerate(raw))
                if isinstance(raw, list) and len(raw) == len(found.message_ids)
                else tuple(range(len(found.message_ids)))
            )
            known = (found.message_ids, ofs)
        ids, ofs = known
        if edit.part < 0:
            return ids[-1]
        matching = [m for m, of in zip(ids, ofs, strict=False) if of == edit.part]
        if not matching:
            raise _TargetGone
        return matching[-1]

    def _delivery_of(self, key: str) -> repo.Delivery | None:
        with transaction(self.services.session_factory) as session:
            return repo.delivery_of(session, key)

    def _file_data(self, file_id: int) -> bytes | None:
        with transaction(self.services.session_factory) as session:
            return repo.file_data(session, file_id)

    def _retry_later(
        self,
        item: Claimed,
        code: str,
        now: datetime,
        writer: _OutcomeWriter,
        report: DispatchReport,
        *,
        repeat: bool = False,
    ) -> None:
        limit = item.max_attempts or self.max_attempts
        if item.attempts >= limit:
            log.error("outbox row %s failed after %d attempts (%s)", item.id, item.attempts, code)
            writer.add(_Outcome("failed", item.id, error=code))
            report.failed += 1
            return
        urgent = item.priority >= outbox.NOW
        base = self.urgent_backoff_base if urgent else self.backoff_base
        cap = self.urgent_backoff_cap if urgent else self.backoff_cap
        delay = min(cap, base * (2 ** max(item.attempts - 1, 0)))
        log.warning("outbox row %s: %s, retrying in %s", item.id, code, delay)
        writer.add(_Outcome("retry", item.id, after=now + delay, error=code, repeat=repeat))
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
        # "sent" is recorded whatever else happened to the row, so all of them go first (the
        # plain ones in one statement); the rest keep their order (a chat's pause or move
        # before its later rows).
        plain = [
            (o.reminder_id, o.message_id, o.late)
            for o in outcomes
            if o.action == "sent" and o.message_ids is None
        ]
        with transaction(self.services.session_factory) as session:
            repo.mark_sent_many(session, plain, now=now)  # type: ignore[arg-type]
            for o in outcomes:
                rid = o.reminder_id
                if o.action == "sent":
                    if o.message_ids is not None:
                        assert rid is not None
                        repo.mark_sent_parts(
                            session, rid, now=now, message_ids=o.message_ids, late=o.late
                        )
                    if o.hook is not None:
                        hooks.run(session, o.hook[0], o.hook[1])
                elif o.action == "progress":
                    assert rid is not None and o.message_ids is not None
                    repo.record_progress(
                        session, rid, now=now, message_ids=o.message_ids, instance=mine
                    )
                elif o.action == "uncertain":
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
                        repeat=o.repeat,
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
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            pass  # set by the first run

    async def wake(self) -> None:
        """Something was scheduled: make sure a run happens by its due time."""
        self._loop = asyncio.get_running_loop()
        next_due = await asyncio.to_thread(self._next_due_at)
        self._arrange_wake(next_due, min_delay=0.0)

    def kick(self) -> None:
        """A commit queued a row due now: run at once (from any thread; see delivery.outbox).
        A run in progress claims the urgent rows without waiting for its chats to drain."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not running yet: the first run finds the row
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._kick_now()
        else:
            loop.call_soon_threadsafe(self._kick_now)

    def _kick_now(self) -> None:
        jobs = self._job_queue
        if jobs is not None and not getattr(jobs.scheduler, "running", True):
            return  # its Application has stopped (or not started): nothing to send with
        if self._run_lock.locked():
            self._again = True
            self._urgent.set()
        else:
            self._spawn(self._tick())

    async def _tick(self, _context: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        if self._run_lock.locked():
            self._again = True  # the running dispatch claims once more before it stops
            return
        try:
            report = await self.run_once()
        except Exception:
            log.exception("outbox dispatch failed; the next run tries again")
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


# -- helpers ----------------------------------------------------------------------------------


async def _first(*events: asyncio.Event) -> None:
    """Until any of the events is set."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _markup(rows: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url)
                if b.url is not None
                else InlineKeyboardButton(b.text, callback_data=b.data)
                for b in row
            ]
            for row in rows
        ]
    )


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
