"""What every view needs: HTML escaping, people's names, keyboards in rows."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.textsplit import truncate_plain
from i18n import _, current_language
from storage.models import Person


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def person_name(person: Person) -> str:
    """The name the person gave with /namn, else their Telegram name."""
    if person.erased:
        return _("(erased member)")
    if person.formal_name:
        return truncate_plain(person.formal_name, 80)
    full = " ".join(part for part in (person.first_name, person.last_name) if part)
    return truncate_plain(full or (person.username or str(person.telegram_user_id)), 64)


def person_name_titled(person: Person) -> str:
    """ "Anna Andersson, enhetschef": the name with the title given with /namn, if any."""
    name = person_name(person)
    if person.erased or not person.formal_title:
        return name
    return f"{name}, {truncate_plain(person.formal_title, 80)}"


def mention(person: Person) -> str:
    if person.erased or person.telegram_user_id <= 0:
        # An erased person's id is a pseudonym: no link to anyone's account.
        return esc(person_name(person))
    return f'<a href="tg://user?id={person.telegram_user_id}">{esc(person_name(person))}</a>'


def rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def keyboard_or_none(
    keyboard: Sequence[Sequence[InlineKeyboardButton]],
) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(keyboard) if keyboard else None


# --- times of day, one style per language ---------------------------------------------------
# Swedish writes "kl. 13.00" (Språkrådet; municipal protokoll), in chat and documents alike;
# English "13:00". Swedish texts name no time zone (the partnership's zone is the members' own);
# English ones add it, for readers who may be elsewhere.


def clock(at: datetime | time, language: str | None = None) -> str:
    """ "13.00" in Swedish, "13:00" in English."""
    separator = ":" if (language or current_language()) == "en" else "."
    return f"{at.hour:02d}{separator}{at.minute:02d}"


def clock_pattern(language: str | None = None) -> str:
    """The same as a Babel pattern (for format_datetime)."""
    return "HH:mm" if (language or current_language()) == "en" else "HH.mm"


def zone_note(at: datetime, language: str | None = None) -> str:
    """ " (CET)" after an English time; nothing after a Swedish one."""
    if (language or current_language()) != "en":
        return ""
    name = at.tzname()
    return f" ({name})" if name else ""
