"""The inbox worker: handles stored updates, each exactly once while nothing crashes, and again
after a crash or a database outage interrupted its handler.

Updates of different chats are handled concurrently, a chat's own strictly in order: each chat
(a group, a private chat) is a lane, updates with no chat (inline queries, poll answers, the
unknown) share one lane, and at most `concurrency` updates are in their handlers at once (by
default the engine pool's steady size, so handlers never wait for a connection, and the pool's
overflow is left to the poller, the outbox and the background reads). While one update waits on
the database (PostgreSQL's round trips, SQLite's write lock) another chat's update progresses.

Updates reach the inbox from the webhook (stored before Telegram gets its 200) or from the
poller (stored before the next getUpdates confirms them). Every process runs one worker; rows
are leased, so two processes on one PostgreSQL never handle the same update at once, and a row
whose process died is taken over when its lease runs out.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop

from bot.outage import is_database_outage, monitor
from services import senders
from storage import inbox
from storage.db import transaction
from storage.runtime import Runtime

log = logging.getLogger("bot.inbox")
PURGE_EVERY = 3600.0  # seconds between removals of handled updates older than two days


@dataclass
class _Attempt:
    outage: bool = False


_CURRENT: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar(
    "inbox_attempt", default=None
)


def wall_clock() -> datetime:
    """Leases are about processes, not about the partnership's (injectable) calendar."""
    return datetime.now(UTC)


async def on_database_error(update: object, context: Any) -> None:
    """The first error handler: a database outage under a handler is not the user's problem.

    The update goes back to the inbox worker, which handles it again once the database answers,
    so the user gets one real answer instead of "something went wrong". Other errors go on to
    the regular error handler."""
    error = getattr(context, "error", None)
    if not is_database_outage(error):
        return
    assert error is not None
    monitor.failed(error)
    attempt = _CURRENT.get()
    if attempt is not None:
        attempt.outage = True
    raise ApplicationHandlerStop


def chat_key(update: Update) -> int | None:
    """The lane an update is handled in: its chat (a message's, a press's, a member change's),
    or None for updates without one."""
    chat = update.effective_chat
    return chat.id if chat is not None else None


def _is_barrier(update: Update) -> bool:
    """A group becoming a supergroup moves the chat's data to a new chat id: handled alone,
    after everything taken before it, so neither chat's lane overtakes the move."""
    message = update.effective_message
    return message is not None and bool(message.migrate_to_chat_id or message.migrate_from_chat_id)


def default_concurrency(services: Runtime) -> int:
    """The engine pool's steady size (connections kept open), at least 1; 1 when the pool
    is not a queue of connections (an in-memory SQLite database shares one)."""
    size = getattr(services.engine.pool, "size", None)
    if not callable(size):
        return 1
    return max(1, int(size()))


@dataclass
class _Item:
    taken: inbox.Taken
    update: Update | None  # None: the stored payload could not be read


