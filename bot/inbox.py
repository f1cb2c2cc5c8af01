"""The inbox worker: handles stored updates one at a time, each exactly once while nothing
crashes, and again after a crash or a database outage interrupted its handler.

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


class InboxWorker:
    """Takes stored updates `batch` at a time and hands them to the Application one by one.

    The common path costs the inbox no transaction of its own per update: the row is marked
    handled inside the handler's transaction (`services.senders.mark_stored`, through the
    wrapper's `settle_in`), and only an update no handler marked (ignored, refused, stopped)
    is marked here. One heartbeat task renews the leases of every row in hand."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Runtime,
        *,
        lease_seconds: float = 60.0,
        poll_interval: float = 0.5,
        worker_id: str | None = None,
        batch: int = 16,
    ) -> None:
        self.application = application
        self.services = services
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_interval = poll_interval
        self.batch = max(1, batch)
        self.worker_id = (
            worker_id or f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )[:64]
        self.handled = 0
        # The last updates handled through to their answers (what tests and benchmarks wait
        # for: the row is marked handled at the handler's commit, before its answers go out).
        self.finished: collections.deque[int] = collections.deque(maxlen=10_000)
        self._held: list[int] = []  # taken, not yet marked handled: their leases are renewed
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
        """Finishes the update in hand; the rest stay stored for the next start or process
        (those taken but not begun are given back at once)."""
        self._stopping = True
        self._wakeup.set()
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
        backoff = _Backoff()
        purged = float("-inf")  # the first pass purges (monotonic time may start near 0)
        while not self._stopping:
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
            if not taken:
                await self._sleep(self.poll_interval)
                continue
            await self._handle(taken)

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

    async def _handle(self, taken: list[inbox.Taken]) -> None:
        self._held = [item.update_id for item in taken]
        for item in taken:
            if self._stopping:
                return  # the rest are given back by stop()
            await self._handle_one(item)
            with contextlib.suppress(ValueError):
                self._held.remove(item.update_id)
            self.finished.append(item.update_id)

    async def _handle_one(self, item: inbox.Taken) -> None:
        if item.attempts > 1:
            log.info("update %s is handled again: its earlier handler was cut off", item.update_id)
        try:
            update = Update.de_json(item.payload, self.application.bot)
        except Exception:
            log.error("stored update %s cannot be read; it is set aside", item.update_id)
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
