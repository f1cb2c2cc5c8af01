"""How a decision is written: plain text, or a leading [tag] that selects its type.

Pure: the tag is read into a kind, the party as the user wrote it (resolved by the caller), a due
date, a number of months, and the decision text. Problems come back as codes for the caller to
word. Tags, in Swedish or English, case and diacritics ignored::

    [mindre revidering Convictus] text      [minor revision Convictus] text
    [väsentlig revidering Convictus] text   [significant revision Convictus] text
    [budgetram] text  /  [budgetram Convictus] text   [budget frame] text
    [brist dialog Convictus] text           [deficiency dialogue Convictus] text
    [åtgärdsplan Convictus 2026-03-01] text [action plan Convictus 2026-03-01] text
    [uteslutning Convictus] text            [removal Convictus] text
    [uteslutning Convictus 2027-01-31] text [removal Convictus 2027-01-31] text
    [ny part Namn] text                     [new party Name] text
    [mötesintervall 2] text                 [meeting interval 2 months] text
    [förlängning till 2027-04-30] text      [extension to 2027-04-30] text
    [uppsägning Convictus] text             [notice Convictus] text
    [uppsägning Convictus 2026-12-10] text  [notice Convictus 2026-12-10] text

An optional date after the party (removal, notice) may lie in the past: the notice arrived in
writing last week, or the decision names the party's last day. Without it the decision's day
counts (see `services.agreement`).

`[omedelbar justering]` (en `[immediate]`) before any of these asks for the paragraph to be
justerat at once, during the meeting (`split_immediate`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from governance.protokoll import DecisionKind
from governance.timeparse import AmbiguousDate, Invalid, parse_date

__all__ = [
    "AGREEMENT_EXTENSION",
    "CADENCE_CHANGE",
    "LIFECYCLE_KINDS",
    "MAX_INTERVAL_MONTHS",
    "PARTY_KINDS",
    "PARTY_NOTICE",
    "STYRGRUPP_KINDS",
    "TAGS",
    "DecisionTag",
    "TagProblem",
    "TagProblemCode",
    "parse_decision_text",
    "split_immediate",
]

CADENCE_CHANGE = "cadence_change"
AGREEMENT_EXTENSION = "agreement_extension"  # the agreement's new end (governance.lifecycle)
PARTY_NOTICE = "party_notice"  # a party gives notice (001 §5.7, 004 "Uppsägning")
MAX_INTERVAL_MONTHS = 12


class TagProblemCode(StrEnum):
    UNCLOSED = "unclosed"  # "[mindre revidering Convictus text" without "]"
    UNKNOWN = "unknown"  # the bracket holds no known type
    PARTY_MISSING = "party_missing"
    NAME_MISSING = "name_missing"  # [ny part] without a name
    DATE_MISSING = "date_missing"
    DATE_INVALID = "date_invalid"  # detail: the timeparse InvalidCode
    DATE_AMBIGUOUS = "date_ambiguous"  # detail: the candidates, ISO, comma separated
    MONTHS_INVALID = "months_invalid"
    END_MISSING = "end_missing"  # [förlängning] without a readable new end
    TEXT_MISSING = "text_missing"


@dataclass(frozen=True, slots=True)
class TagProblem:
    code: TagProblemCode
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DecisionTag:
    kind: str  # a DecisionKind value or CADENCE_CHANGE
    party: str | None = None  # as written: a party to resolve, or a new party's name
    due_on: date | None = None
    months: int | None = None
    text: str = ""


# What each tag's argument is: "party" (required), "party?" (optional), "party+date", "name",
# "months", "" (nothing).
_ARGUMENTS: dict[str, str] = {
    DecisionKind.REVISION_MINOR: "party",
    DecisionKind.REVISION_SIGNIFICANT: "party",
    DecisionKind.BUDGET_FRAME: "party?",
    DecisionKind.DEFICIENCY_DIALOGUE: "party",
    DecisionKind.DEFICIENCY_ACTION_PLAN: "party+date",
    DecisionKind.DEFICIENCY_REMOVAL: "party+date?",
    DecisionKind.NEW_PARTY: "name",
    CADENCE_CHANGE: "months",
    AGREEMENT_EXTENSION: "date",
    PARTY_NOTICE: "party+date?",
}

# Tag words (folded: lower case, no diacritics) -> kind. Longer phrases are tried first.
TAGS: dict[str, str] = {
    "mindre revidering": DecisionKind.REVISION_MINOR,
    "minor revision": DecisionKind.REVISION_MINOR,
    "vasentlig revidering": DecisionKind.REVISION_SIGNIFICANT,
    "significant revision": DecisionKind.REVISION_SIGNIFICANT,
    "budgetram": DecisionKind.BUDGET_FRAME,
    "budget frame": DecisionKind.BUDGET_FRAME,
    "brist dialog": DecisionKind.DEFICIENCY_DIALOGUE,
    "brist": DecisionKind.DEFICIENCY_DIALOGUE,
    "deficiency dialogue": DecisionKind.DEFICIENCY_DIALOGUE,
    "deficiency dialog": DecisionKind.DEFICIENCY_DIALOGUE,
    "deficiency": DecisionKind.DEFICIENCY_DIALOGUE,
    "atgardsplan": DecisionKind.DEFICIENCY_ACTION_PLAN,
    "action plan": DecisionKind.DEFICIENCY_ACTION_PLAN,
    "uteslutning": DecisionKind.DEFICIENCY_REMOVAL,
    "removal": DecisionKind.DEFICIENCY_REMOVAL,
    "ny part": DecisionKind.NEW_PARTY,
    "new party": DecisionKind.NEW_PARTY,
    "motesintervall": CADENCE_CHANGE,
    "meeting interval": CADENCE_CHANGE,
    "forlangning till": AGREEMENT_EXTENSION,
    "forlangning": AGREEMENT_EXTENSION,
    "extension to": AGREEMENT_EXTENSION,
    "extension until": AGREEMENT_EXTENSION,
    "extension": AGREEMENT_EXTENSION,
    "uppsagning": PARTY_NOTICE,
    "notice": PARTY_NOTICE,
}
# Decisions that change the agreement's life (services.agreement records them as facts).
LIFECYCLE_KINDS = frozenset(
    {AGREEMENT_EXTENSION, PARTY_NOTICE, DecisionKind.DEFICIENCY_REMOVAL, DecisionKind.NEW_PARTY}
)

# Kinds that concern a party's commitments or membership: the styrgrupp decides them.
STYRGRUPP_KINDS = frozenset(_ARGUMENTS) - {CADENCE_CHANGE}
PARTY_KINDS = frozenset(k for k, a in _ARGUMENTS.items() if a.startswith("party"))

_MONTH_WORDS = frozenset(
    {"manad", "manader", "man", "man.", "mnd", "mnd.", "month", "months", "mo"}
)
_MAX_DATE_WORDS = 3  # "1 mars 2026"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _split_tag(raw: str) -> tuple[str, str] | TagProblem | None:
    """(inside the brackets, the rest) when `raw` starts with a tag; None when it does not."""
    text = raw.strip()
    if not text.startswith("["):
        return None
    end = text.find("]")
    if end < 0:
        return TagProblem(TagProblemCode.UNCLOSED)
    return text[1:end].strip(), text[end + 1 :].strip()


def _match(inside: str) -> tuple[str, list[str]] | None:
    """The kind named at the start of the tag and the words after it (as written)."""
    words = inside.split()
    folded = [_fold(w) for w in words]
    best: tuple[int, str] | None = None
    for phrase, kind in TAGS.items():
        size = len(phrase.split())
        if folded[:size] == phrase.split() and (best is None or size > best[0]):
            best = (size, kind)
    if best is None:
        return None
    return best[1], words[best[0] :]


def _party_and_date(words: list[str], today: date) -> tuple[str, date] | TagProblem:
    """The party words and the date at the end of them (the longest trailing date)."""
    for size in range(min(_MAX_DATE_WORDS, len(words)), 0, -1):
        result = parse_date(" ".join(words[-size:]), today=today)
        if isinstance(result, Invalid):
            if size == 1 and any(ch.isdigit() for ch in words[-1]):
                return TagProblem(TagProblemCode.DATE_INVALID, result.code)
            continue
        party = " ".join(words[:-size])
        if isinstance(result, AmbiguousDate):
            days = ",".join(d.isoformat() for d in result.candidates)
            return TagProblem(TagProblemCode.DATE_AMBIGUOUS, days)
        return party, result.day
    if not words:
        return TagProblem(TagProblemCode.PARTY_MISSING)
    return TagProblem(TagProblemCode.DATE_MISSING)


def _any_date(text: str, today: date) -> date | TagProblem | None:
    """A day written as YYYY-MM-DD (past days allowed), or as `parse_date` reads it; None when
    `text` is no date at all."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text.strip(), re.ASCII):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            return TagProblem(TagProblemCode.DATE_INVALID, "impossible")
    result = parse_date(text, today=today)
    if isinstance(result, Invalid):
        return None
    if isinstance(result, AmbiguousDate):
        return TagProblem(
            TagProblemCode.DATE_AMBIGUOUS, ",".join(d.isoformat() for d in result.candidates)
        )
    return result.day