class InboxWorker:
    """Takes stored updates `batch` at a time and hands them to the Application, chat by chat.

    The common path costs the inbox no transaction of its own per update: the row is marked
    handled inside the handler's transaction (`services.senders.mark_stored`, through the
    wrapper's `settle_in`), and only an update no handler marked (ignored, refused, stopped)
    is marked here. One heartbeat task renews the leases of every row in hand (taken and not
    yet handled, in a lane or waiting in one); the next batch is taken while the last is still
    being handled once fewer than half a batch are in hand."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Runtime,
        *,
        lease_seconds: float = 60.0,
        poll_interval: float = 0.5,
        worker_id: str | None = None,
        batch: int = 16,
        concurrency: int | None = None,
    ) -> None:
        self.application = application
        self.services = services
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_interval = poll_interval
        self.batch = max(1, batch)
        self.concurrency = max(
            1, concurrency if concurrency is not None else default_concurrency(services)
        )
        self.worker_id = (
            worker_id or f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )[:64]
        self.handled = 0
        # The last updates handled through to their answers (what tests and benchmarks wait
        # for: the row is marked handled at the handler's commit, before its answers go out).
        self.finished: collections.deque[int] = collections.deque(maxlen=10_000)
        self._held: list[int] = []  # taken, not yet marked handled: their leases are renewed
        self._lanes: dict[int | None, asyncio.Task[None]] = {}  # chat -> its running lane
        self._queues: dict[int | None, collections.deque[_Item]] = {}
        self._slots = asyncio.Semaphore(self.concurrency)
        self._room = asyncio.Event()  # an update in hand was handled
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-worker")
        self._heartbeat_task = asyncio.create_task(self._heartbeat(), name="inbox-heartbeat")

    def wake(self) -> None:
        self._wakeup.set()

    async def stop(self) -> None:
        """Finishes the updates in their handlers; the rest stay stored for the next start or
        process (those taken but not begun are given back at once)."""
        self._stopping = True
        self._wakeup.set()
        self._room.set()
        if self._task is not None:
            await self._task
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat_task
        if self._held:
            held, self._held = list(self._held), []
            with contextlib.suppress(Exception):  # an outage: their leases run out instead
                await asyncio.to_thread(self._release, held)

    # -- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._take_and_dispatch()
        finally:
            await self._drain()  # the lanes finish the update they began (stopping)

    async def _take_and_dispatch(self) -> None:
        backoff = _Backoff()
        purged = float("-inf")  # the first pass purges (monotonic time may start near 0)
        while not self._stopping:
            if len(self._held) > self.batch // 2:
                # Enough in hand to keep the lanes busy: the next batch when half is handled.
                self._room.clear()
                await self._room.wait()
                continue
            if time.monotonic() - purged > PURGE_EVERY:
                purged = time.monotonic()
                try:
                    await asyncio.to_thread(self._purge)
                except Exception as exc:  # an outage, or a busy database: the next pass purges
                    log.warning("purging handled updates failed (%s); tried again later", exc)
            try:
                taken = await asyncio.to_thread(self._take)
            except Exception as exc:
                if is_database_outage(exc):
                    monitor.failed(exc)
                else:
                    log.exception("taking stored updates failed")
                await self._sleep(backoff.next())
                continue
            monitor.recovered()
            backoff.reset()
            if taken:
                await self._dispatch(taken)
            if len(taken) < self.batch:
                # Nothing more was stored: the next when the poller or webhook says so.
                await self._sleep(self.poll_interval)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        self._wakeup.clear()

    def _purge(self) -> None:
        with transaction(self.services.session_factory) as session:
            inbox.forget_handled(session, wall_clock())

    def _take(self) -> list[inbox.Taken]:
        with transaction(self.services.session_factory) as session:
            return inbox.take(
                session,
                worker=self.worker_id,
                now=wall_clock(),
                lease=self.lease,
                limit=self.batch,
            )

    def _release(self, update_ids: list[int]) -> None:
        with transaction(self.services.session_factory) as session:
            inbox.release(session, update_ids, worker=self.worker_id)

    async def _dispatch(self, taken: list[inbox.Taken]) -> None:
        """Each taken update to the end of its chat's lane (a lane starts when its chat has
        none running); a chat migration waits for every lane and is handled alone."""
        self._held.extend(item.update_id for item in taken)
        for taken_item in taken:
            item = self._read(taken_item)
            if item.update is not None and _is_barrier(item.update):
                await self._drain()
                if self._stopping:
                    return  # it and the rest are given back by stop()
                async with self._slots:
                    await self._handle_item(item)
                continue
            key = chat_key(item.update) if item.update is not None else None
            queue = self._queues.get(key)
            if queue is None:
                queue = self._queues[key] = collections.deque()
            queue.append(item)
            if key not in self._lanes:
                self._lanes[key] = asyncio.create_task(
                    self._lane(key, queue), name=f"inbox-lane-{key}"
                )

    def _read(self, taken: inbox.Taken) -> _Item:
        try:
            return _Item(taken, Update.de_json(taken.payload, self.application.bot))
        except Exception:
            log.error("stored update %s cannot be read; it is set aside", taken.update_id)
            return _Item(taken, None)

    async def _lane(self, key: int | None, queue: collections.deque[_Item]) -> None:
        """One chat's updates, in the order taken, one at a time."""
        try:
            while queue and not self._stopping:
                async with self._slots:
                    if self._stopping:
                        break  # not begun: given back by stop()
                    item = queue.popleft()
                    await self._handle_item(item)
        finally:
            # No await since the queue was found empty: nothing was added meanwhile.
            del self._lanes[key]
            if self._queues.get(key) is queue:
                del self._queues[key]

    async def _handle_item(self, item: _Item) -> None:
        update_id = item.taken.update_id
        try:
            await self._handle_one(item)
        except Exception:
            # A bug, not the handlers' (PTB gives their errors to the error handlers): the
            # row's lease runs out and it is handled again, as after a crash.
            log.exception("update %s: handling it failed", update_id)
        else:
            self.finished.append(update_id)
        with contextlib.suppress(ValueError):
            self._held.remove(update_id)
        self._room.set()

    async def _drain(self) -> None:
        while self._lanes:
            await asyncio.wait(list(self._lanes.values()))

    async def _handle_one(self, lane_item: _Item) -> None:
        item, update = lane_item.taken, lane_item.update
        if item.attempts > 1:
            log.info("update %s is handled again: its earlier handler was cut off", item.update_id)
        if update is None:
            await self._finish(item.update_id)
            return
        while True:
            attempt = _Attempt()
            reset = _CURRENT.set(attempt)
            stored, stored_reset = senders.handling_stored(item.update_id)
            try:
                await self.application.process_update(update)
            finally:
                senders.done_handling(stored_reset)
                _CURRENT.reset(reset)
            if not attempt.outage:
                break
            # The database went away under the handler: nothing was answered. Wait for it,
            # keep the lease, and handle the update again.
            if not await self._wait_and_reclaim(item.update_id):
                return
        if stored.marked:
            self.handled += 1  # marked with the handler's work, in its transaction
        else:
            await self._finish(item.update_id)

    async def _heartbeat(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.2)
        while True:
            await asyncio.sleep(interval)
            held = list(self._held)
            if not held:
                continue
            try:
                await asyncio.to_thread(self._renew_all, held)
            except Exception as exc:  # an outage: the handler will meet it too
                if not is_database_outage(exc):
                    log.warning("could not extend the leases of updates %s", held)

    def _renew_all(self, update_ids: list[int]) -> None:
        with transaction(self.services.session_factory) as session:
            inbox.renew_all(
                session, update_ids, worker=self.worker_id, now=wall_clock(), lease=self.lease
            )

    def _renew(self, update_id: int, reclaim: bool) -> bool:
        with transaction(self.services.session_factory) as session:
            mine = inbox.renew(
                session, update_id, worker=self.worker_id, now=wall_clock(), lease=self.lease
            )
            if mine and reclaim:
                inbox.forget_claim(session, update_id)
            return mine

    async def _wait_and_reclaim(self, update_id: int) -> bool:
        backoff = _Backoff()
        while True:
            await asyncio.sleep(backoff.next())
            try:
                mine = await asyncio.to_thread(self._renew, update_id, True)
            except Exception as exc:
                if not is_database_outage(exc):
                    log.exception("update %s: renewing its lease failed", update_id)
                continue
            monitor.recovered()
            if not mine:
                log.info("update %s was taken over by another process", update_id)
            return mine

    async def _finish(self, update_id: int) -> None:
        backoff = _Backoff()
        while True:
            try:
                await asyncio.to_thread(self._mark, update_id)
                self.handled += 1
                return
            except Exception as exc:
                if is_database_outage(exc):
                    monitor.failed(exc)
                else:
                    log.exception("update %s: recording it as handled failed", update_id)
                if self._stopping and backoff.attempts > 5:
                    return  # handled; it may be handled again after the lease (at least once)
                await asyncio.sleep(backoff.next())

    def _mark(self, update_id: int) -> None:
        with transaction(self.services.session_factory) as session:
            inbox.mark_handled(session, update_id, wall_clock())


class _Backoff:
    def __init__(self, first: float = 0.5, cap: float = 10.0) -> None:
        self.first = first
        self.cap = cap
        self.attempts = 0

    def next(self) -> float:
        delay = min(self.cap, self.first * (2**self.attempts))
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0
