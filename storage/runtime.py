"""What handlers, services and jobs share at run time: the database, the clock, the settings.

Built once by the composition root (`bot.app`) from `bot.config.Settings`; the layers below it
see the settings only through the small protocol they need, so nothing imports `bot/`.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from storage.db import SessionFactory

Clock = Callable[[], datetime]
T = TypeVar("T")


def system_clock() -> datetime:
    return datetime.now(UTC)


class RuntimeSettings(Protocol):
    """The settings the layers below the composition root read."""

    @property
    def bot_language(self) -> str: ...
    @property
    def zone(self) -> ZoneInfo: ...
    @property
    def dispatcher_interval_seconds(self) -> float: ...
    @property
    def reminder_lease_seconds(self) -> int: ...
    @property
    def rate_limit_overall_per_second(self) -> float: ...


@dataclass
class Runtime:
    settings: RuntimeSettings
    engine: Engine
    session_factory: SessionFactory
    clock: Clock = field(default=system_clock)
    _executor: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    async def run_sync(self, fn: Callable[[], T]) -> T:
        """Database work off the event loop: `fn` runs in a thread (with the caller's context
        variables, e.g. the language), in a pool as large as the engine's connection pool, so a
        thread never waits for a connection another thread holds idle."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=pool_capacity(self.engine), thread_name_prefix="db"
            )
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._executor, context.run, fn)

    def now(self) -> datetime:
        return self.clock()

    def today(self, zone: ZoneInfo | None = None) -> date:
        return self.clock().astimezone(zone or self.settings.zone).date()


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool hands out at once."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if callable(size):
        return max(1, int(size()) + max(0, int(overflow)))
    return 4