def _party_and_optional_date(words: list[str], today: date) -> tuple[str, date | None] | TagProblem:
    """The party words and, when they end with one, a date (the longest trailing date)."""
    for size in range(min(_MAX_DATE_WORDS, len(words) - 1), 0, -1):
        found = _any_date(" ".join(words[-size:]), today)
        if found is None:
            continue
        if isinstance(found, TagProblem):
            return found
        return " ".join(words[:-size]), found
    if words and re.fullmatch(r"[0-9-]+", words[-1], re.ASCII) and len(words) > 1:
        return TagProblem(TagProblemCode.DATE_INVALID, "unrecognised")
    return " ".join(words), None


def _months(words: list[str]) -> int | TagProblem:
    rest = [w for w in words if _fold(w) not in _MONTH_WORDS]
    if len(rest) != 1 or not re.fullmatch(r"[0-9]{1,2}", rest[0], re.ASCII):
        return TagProblem(TagProblemCode.MONTHS_INVALID)
    months = int(rest[0])
    if not 1 <= months <= MAX_INTERVAL_MONTHS:
        return TagProblem(TagProblemCode.MONTHS_INVALID)
    return months


def parse_decision_text(raw: str, *, today: date) -> DecisionTag | TagProblem:
    """Read a decision as written after /beslut. Plain text is an ordinary decision."""
    split = _split_tag(raw)
    if isinstance(split, TagProblem):
        return split
    if split is None:
        text = raw.strip()
        if not text:
            return TagProblem(TagProblemCode.TEXT_MISSING)
        return DecisionTag(kind=DecisionKind.ORDINARY, text=text)
    inside, text = split
    matched = _match(inside)
    if matched is None:
        return TagProblem(TagProblemCode.UNKNOWN, inside)
    kind, words = matched
    argument = _ARGUMENTS[kind]
    party: str | None = " ".join(words) or None
    due_on: date | None = None
    months: int | None = None
    if argument == "party" and party is None:
        return TagProblem(TagProblemCode.PARTY_MISSING)
    if argument == "name" and party is None:
        return TagProblem(TagProblemCode.NAME_MISSING)
    if argument == "party+date":
        found = _party_and_date(words, today)
        if isinstance(found, TagProblem):
            return found
        party, due_on = found
        if not party:
            return TagProblem(TagProblemCode.PARTY_MISSING)
    if argument == "party+date?":
        optional = _party_and_optional_date(words, today)
        if isinstance(optional, TagProblem):
            return optional
        party, due_on = optional
        if not party:
            return TagProblem(TagProblemCode.PARTY_MISSING)
    if argument == "date":
        if not words:
            return TagProblem(TagProblemCode.END_MISSING)
        day = _any_date(" ".join(words), today)
        if day is None:
            return TagProblem(TagProblemCode.END_MISSING)
        if isinstance(day, TagProblem):
            return day
        party, due_on = None, day
    if argument == "months":
        counted = _months(words)
        if isinstance(counted, TagProblem):
            return counted
        party, months = None, counted
    if not text:
        return TagProblem(TagProblemCode.TEXT_MISSING)
    return DecisionTag(kind=kind, party=party, due_on=due_on, months=months, text=text)


# Omedelbar justering: a tag of its own, before (or instead of) the type tag.
_IMMEDIATE = ("omedelbar justering", "omedelbart justerad", "omedelbar", "immediate")


def split_immediate(raw: str) -> tuple[bool, str]:
    """(True, the rest) when `raw` starts with `[omedelbar justering]` (en `[immediate]`);
    (False, `raw`) otherwise. The rest may start with a type tag as usual."""
    split = _split_tag(raw)
    if split is None or isinstance(split, TagProblem):
        return False, raw
    inside, rest = split
    if " ".join(_fold(inside).split()) in _IMMEDIATE:
        return True, rest
    return False, raw
