"""People named in a message (a text mention or an @username), found among those the bot knows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from i18n import N_
from services.errors import Refusal
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


# --- formal names (/namn) ----------------------------------------------------------------------

MAX_NAME_CHARS = 80
MAX_TITLE_CHARS = 80
CLEAR = frozenset({"-", "–", "—"})
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:[-'’.][^\W\d_]*)*\.?$")


@dataclass(frozen=True)
class FormalName:
    name: str | None
    title: str | None


def _spaces(text: str) -> str:
    return " ".join(text.split())


def parse_formal_name(raw: str) -> FormalName:
    """ "Förnamn Efternamn, titel": the name (two words or more, letters, hyphens and
    apostrophes) and an optional title after the first comma."""
    name, _comma, title = raw.partition(",")
    name, title = _spaces(name), _spaces(title)
    words = name.split(" ")
    if len(words) < 2 or not all(_NAME_WORD.match(w) for w in words):
        raise Refusal(
            N_(
                "Write your first and last name, and your title after a comma if you like: "
                "/namn Anna Andersson, enhetschef"
            )
        )
    if len(name) > MAX_NAME_CHARS:
        raise Refusal(
            N_("That name is too long (at most {count} characters)."), count=MAX_NAME_CHARS
        )
    if len(title) > MAX_TITLE_CHARS:
        raise Refusal(
            N_("That title is too long (at most {count} characters)."), count=MAX_TITLE_CHARS
        )
    return FormalName(name, title or None)


def set_formal_name(session: Session, person: Person, raw: str) -> FormalName:
    """/namn: the name and title the minutes, kallelser and the register use for `person`
    ("-" removes them: the Telegram name is used again)."""
    if person.erased:
        raise Refusal(N_("Your personal data has already been erased."))
    text = raw.strip()
    if text in CLEAR:
        chosen = FormalName(None, None)
    else:
        chosen = parse_formal_name(text)
    person.formal_name = chosen.name
    person.formal_title = chosen.title
    session.add(person)
    session.flush()
    return chosen
