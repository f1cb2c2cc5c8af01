"""Every column that refers to a person is known to the right of access and to erasure.

A new table with a foreign key to `person.id`, or a new column of Telegram user ids, fails here
until it has its one entry in `storage.personal_data` (or is named below as not personal)."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import SQLModel

import storage.deadline_facts
import storage.models
import storage.reminders
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


# The person row stays after erasure as a pseudonym; erasure (`services.privacy.erase`) clears
# or replaces each of these, and keeps only what identifies nobody.
PERSON_ERASED = {
    "first_name",
    "last_name",
    "username",
    "language_code",
    "private_chat_id",
    "notice_shown_at",
    "telegram_user_id",  # becomes the negative pseudonym
    "formal_name",  # /namn: the name used in the minutes (kept there, as a public record)
    "formal_title",
}
PERSON_KEPT = {"id", "erased", "created_at"}


def test_every_column_of_the_person_row_is_erased_or_identifies_nobody() -> None:
    """A new column on the person (a formal name for the minutes, a phone number, …) fails
    here until erasure clears it, `identity_of` scrubs its spellings where others copied them,
    and it is added to PERSON_ERASED above."""
    columns = _table_columns(storage.models.Person)
    unknown = sorted(columns - PERSON_ERASED - PERSON_KEPT)
    assert not unknown, (
        f"person columns that erasure does not know: {unknown}; clear them in "
        "services.privacy.erase, add their spellings to identity_of, then list them here"
    )
    assert not (PERSON_ERASED | PERSON_KEPT) - columns, "listed columns that no longer exist"


def test_erasure_clears_every_column_it_is_said_to() -> None:
    from datetime import UTC, datetime

    from sqlmodel import Session, create_engine

    from services.privacy import erase_person
    from storage.models import Person

    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    with Session(engine) as session:
        person = Person(
            telegram_user_id=4242,
            first_name="Greta",
            last_name="Persson",
            username="greta_p",
            language_code="sv",
            private_chat_id=4242,
            created_at=now,
            notice_shown_at=now,
            formal_name="Greta Persson",
            formal_title="samordnare",
        )
        session.add(person)
        session.flush()
        erase_person(session, person, now=now)
        row = {c: getattr(person, c) for c in PERSON_ERASED}
    assert row["first_name"] == "Raderad ledamot" and row["telegram_user_id"] < 0
    assert all(v is None for k, v in row.items() if k not in ("first_name", "telegram_user_id"))
