"""A chat's body and partnership, and a sender's role in that body, kept in-process briefly.

Every update in a governed chat needs them (`handlers.wrapper.in_body`): five queries (the body
with its partnership; the person, their membership, the current chair, the administrators),
most of the common path's database work on PostgreSQL, where each is a round trip (issue 16).
`services.chats.linked_body_and_partnership` and `services.roles.role_in_body` look here first.

What is kept: clean detached copies of the rows, never an instance a session holds. A hit
attaches a fresh copy to the asking session (`Session.merge(load=False)`: no query, and changes
the handler makes are tracked and flushed as usual); the copies in the cache are never modified.
A JSON value (`Partnership.spec`) is shared between the copies, not copied: it must be replaced,
never changed in place, which SQLAlchemy would not write anyway (the column is not mutable-
tracked), so nothing here does.

When an entry stops being used:
- **In this process, at once.** Any insert, update or delete of the rows the answer is made of
  (Body, Partnership, Person, Membership, ChairTerm, Administrator), by any code path — /koppla,
  a group's migration, an import, a chair appointment, a membership decided or ended, an
  erasure — is seen by the ORM (mapper events, and `do_orm_execute` for bulk statements) and
  bumps a generation counter, at the flush and again at the commit. An entry is used only while
  the generation is the one current when the transaction that read it *began*, so a lookup
  that raced a writer (or read inside a snapshot older than the writer's commit) is never used.
  This is deliberately coarser than per chat or per domain event (services.events has no event
  for a membership ending or an erasure): such writes are rare next to the reads, and an
  invalidation nobody forgot is worth more than a few extra misses.
- **Written by another process** (a second webhook process on one PostgreSQL, `python -m bot
  import` against the bot's database): nothing tells this process, so an entry lives
  `TTL_SECONDS` at most. Validating each hit with a query would cost the round trip the cache
  saves; a few seconds in which another process's /koppla or chair change is not yet seen
  here is the price (the same order as Telegram's own admin answers, cached 30 s).
- Statements written as raw SQL (`text()`) are not seen; nothing on the paths above uses them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from dataclasses import dataclass
from time import monotonic
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from storage.models import Administrator, Body, ChairTerm, Membership, Partnership, Person

TTL_SECONDS = 3.0
MAX_ENTRIES = 20_000
WATCHED: tuple[type[SQLModel], ...] = (
    Administrator,
    Body,
    ChairTerm,
    Membership,
    Partnership,
    Person,
)
_BEGAN_AT = "linked_cache_generation"
_WROTE = "linked_cache_wrote"

M = TypeVar("M", bound=SQLModel)


@dataclass(frozen=True)
class _Entry:
    generation: int
    expires: float
    value: Any


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.entries: weakref.WeakKeyDictionary[Engine, dict[Hashable, _Entry]] = (
            weakref.WeakKeyDictionary()
        )
        self.hits = 0
        self.misses = 0

    def bump(self) -> None:
        with self.lock:
            self.generation += 1


_state = _State()


def invalidate() -> None:
    """Forget every entry (what the hooks below do on any write to the watched rows)."""
    _state.bump()


def stats() -> tuple[int, int]:
    """(hits, misses) since the process started: for the benchmarks and the tests."""
    return _state.hits, _state.misses


def _engine_of(session: Session) -> Engine | None:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else getattr(bind, "engine", None)


def _began_at(session: Session) -> int:
    found = session.info.get(_BEGAN_AT)
    return _state.generation if found is None else int(found)


def get(session: Session, key: Hashable) -> Any | None:
    """The value kept for `key`, or None (then look it up and `put` it). Never a hit while the
    session holds unflushed changes: a query would see them, the cache would not."""
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        return None
    engine = _engine_of(session)
    entries = _state.entries.get(engine) if engine is not None else None
    entry = entries.get(key) if entries is not None else None
    if entry is None or entry.generation != _state.generation or entry.expires <= monotonic():
        _state.misses += 1
        return None
    _state.hits += 1
    return entry.value


def put(session: Session, key: Hashable, value: Any) -> None:
    """Keeps `value` (plain values and `copy_of` rows only) for what this session read."""
    if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        return  # read through this session's own writes: not what others see
    engine = _engine_of(session)
    if engine is None:
        return
    generation = _began_at(session)
    if generation != _state.generation:
        return
    entries = _state.entries.get(engine)
    if entries is None:
        entries = _state.entries[engine] = {}
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    entries[key] = _Entry(generation, monotonic() + TTL_SECONDS, value)


def copy_of(row: M) -> M:
    """A detached copy of a loaded row, with its column values as loaded, for the cache."""
    mapper = inspect(row).mapper
    copy = mapper.class_manager.new_instance()
    for attribute in mapper.column_attrs:
        set_committed_value(copy, attribute.key, getattr(row, attribute.key))
    make_transient_to_detached(copy)
    return copy  # type: ignore[no-any-return]


def attach(session: Session, copy: M) -> M:
    """The row for this session: the instance it already holds, else a fresh copy of the
    cached one, persistent and clean, without a query."""
    key = inspect(copy).key
    held = session.identity_map.get(key) if key is not None else None
    if held is not None:
        return held  # type: ignore[no-any-return]
    return session.merge(copy, load=False)


# -- invalidation ------------------------------------------------------------------------------


def _wrote(session: Session | None) -> None:
    _state.bump()
    if session is not None:
        session.info[_WROTE] = True


def _on_row_written(_mapper: Any, _connection: Any, target: Any) -> None:
    from sqlalchemy.orm import object_session

    _wrote(object_session(target))  # type: ignore[arg-type]


def _on_orm_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, WATCHED):
        _wrote(state.session)  # type: ignore[arg-type]


def _on_begin(session: Session, _transaction: Any, _connection: Any) -> None:
    # The outermost transaction's: a savepoint reads within the same snapshot.
    session.info.setdefault(_BEGAN_AT, _state.generation)


def _on_end(session: Session) -> None:
    if session.info.get(_WROTE):
        _state.bump()  # what the transaction wrote is now what everyone reads (or never will)
    if not session.in_nested_transaction():  # a savepoint's end is not the transaction's
        session.info.pop(_WROTE, None)
        session.info.pop(_BEGAN_AT, None)


for _cls in WATCHED:
    for _name in ("after_insert", "after_update", "after_delete"):
        event.listen(_cls, _name, _on_row_written)
event.listen(Session, "do_orm_execute", _on_orm_execute)
event.listen(Session, "after_begin", _on_begin)
event.listen(Session, "after_commit", _on_end)
event.listen(Session, "after_rollback", _on_end)
