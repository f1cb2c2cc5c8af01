"""What handlers, services and jobs share at run time: the database, the clock, the settings.

Built once by the composition root (`bot.app`) from `bot.config.Settings`; the layers below it
see the settings only through the small protocol they need, so nothing imports `bot/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from storage.db import SessionFactory

Clock = Callable[[], datetime]


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

    def now(self) -> datetime:
        return self.clock()

    def today(self, zone: ZoneInfo | None = None) -> date:
        return self.clock().astimezone(zone or self.settings.zone).date()
