"""People named in a message (a text mention or an @username), found among those the bot knows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from storage import people
from storage.models import Person


@dataclass(frozen=True)
class Named:
    """Someone named in a message: by Telegram id (a text mention) or by @username."""

    user_id: int | None
    username: str | None
    label: str


def find(session: Session, named: Named) -> Person | None:
    if named.user_id is not None:
        return people.get_person_by_telegram_id(session, named.user_id)
    assert named.username is not None
    return people.find_person_by_username(session, named.username)


def find_all(session: Session, named: list[Named]) -> tuple[list[Person], list[str]]:
    """The people found, and the labels of those the bot does not know."""
    found: list[Person] = []
    unknown: list[str] = []
    for one in named:
        person = find(session, one)
        if person is None:
            unknown.append(one.label)
        else:
            found.append(person)
    return found, unknown
