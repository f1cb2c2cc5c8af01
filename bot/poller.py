"""Long polling that never loses an update: a batch is stored in the inbox before the next
getUpdates confirms it to Telegram, so a process killed at any moment gets it again at start
(and the inbox, keyed by update_id, stores it once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.inbox import wall_clock
from bot.outage import is_database_outage, monitor
from storage import inbox
from storage.db import transaction
from storage.runtime import Runtime

log = logging.getLogger("bot.poller")


class TokenRejected(Exception):
    """Telegram answered 401/404 to the token: nothing will work until it is changed."""


class DurablePoller:
    def __init__(
        self,
        bot: Bot,
        services: Runtime,
        *,
        on_stored: Callable[[], None],
        timeout: int = 30,
    ) -> None:
        self.bot = bot
        self.services = services
        self.on_stored = on_stored
        self.timeout = timeout
        self.offset: int | None = None
        # Set once Telegram has answered a getUpdates: what start-up left for later begins then.
        self.started = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        network_failures = 0
        conflict = False
        while not self._stopping.is_set():
            try:
                updates = await self._fetch()
            except InvalidToken as exc:
                raise TokenRejected from exc
            except Conflict:
                if not conflict:
                    log.error(
                        "Another bot process is already polling Telegram with this token (409 "
                        "Conflict). Run one poller per token, or use webhook mode for several "
                        "processes."
                    )
                conflict = True
                await self._pause(10)
                continue
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                log.warning("Telegram asked to slow down (429); polling again in %.0f s", seconds)
                await self._pause(seconds)
                continue
            except TimedOut:
                continue  # a long poll that outlived its timeout: just ask again
            except NetworkError as exc:
                network_failures += 1
                delay = min(60.0, 2.0 ** min(network_failures, 6))
                log.warning(
                    "cannot reach Telegram (%s); polling again in %.0f s", _short(exc), delay
                )
                await self._pause(delay)
                continue
            self.started.set()
            if network_failures or conflict:
                log.info("polling Telegram again")
            network_failures = 0
            conflict = False
            if updates:
                await self._store(updates)
                self.offset = max(int(u["update_id"]) for u in updates) + 1
                self.on_stored()

    async def _fetch(self) -> list[dict[str, Any]]:
        # The first poll does not wait for updates: its answer says that polling works.
        timeout = self.timeout if self.started.is_set() else 0
        updates = await self.bot.get_updates(
            offset=self.offset,
            timeout=timeout,
            read_timeout=timeout + 10,
            allowed_updates=Update.ALL_TYPES,
        )
        return [u.to_dict() for u in updates]

    async def _store(self, updates: list[dict[str, Any]]) -> None:
        """Until stored: Telegram keeps them for 24 hours meanwhile."""
        delay = 0.5
        while True:
            try:
                await asyncio.to_thread(self._store_now, updates)
                monitor.recovered()
                return
            except Exception as exc:
                if is_database_outage(exc):
                    monitor.failed(exc)
                else:
                    log.exception("storing %d updates failed", len(updates))
                if self._stopping.is_set():
                    return  # not confirmed: Telegram sends them again at the next start
                await self._pause(delay)
                delay = min(delay * 2, 10.0)

    def _store_now(self, updates: list[dict[str, Any]]) -> None:
        with transaction(self.services.session_factory) as session:
            inbox.store(session, updates, wall_clock())

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 1.0)
    try:
        return max(float(value), 1.0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 5.0


def _short(exc: BaseException) -> str:
    """The kind of network failure, without the URL (which carries the token)."""
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__
