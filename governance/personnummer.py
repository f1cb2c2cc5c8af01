"""Detect Swedish personal identity numbers (personnummer, samordningsnummer) in free text.

The bot refuses such text everywhere; this module only finds it. A match carries the span in the
original text and the kind, never the digits, so that callers cannot log the number by accident.

Accepted spellings: ``YYMMDD-NNNC``, ``YYMMDD+NNNC`` (age 100+), ``YYMMDDNNNC``,
``YYYYMMDD-NNNC``, ``YYYYMMDDNNNC``, and a single space instead of (or around) the dash.
A candidate counts only if its date is a real calendar date (samordningsnummer: day + 60) and
its last digit is the Luhn check digit over the ten digits ``YYMMDDNNNC``.

Before scanning, the text is normalised so that the guard cannot be slipped past: any Unicode
decimal digit becomes its ASCII digit (fullwidth, Arabic-Indic, ...), invisible characters are
dropped (Unicode categories Cf, Mn, Me: zero-width spaces, joiners, direction marks, soft
hyphens, combining marks, keycap enclosures), unusual dashes become ``-`` and unusual spaces
become `` ``.

Known limits, on purpose: a ten-digit phone number such as ``0701234567`` is flagged when it
happens to read as a valid date with a valid Luhn digit (about one in ten numbers whose first
six digits form a date); that is indistinguishable from a personnummer without separator.
Dates with times (``2026-12-10 14:00``), ISO dates, amounts with digit groups, org numbers
(month 20+) and digits inside longer digit runs are not flagged.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

__all__ = [
    "IdentityKind",
    "IdentityNumberMatch",
    "contains_personal_identity_number",
    "find_personal_identity_numbers",
    "luhn_check_digit",
    "redact_personal_identity_numbers",
]


class IdentityKind(enum.StrEnum):
    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"


@dataclass(frozen=True, slots=True)
class IdentityNumberMatch:
    """Where a number was found: ``text[start:end]`` in the ORIGINAL text (it may include the
    invisible characters that were inserted into the number)."""

    start: int
    end: int
    kind: IdentityKind


_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
_PLUSES = frozenset("\ufe62\uff0b")
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})

# Digit boundaries on both sides: digits inside a longer run of digits are never a match.
_CANDIDATE = re.compile(
    r"(?<![0-9])"
    r"(?P<century>[0-9]{2})?(?P<yy>[0-9]{2})(?P<mm>[0-9]{2})(?P<dd>[0-9]{2})"
    r"(?P<sep> ?[-+] ?| ?)"
    r"(?P<serial>[0-9]{3})(?P<check>[0-9])"
    r"(?![0-9])",
    re.ASCII,
)


def _normalise(text: str) -> tuple[str, list[int]]:
    """The text to scan, and for each of its characters the index in the original text."""
    out: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        if ch.isascii():
            out.append(ch)
            origin.append(index)
            continue
        category = unicodedata.category(ch)
        if category in _DROPPED_CATEGORIES:
            continue
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            out.append(str(digit))
        elif ch in _DASHES:
            out.append("-")
        elif ch in _PLUSES:
            out.append("+")
        elif category == "Zs":
            out.append(" ")
        else:
            out.append(ch)
        origin.append(index)
    return "".join(out), origin


def luhn_check_digit(nine_digits: str) -> int:
    """The Luhn check digit for ``YYMMDDNNN`` (weights 2, 1, 2, ... from the left)."""
    total = 0
    for position, ch in enumerate(nine_digits):
        product = int(ch) * (2 if position % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _classify(match: re.Match[str]) -> IdentityKind | None:
    yy, mm, dd = int(match["yy"]), int(match["mm"]), int(match["dd"])
    kind = IdentityKind.PERSONNUMMER
    if dd > 60:
        dd -= 60
        kind = IdentityKind.SAMORDNINGSNUMMER
    if match["century"] is not None:
        if not _valid_date(int(match["century"]) * 100 + yy, mm, dd):
            return None
    # Ten digits: the century is unknown; 29 February needs a leap year in one of them.
    elif not (_valid_date(1900 + yy, mm, dd) or _valid_date(2000 + yy, mm, dd)):
        return None
    ten = f"{match['yy']}{match['mm']}{match['dd']}{match['serial']}"
    if luhn_check_digit(ten) != int(match["check"]):
        return None
    return kind


def find_personal_identity_numbers(text: str) -> list[IdentityNumberMatch]:
    """All personnummer and samordningsnummer in `text`, in order, with original spans."""
    normalised, origin = _normalise(text)
    found: list[IdentityNumberMatch] = []
    position = 0
    while True:
        match = _CANDIDATE.search(normalised, position)
        if match is None:
            return found
        kind = _classify(match)
        if kind is not None:
            start, end = match.span()
            found.append(IdentityNumberMatch(origin[start], origin[end - 1] + 1, kind))
            position = end
        else:
            position = match.start() + 1


def contains_personal_identity_number(text: str) -> bool:
    """True if `text` contains anything that reads as a personnummer or samordningsnummer."""
    return bool(find_personal_identity_numbers(text))


def redact_personal_identity_numbers(text: str, placeholder: str = "[pnr]") -> str:
    """`text` with every match replaced by `placeholder` (for the rare place that must keep
    the rest of a text, such as an error report)."""
    parts: list[str] = []
    last = 0
    for match in find_personal_identity_numbers(text):
        parts.append(text[last : match.start])
        parts.append(placeholder)
        last = match.end
    parts.append(text[last:])
    return "".join(parts)
