"""Finding a person in stored data: every table, every column, every JSON value."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, SQLModel

import storage.deadline_facts
import storage.models
import storage.reminders  # noqa: F401

# Rows of these tables belong to a meeting: when its minutes are locked they are public records.
MEETING_COLUMN = {
    "minuteentry": "meeting_id",
    "decision": "meeting_id",
    "agendaitem": "meeting_id",
    "actionitem": "meeting_id",
    "vote": "meeting_id",
}


@dataclass(frozen=True)
class Trace:
    table: str
    row_id: Any
    column: str
    value: str

    def __str__(self) -> str:
        return f"{self.table}#{self.row_id}.{self.column}: {self.value[:120]}"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            yield value
            return
        if isinstance(parsed, dict | list):
            yield from _strings(parsed)
        else:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def traces_in_database(
    session: Session, *, names: set[str], ids: set[int], skip_locked: bool = True
) -> list[Trace]:
    """Every stored value that names the person or holds their Telegram id, outside the
    locked minutes (final protokoll rows and the lines of their meetings) when `skip_locked`."""
    locked = {
        row[0]
        for row in session.execute(text("SELECT meeting_id FROM protokoll WHERE status = 'final'"))
    }
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(table.select()).mappings():
            if skip_locked and table.name == "protokoll" and row["status"] == "final":
                continue
            meeting_column = MEETING_COLUMN.get(table.name)
            if skip_locked and meeting_column and row[meeting_column] in locked:
                continue
            key = row.get("id", row.get("update_id"))
            for column, value in row.items():
                for piece in _strings(value):
                    if _mentions(piece, names, ids):
                        found.append(Trace(table.name, key, column, piece))
    return found


def traces_in_json(data: Any, *, names: set[str], ids: set[int], where: str = "") -> list[str]:
    return [f"{where}: {piece[:120]}" for piece in _strings(data) if _mentions(piece, names, ids)]


def _mentions(piece: str, names: set[str], ids: set[int]) -> bool:
    for name in names:
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", piece, re.IGNORECASE):
            return True
    return any(re.search(rf"(?<![\w-]){i}(?!\w)", piece) for i in ids)
