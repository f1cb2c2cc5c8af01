"""Every column that refers to a person is known to the right of access and to erasure.

A new table with a foreign key to `person.id`, or a new column of Telegram user ids, fails here
until it has its one entry in `storage.personal_data` (or is named below as not personal)."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import SQLModel

import storage.deadline_facts
import storage.models
import storage.reminders  # noqa: F401
from storage.personal_data import (
    JSON_COLUMNS,
    PERSON_COLUMNS,
    PLAIN_PERSON_ID_COLUMNS,
    TELEGRAM_ID_COLUMNS,
    TEXT_COLUMNS,
)

# Telegram ids that are not a person's data to erase: the person row's own id (it becomes the
# pseudonym) and administrators appointed in the partnership file (the controller's own
# appointment, changed by editing the file).
NOT_ERASED_TELEGRAM_IDS = {("person", "telegram_user_id"), ("administrator", "telegram_user_id")}


def _table(model: type[SQLModel]) -> str:
    return model.__table__.name  # type: ignore[attr-defined,no-any-return]


def test_every_foreign_key_to_a_person_is_registered() -> None:
    registered = {(_table(e.model), e.column) for e in PERSON_COLUMNS}
    missing = sorted(
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        for fk in column.foreign_keys
        if fk.target_fullname == "person.id" and (table.name, column.name) not in registered
    )
    assert not missing, (
        "columns referring to person.id missing from storage.personal_data.PERSON_COLUMNS "
        f"(the right of access and erasure need them): {missing}"
    )


def test_every_column_of_telegram_user_ids_is_registered() -> None:
    registered = {(_table(e.model), e.column) for e in TELEGRAM_ID_COLUMNS}
    missing = sorted(
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("user_id")
        and isinstance(column.type, BigInteger)
        and (table.name, column.name) not in registered | NOT_ERASED_TELEGRAM_IDS
    )
    assert not missing, f"Telegram user id columns missing from TELEGRAM_ID_COLUMNS: {missing}"


def test_registered_columns_exist() -> None:
    for entry in (*PERSON_COLUMNS, *PLAIN_PERSON_ID_COLUMNS, *TELEGRAM_ID_COLUMNS):
        assert entry.column in _table_columns(entry.model), entry
    for text in TEXT_COLUMNS:
        assert text.column in _table_columns(text.model), text
        assert text.meeting_column is None or text.meeting_column in _table_columns(text.model)
    for json_column in JSON_COLUMNS:
        assert json_column.column in _table_columns(json_column.model), json_column
    keys = [e.key for e in (*PERSON_COLUMNS, *PLAIN_PERSON_ID_COLUMNS, *TELEGRAM_ID_COLUMNS)]
    assert len(keys) == len(set(keys)), "each section of the person's data has its own key"


def _table_columns(model: type[SQLModel]) -> set[str]:
    return {c.name for c in model.__table__.columns}  # type: ignore[attr-defined]
