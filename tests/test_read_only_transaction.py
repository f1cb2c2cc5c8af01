"""A read-only unit (`transaction(..., read_only=True)`) on SQLite neither waits for a writer
nor holds one up, and refuses to write."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

from storage.db import make_engine, make_session_factory, transaction
from storage.models import Person


def test_a_read_only_unit_reads_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ro.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        s.add(Person(telegram_user_id=1, first_name="Agneta", created_at=datetime.now(UTC)))
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with transaction(factory) as s:
            s.add(Person(telegram_user_id=2, first_name="Bertil", created_at=datetime.now(UTC)))
            s.flush()  # BEGIN IMMEDIATE: the write lock is held from here to the commit
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with transaction(factory, read_only=True) as s:
            names = [p.first_name for p in s.exec(select(Person)).all()]
        assert time.monotonic() - started < 1.0  # not queued behind the writer
        assert names == ["Agneta"]  # its snapshot: the writer has not committed
        # Meanwhile an ordinary unit would wait for the lock (it begins IMMEDIATE).
    finally:
        release.set()
        thread.join()
    with transaction(factory, read_only=True) as s:
        assert len(s.exec(select(Person)).all()) == 2


def test_a_read_only_unit_refuses_to_write(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ro.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with (
        pytest.raises(RuntimeError, match="read-only"),
        transaction(factory, read_only=True) as s,
    ):
        s.add(Person(telegram_user_id=3, first_name="Sven", created_at=datetime.now(UTC)))
        s.flush()
    with transaction(factory) as s:
        assert s.exec(select(Person)).all() == []
