"""A rate limiter that counts what Telegram counts.

Telegram's flood limits are about messages: about 30 a second overall, 20 a minute in one group
(`telegram.constants.FloodLimit`). PTB's `AIORateLimiter` counts every request that names a chat
against them, so in a live meeting the reaction acknowledging a note and the `getChatMember`
behind it each use up one of the group's 20 a minute, and replies queue for many seconds.

`TelegramRateLimiter` counts only requests that produce or change a message in a chat (sends,
copies, forwards, media, edits); reads (`getChatMember`, `getChat`), reactions, callback answers,
pins and everything else go straight through. Among the requests waiting for a group's or the
overall budget, those made while handling an update (a reply to the person who just acted) go
before those made elsewhere (a reminder burst from the dispatcher), first come first served within
each. A 429 pauses the chat it came from for its `retry_after` (other chats go on), is logged as
one line, and is raised to the caller (or retried, with `max_retries`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

INTERACTIVE, BACKGROUND = 0, 1
_MAX_GROUP_BUCKETS = 1024

# Requests that put a new or changed message in a chat: what Telegram's flood limits count.
_MESSAGE_METHODS = frozenset(
    m.lower()
    for m in (
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
        "stopPoll",
    )
)


def counts_as_message(endpoint: str) -> bool:
    """True for sends (not chat actions), copies, forwards and edits of messages."""
    name = endpoint.lower()
    if name.startswith("send"):
        return name != "sendchataction"
    return name.startswith("editmessage") or name in _MESSAGE_METHODS


# -- which requests answer someone who just acted -------------------------------------------------

_interactive_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


def mark_interactive() -> None:
    """The current task handles updates: its requests go before background ones.

    PTB handles an update in one task (the update fetcher, or one task per update with
    concurrent updates); tasks it starts (jobs, the reminder dispatcher) are not marked."""
    task = asyncio.current_task()
    if task is not None:
        _interactive_tasks.add(task)


async def mark_interactive_handler(_update: Update, _context: Any) -> None:
    """A TypeHandler callback for the earliest handler group."""
    mark_interactive()


def current_priority() -> int:
    task = asyncio.current_task()
    return INTERACTIVE if task is not None and task in _interactive_tasks else BACKGROUND


# -- sliding windows with prioritised waiters -------------------------------------------------------


class SlidingWindow:
    """At most ``max_rate`` requests in any ``period`` seconds, as Telegram states its limits
    ("20 messages per minute"): a burst up to the limit goes at once, then each request waits
    until the oldest in the window is ``period`` old. Waiters are served by priority, then in
    arrival order."""

    __slots__ = ("_seq", "_timer", "limit", "period", "sent", "waiters")

    def __init__(self, max_rate: float, period: float) -> None:
        self.limit = max(1, int(max_rate))
        self.period = float(period)
        self.sent: deque[float] = deque()
        self.waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def _has_room(self, now: float) -> bool:
        sent, period = self.sent, self.period
        while sent and now - sent[0] >= period:
            sent.popleft()
        return len(sent) < self.limit

    @property
    def idle(self) -> bool:
        return not self.waiters and not (
            self.sent and time.monotonic() - self.sent[-1] < self.period
        )

    async def acquire(self, priority: int = BACKGROUND) -> None:
        if not self.waiters:
            now = time.monotonic()
            if self._has_room(now):
                self.sent.append(now)
                return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiters, (priority, next(self._seq), future))
        self._schedule()
        await future  # a waiter cancelled after being let through leaves its slot used

    def _schedule(self) -> None:
        if self._timer is not None or not self.waiters:
            return
        wait = 0.0
        if len(self.sent) >= self.limit:
            wait = max(0.0, self.sent[0] + self.period - time.monotonic())
        self._timer = asyncio.get_running_loop().call_later(wait, self._release)

    def _release(self) -> None:
        self._timer = None
        now = time.monotonic()
        while self.waiters:
            _priority, _seq, future = self.waiters[0]
            if future.done():
                heapq.heappop(self.waiters)
                continue
            if not self._has_room(now):
                break
            heapq.heappop(self.waiters)
            self.sent.append(now)
            future.set_result(None)
        self._schedule()


# -- the limiter -------------------------------------------------------------------------------------


def _retry_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    raw = exc.retry_after
    return raw.total_seconds() if isinstance(raw, timedelta) else float(raw)


def _chat_key(chat_id: Any) -> int | str | None:
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)
    return str(chat_id)


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Telegram's flood limits, on the requests they apply to (see the module's docstring).

    ``rate_limit_args`` of a request (PTB's ``rate_limit_args=``) sets its number of retries
    after a 429, as in PTB's AIORateLimiter.
    """

    def __init__(
        self,
        overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        overall_time_period: float = 1,
        group_max_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60,
        max_retries: int = 0,
    ) -> None:
        self._overall = (
            SlidingWindow(overall_max_rate, overall_time_period)
            if overall_max_rate and overall_time_period
            else None
        )
        self._paid = SlidingWindow(FloodLimit.PAID_MESSAGES_PER_SECOND, 1)
        self._group_rate = (group_max_rate, group_time_period)
        self._groups: dict[int | str, SlidingWindow] = {}
        self._paused: dict[tuple[bool, int | str | None], float] = {}
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _group_bucket(self, key: int | str) -> SlidingWindow | None:
        rate, period = self._group_rate
        if not (rate and period):
            return None
        bucket = self._groups.get(key)
        if bucket is None:
            if len(self._groups) >= _MAX_GROUP_BUCKETS:
                for other in [k for k, b in self._groups.items() if b.idle]:
                    del self._groups[other]
            bucket = self._groups[key] = SlidingWindow(rate, period)
        return bucket

    async def _wait_pause(self, key: tuple[bool, int | str | None]) -> None:
        until = self._paused.get(key)
        if until is None:
            return
        wait = until - time.monotonic()
        if wait <= 0:
            self._paused.pop(key, None)
            return
        await asyncio.sleep(wait)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        chat = _chat_key(data.get("chat_id"))
        counted = counts_as_message(endpoint)
        pause_key = (counted, chat)
        priority = current_priority() if counted else INTERACTIVE
        is_group = isinstance(chat, str) or (isinstance(chat, int) and chat < 0)
        for attempt in range(retries + 1):
            await self._wait_pause(pause_key)
            if counted:
                if is_group and chat is not None:
                    group = self._group_bucket(chat)
                    if group is not None:
                        await group.acquire(priority)
                if data.get("allow_paid_broadcast"):
                    await self._paid.acquire(priority)
                elif self._overall is not None and chat is not None:
                    await self._overall.acquire(priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _retry_seconds(exc)
                if len(self._paused) > 4096:
                    now = time.monotonic()
                    self._paused = {k: t for k, t in self._paused.items() if t > now}
                self._paused[pause_key] = time.monotonic() + seconds + 0.1
                again = attempt < retries
                log.warning(
                    "Telegram asked to slow down (429): %s to chat %s; retry after %.0f s%s",
                    endpoint,
                    chat,
                    seconds,
                    " (retrying)" if again else "",
                )
                if not again:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
