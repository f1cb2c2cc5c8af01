"""What every handler and job reaches through `context.bot_data["services"]`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.config import Settings
from storage.db import SessionFactory

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: SessionFactory
    clock: Clock = field(default=system_clock)

    def now(self) -> datetime:
        return self.clock()

    def today(self, zone: ZoneInfo | None = None) -> date:
        return self.clock().astimezone(zone or self.settings.zone).date()
