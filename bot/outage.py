"""Database outages: recognised, said once, and waited out.

Whatever part of the bot meets the database down (a handler, the inbox worker, the reminder
dispatcher, a job) reports it here; the first report of an outage logs one line, the rest are
quiet, and the first success after it logs how long it lasted.
"""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy.exc

log = logging.getLogger("bot.database")


def is_database_outage(exc: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (not a bug in a query)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(
            exc,
            sqlalchemy.exc.OperationalError
            | sqlalchemy.exc.InterfaceError
            | sqlalchemy.exc.TimeoutError
            | sqlalchemy.exc.PendingRollbackError,
        ):
            return True
        if type(exc).__module__.startswith("psycopg") and type(exc).__name__ in (
            "OperationalError",
            "InterfaceError",
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def describe(exc: BaseException) -> str:
    """A short, content-free name for what failed (never the SQL, never the parameters)."""
    original = getattr(exc, "orig", None)
    return type(original or exc).__name__


class OutageMonitor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None
        self.outages = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._since is not None:
                return
            self._since = time.monotonic()
            self.outages += 1
        log.warning(
            "database unreachable (%s); updates and reminders wait until it is back",
            describe(exc),
        )

    def recovered(self) -> None:
        with self._lock:
            if self._since is None:
                return
            lasted = time.monotonic() - self._since
            self._since = None
        log.warning("database reachable again after %.0f s; carrying on", lasted)


monitor = OutageMonitor()


class OutageLogFilter(logging.Filter):
    """Any log record carrying a database outage becomes the one line of `monitor`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == log.name or not record.exc_info:
            return True
        exc = record.exc_info[1]
        if exc is None or not is_database_outage(exc):
            return True
        monitor.failed(exc)
        return False
