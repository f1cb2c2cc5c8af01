"""Engines and sessions for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

SessionFactory = sessionmaker[Session]
SQLITE_POOL_SIZE = 4


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping: it costs every transaction one more round trip. A connection that died
        # with the server fails its first statement instead; SQLAlchemy then drops the whole
        # pool, and the update or job meets a database outage, which it already survives
        # (the inbox worker handles the update again: bot.inbox).
        return create_engine(url, echo=echo, pool_pre_ping=False)

    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if database not in ("", ":memory:"):
        # Pooled: a connection (and its PRAGMAs) is made once and reused, not per transaction.
        # Each checkout still has a connection of its own, so the transactions of handlers and
        # jobs (in threads) stay apart; SQLite's write lock and busy_timeout order the writers.
        kwargs.update(poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=8)
    engine = create_engine(url, echo=echo, **kwargs)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # The pysqlite driver opens transactions lazily and as DEFERRED; a transaction that reads then
    # writes can then fail with SQLITE_BUSY_SNAPSHOT despite busy_timeout. Taking the write lock at
    # BEGIN (IMMEDIATE) serialises writers, and busy_timeout makes them wait instead of failing.
    # The PRAGMAs run once per connection, when the pool makes it.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # A read-only unit (`transaction(..., read_only=True)`) begins DEFERRED instead: in WAL it
    # reads its snapshot without the write lock, so it neither waits for a writer nor holds
    # one up (the meeting panel's read used to delay the next update's BEGIN IMMEDIATE).
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN DEFERRED")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


READ_ONLY = "read_only_unit"


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    raise RuntimeError("a read-only transaction tried to write (use transaction())")


@contextmanager
def transaction(factory: SessionFactory, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    `read_only`: the unit only reads. On SQLite it then begins DEFERRED (no write lock, see
    `_configure_sqlite`); a flush in it is refused rather than left to fail later with
    SQLITE_BUSY when another writer committed since its snapshot. On PostgreSQL nothing
    changes (a reader never waits for a writer there)."""
    session = factory()
    try:
        if read_only:
            event.listen(session, "before_flush", _refuse_writes)
            if session.get_bind().dialect.name == "sqlite":
                session.connection(execution_options={READ_ONLY: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
