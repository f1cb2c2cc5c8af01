"""Lenient parsing of meeting times and due dates, in Swedish and English.

Everything happens in the partnership's time zone with an injected `now`; results are aware
datetimes in that zone (callers convert to UTC for storage). Nothing here raises on user input:
the outcome is `Parsed`, `Ambiguous` (ask the user, e.g. with buttons) or `Invalid(code)`.

Rules worth knowing:
- A date without a year is its next occurrence that is not before today (29 February: the next
  leap year). A time of today that has passed is refused (``in_past``), not moved to tomorrow.
- A weekday is the next such day; today only if the time is still ahead (without a time, never
  today). "nästa"/"next" + weekday is ambiguous when the plain reading falls in the current ISO
  week ("nästa tisdag" on a Monday: tomorrow or in eight days?); never today.
- Slash dates ``a/b`` are day/month, as every Swede reads them (``3/4`` is 3 April), when
  ``day_first`` (the default: Swedish). Without it (an English speaker) a slash date with both
  parts at most 12 and different is ambiguous (day/month first, then month/day); a reading in
  the past or too far ahead is left out, and a single remaining reading is taken (``05/12/2026``
  in November 2026). If only the month/day reading is a date (``12/25``) it is taken. Dotted ``10.12`` is always day.month; a dotted pair that cannot be a
  date (``14.30``) is a time.
- "Nothing consumed" and "some words that look like a when" differ: ``parse_when_prefix`` takes
  the longest leading run of words that reads as one (``10 dec 20 personer``: 20:00).
- A bare hour (``imorgon 9``) or dotted time is a time only after a date; on its own a time needs
  a colon, ``kl``/``at``, or am/pm (``14:00``, ``kl 14``, ``3pm``).
- A wall time that occurs twice at the autumn DST change is ambiguous (both instants, fold 0
  first); one skipped in spring is ``nonexistent_local_time``.
- Any non-ASCII digit (fullwidth, Arabic-Indic, ...) in the when is refused.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "MAX_YEARS_AHEAD",
    "AmbiguityReason",
    "Ambiguous",
    "AmbiguousDate",
    "DateResult",
    "Invalid",
    "InvalidCode",
    "Parsed",
    "ParsedDate",
    "WhenResult",
    "parse_date",
    "parse_date_prefix",
    "parse_when",
    "parse_when_prefix",
]

MAX_YEARS_AHEAD = 5


class InvalidCode(enum.StrEnum):
    EMPTY = "empty"
    UNRECOGNISED = "unrecognised"
    INVALID_DATE = "invalid_date"
    INVALID_TIME = "invalid_time"
    MISSING_TIME = "missing_time"
    IN_PAST = "in_past"
    TOO_FAR = "too_far"
    NON_ASCII_DIGITS = "non_ascii_digits"
    NONEXISTENT_LOCAL_TIME = "nonexistent_local_time"


class AmbiguityReason(enum.StrEnum):
    DAY_MONTH_ORDER = "day_month_order"  # 03/04: 3 April or 4 March
    NEXT_WEEKDAY = "next_weekday"  # "nästa tisdag": this week's or next week's
    DST_FOLD = "dst_fold"  # 02:30 on the autumn DST change happens twice


@dataclass(frozen=True, slots=True)
class Parsed:
    at: datetime  # aware, in the partnership's zone


@dataclass(frozen=True, slots=True)
class Ambiguous:
    candidates: list[datetime]  # aware, in the zone, in the order to offer them
    reason: str  # an AmbiguityReason


@dataclass(frozen=True, slots=True)
class Invalid:
    code: str  # an InvalidCode


@dataclass(frozen=True, slots=True)
class ParsedDate:
    day: date


@dataclass(frozen=True, slots=True)
class AmbiguousDate:
    candidates: list[date]
    reason: str


WhenResult = Parsed | Ambiguous | Invalid
DateResult = ParsedDate | AmbiguousDate | Invalid

# --- vocabulary ---------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("jan", "januari", "january"),
        ("feb", "februari", "february"),
        ("mar", "mars", "march"),
        ("apr", "april"),
        ("maj", "may"),
        ("jun", "juni", "june"),
        ("jul", "juli", "july"),
        ("aug", "augusti", "august"),
        ("sep", "sept", "september"),
        ("okt", "oct", "oktober", "october"),
        ("nov", "november"),
        ("dec", "december"),
    ],
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number

_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("måndag", "mandag", "mån", "monday", "mon"),
        ("tisdag", "tis", "tuesday", "tue", "tues"),
        ("onsdag", "ons", "wednesday", "wed"),
        ("torsdag", "tor", "tors", "thursday", "thu", "thur", "thurs"),
        ("fredag", "fre", "friday", "fri"),
        ("lördag", "lordag", "lör", "saturday", "sat"),
        ("söndag", "sondag", "sön", "sunday", "sun"),
    ]
):
    for _name in _names:
        _WEEKDAYS[_name] = _number

_RELATIVE: dict[tuple[str, ...], int] = {
    ("idag",): 0,
    ("i", "dag"): 0,
    ("ikväll",): 0,
    ("i", "kväll"): 0,
    ("today",): 0,
    ("tonight",): 0,
    ("imorgon",): 1,
    ("imorn",): 1,
    ("i", "morgon"): 1,
    ("i", "morn"): 1,
    ("tomorrow",): 1,
    ("övermorgon",): 2,
    ("overmorgon",): 2,
    ("i", "övermorgon"): 2,
    ("i", "overmorgon"): 2,
    ("day", "after", "tomorrow"): 2,
}
_NEXT_WORDS = frozenset({"nästa", "nasta", "next"})
_PLAIN_WEEKDAY_WORDS = frozenset({"på", "pa", "on", "this", "denna", "kommande", "coming"})
_TIME_WORDS = frozenset({"kl", "klockan", "at", "@"})
_AMPM = {"am": "am", "a.m": "am", "pm": "pm", "p.m": "pm"}
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})

# --- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    norm: str  # lower case, ASCII digits, trailing "," and "." removed
    start: int
    end: int
    foreign_digits: bool


_ISO_T = re.compile(r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})t([0-9].*)", re.ASCII)
_GLUED_KL = re.compile(r"(kl\.?|klockan)([0-9].*)", re.ASCII)


def _normalise(raw: str) -> tuple[str, bool]:
    out: list[str] = []
    foreign = False
    for ch in raw:
        if ch.isascii():
            out.append(ch)
            continue
        if unicodedata.category(ch) == "Cf":
            continue  # zero-width characters carry no meaning here
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            foreign = True
            out.append(str(digit))
        else:
            out.append(ch)
    return "".join(out).lower().translate(_DASHES), foreign


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in re.finditer(r"\S+", text):
        norm, foreign = _normalise(match.group())
        start = match.start()
        pieces: list[tuple[str, int, int]]
        split = _ISO_T.fullmatch(norm) or _GLUED_KL.fullmatch(norm)
        if split and len(norm) == match.end() - start:
            cut = start + split.end(1)
            skip = 1 if split.re is _ISO_T else 0
            pieces = [(split[1], start, cut), (split[2], cut + skip, match.end())]
        else:
            pieces = [(norm, start, match.end())]
        for piece, begin, end in pieces:
            stripped = piece.rstrip(",.") or piece  # "kl." "dec." "10." "a.m." "14:00,"
            tokens.append(_Token(stripped, begin, end, foreign))
    return tokens


# --- syntax: what a date or time looks like -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _DayMonth:
    day: int
    month: int
    year: int | None


@dataclass(frozen=True, slots=True)
class _Slash:
    first: int
    second: int
    year: int | None


@dataclass(frozen=True, slots=True)
class _Relative:
    days: int


@dataclass(frozen=True, slots=True)
class _Weekday:
    weekday: int
    next: bool


_DateSyntax = _DayMonth | _Slash | _Relative | _Weekday
_Alternatives = list[tuple[int, "_DateSyntax"]]

_ISO = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})", re.ASCII)
_SLASH = re.compile(r"([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}|[0-9]{2}))?", re.ASCII)
_DOTTED = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})(?:\.([0-9]{4}|[0-9]{2}))?", re.ASCII)
_DASHED_DMY = re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})", re.ASCII)
_DAY = re.compile(r"([0-9]{1,2})(?:e|:e|:a|st|nd|rd|th)?", re.ASCII)
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_CLOCK = re.compile(
    r"([0-9]{1,2})(?:([:.])([0-9]{2})(?::([0-9]{2}))?)?(am|pm|a\.m|p\.m)?", re.ASCII
)


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _date_syntax(tokens: Sequence[_Token], i: int) -> _Alternatives:
    """Every way a date can start at token i: (tokens used, what it says)."""
    out: _Alternatives = []
    if i >= len(tokens):
        return out
    t0 = tokens[i].norm
    t1 = tokens[i + 1].norm if i + 1 < len(tokens) else None
    t2 = tokens[i + 2].norm if i + 2 < len(tokens) else None

    if t0 == "den":  # "den 10 december"
        out += [
            (n + 1, s) for n, s in _date_syntax(tokens, i + 1) if isinstance(s, _DayMonth | _Slash)
        ]
    if m := _ISO.fullmatch(t0):
        out.append((1, _DayMonth(int(m[3]), int(m[2]), int(m[1]))))
    if m := _SLASH.fullmatch(t0):
        out.append((1, _Slash(int(m[1]), int(m[2]), _year(m[3]))))
    if (m := _DOTTED.fullmatch(t0)) and (m[3] is not None or int(m[2]) <= 12):
        out.append((1, _DayMonth(int(m[1]), int(m[2]), _year(m[3]))))
    if m := _DASHED_DMY.fullmatch(t0):
        out.append((1, _DayMonth(int(m[1]), int(m[2]), int(m[3]))))
    if (m := _DAY.fullmatch(t0)) and t1 in _MONTHS:
        out.append((2, _DayMonth(int(m[1]), _MONTHS[t1], None)))
        if t2 is not None and _YEAR.fullmatch(t2):
            out.append((3, _DayMonth(int(m[1]), _MONTHS[t1], int(t2))))
    if t0 in _MONTHS and t1 is not None and (m := _DAY.fullmatch(t1)):
        out.append((2, _DayMonth(int(m[1]), _MONTHS[t0], None)))
        if t2 is not None and _YEAR.fullmatch(t2):
            out.append((3, _DayMonth(int(m[1]), _MONTHS[t0], int(t2))))
    for words, days in _RELATIVE.items():
        if tuple(tok.norm for tok in tokens[i : i + len(words)]) == words:
            out.append((len(words), _Relative(days)))
    if t0 in _WEEKDAYS:
        out.append((1, _Weekday(_WEEKDAYS[t0], next=False)))
    if t1 in _WEEKDAYS and (t0 in _NEXT_WORDS or t0 in _PLAIN_WEEKDAY_WORDS):
        out.append((2, _Weekday(_WEEKDAYS[t1], next=t0 in _NEXT_WORDS)))
    return out


def _time_syntax(
    tokens: Sequence[_Token], i: int, *, after_date: bool
) -> list[tuple[int, time | str]]:
    """Every way a time can start at token i: (tokens used, the time or an error code)."""
    out: list[tuple[int, time | str]] = []
    if i >= len(tokens):
        return out
    prefixed = tokens[i].norm in _TIME_WORDS
    j = i + 1 if prefixed else i
    if j >= len(tokens) or not (m := _CLOCK.fullmatch(tokens[j].norm)):
        return out
    used = j - i + 1
    hour, separator, minute, second, ampm = m[1], m[2], m[3], m[4], m[5]
    if ampm is None and j + 1 < len(tokens) and tokens[j + 1].norm in _AMPM:
        out.append((used + 1, _clock(hour, minute, second, _AMPM[tokens[j + 1].norm])))
    if ampm is not None:
        out.append((used, _clock(hour, minute, second, _AMPM[ampm])))
        return out
    if separator == ":" or prefixed or after_date:
        out.append((used, _clock(hour, minute, second, None)))
    elif separator == "." and int(minute) > 12:  # "14.30" cannot be a date, so it is a time
        out.append((used, _clock(hour, minute, second, None)))
    return out


def _clock(
    hour_text: str, minute_text: str | None, second_text: str | None, ampm: str | None
) -> time | str:
    hour, minute = int(hour_text), int(minute_text or 0)
    second = int(second_text or 0)
    if ampm is not None:
        if not 1 <= hour <= 12:
            return InvalidCode.INVALID_TIME
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return InvalidCode.INVALID_TIME
    return time(hour, minute, second)


# --- semantics ----------------------------------------------------------------------------


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _day_month(spec: _DayMonth, today: date) -> date | None:
    """The date meant, or None if there is none (31 February, month 13, year 0)."""
    if spec.year is not None:
        try:
            return date(spec.year, spec.month, spec.day)
        except ValueError:
            return None
    if not 1 <= spec.month <= 12:
        return None
    if not 1 <= spec.day <= calendar.monthrange(2000, spec.month)[1]:  # 2000: a leap year
        return None
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, spec.month, spec.day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None  # pragma: no cover - a leap year comes within eight years


def _dates(
    spec: _DateSyntax, today: date, at: time | None, now_local: datetime, day_first: bool = True
) -> tuple[list[date], str] | str:
    """The readings of a date (usually one) and why there are several, or an error code."""
    if isinstance(spec, _DayMonth):
        day = _day_month(spec, today)
        return ([day], "") if day else InvalidCode.INVALID_DATE
    if isinstance(spec, _Slash):
        a, b = spec.first, spec.second
        swedish = _day_month(_DayMonth(a, b, spec.year), today)
        american = _day_month(_DayMonth(b, a, spec.year), today)
        if not day_first and a <= 12 and b <= 12 and a != b and swedish and american:
            return [swedish, american], AmbiguityReason.DAY_MONTH_ORDER
        if swedish:
            return [swedish], ""
        if american:  # "12/25": only the month/day reading is a date
            return [american], ""
        return InvalidCode.INVALID_DATE
    if isinstance(spec, _Relative):
        return [today + timedelta(days=spec.days)], ""
    first = today + timedelta(days=(spec.weekday - today.weekday()) % 7)
    if first == today and (
        spec.next or at is None or datetime.combine(today, at) <= now_local.replace(tzinfo=None)
    ):
        first += timedelta(days=7)
    if spec.next and first.isocalendar()[:2] == today.isocalendar()[:2]:
        return [first, first + timedelta(days=7)], AmbiguityReason.NEXT_WEEKDAY
    return [first], ""


def _localize(day: date, at: time, tz: ZoneInfo) -> list[datetime] | str:
    """The instants a wall time means: one, two (DST fold) or none (DST gap)."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        return InvalidCode.NONEXISTENT_LOCAL_TIME
    if first.utcoffset() != second.utcoffset():
        return [first, second]
    return [first]


def _start_of_day(day: date, tz: ZoneInfo) -> datetime:
    # Midnight may be skipped by DST in some zones: take the first instant of the day then.
    instants = _localize(day, time(0), tz)
    if isinstance(instants, list):
        return instants[0]
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).astimezone(tz)


def _decide(
    spec: _DateSyntax | str | None,
    at: time | str | None,
    *,
    now: datetime,
    tz: ZoneInfo,
    require_time: bool,
    day_first: bool = True,
) -> WhenResult:
    if isinstance(spec, str):
        return Invalid(spec)
    if isinstance(at, str):
        return Invalid(at)
    now_local = now.astimezone(tz)
    today = now_local.date()
    if spec is None:
        readings: tuple[list[date], str] | str = [today], ""
    else:
        readings = _dates(spec, today, at, now_local, day_first)
    if isinstance(readings, str):
        return Invalid(readings)
    if at is None and require_time:
        return Invalid(InvalidCode.MISSING_TIME)
    days, reason = readings
    now_utc = now.astimezone(UTC)
    horizon = datetime.combine(_add_years(today, MAX_YEARS_AHEAD), now_local.time(), tzinfo=tz)
    good: list[datetime] = []
    errors: list[str] = []
    for day in days:
        if at is None:
            if day < today:
                errors.append(InvalidCode.IN_PAST)
            elif day > horizon.date():
                errors.append(InvalidCode.TOO_FAR)
            else:
                good.append(_start_of_day(day, tz))
            continue
        instants = _localize(day, at, tz)
        if isinstance(instants, str):
            errors.append(instants)
            continue
        if len(instants) == 2 and not reason:
            reason = AmbiguityReason.DST_FOLD
        for instant in instants:
            if instant.astimezone(UTC) < now_utc:
                errors.append(InvalidCode.IN_PAST)
            elif instant.astimezone(UTC) > horizon.astimezone(UTC):
                errors.append(InvalidCode.TOO_FAR)
            else:
                good.append(instant)
    if not good:
        return Invalid(errors[0])
    if len(good) == 1:
        return Parsed(good[0])
    return Ambiguous(good, reason)


@dataclass(frozen=True, slots=True)
class _Candidate:
    used: int
    date: _DateSyntax | None
    time: time | str | None


def _when_candidates(tokens: Sequence[_Token]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for used, spec in _date_syntax(tokens, 0):
        out.append(_Candidate(used, spec, None))
        for more, at in _time_syntax(tokens, used, after_date=True):
            out.append(_Candidate(used + more, spec, at))
    for used, at in _time_syntax(tokens, 0, after_date=False):
        out.append(_Candidate(used, None, at))
        for more, spec in _date_syntax(tokens, used):
            out.append(_Candidate(used + more, spec, at))
    return out


def _check_now(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")


def _has_foreign_digits(text: str) -> bool:
    return any(not ch.isascii() and unicodedata.decimal(ch, None) is not None for ch in text)


def _best_when(
    candidates: list[_Candidate],
    tokens: Sequence[_Token],
    *,
    now: datetime,
    tz: ZoneInfo,
    require_time: bool,
    day_first: bool = True,
) -> tuple[WhenResult, int] | None:
    if not candidates:
        return None
    longest = max(c.used for c in candidates)
    if any(tok.foreign_digits for tok in tokens[:longest]):
        return Invalid(InvalidCode.NON_ASCII_DIGITS), longest
    results = [
        _decide(c.date, c.time, now=now, tz=tz, require_time=require_time, day_first=day_first)
        for c in candidates
        if c.used == longest
    ]
    chosen = next((r for r in results if not isinstance(r, Invalid)), results[0])
    return chosen, longest


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo, require_time: bool = True, day_first: bool = True
) -> WhenResult:
    """When a meeting is: the whole of `text` must be a date and/or time (see module doc).

    Without a time and with ``require_time=False``, the result is the start of that day.
    """
    _check_now(now)
    if not text.strip():
        return Invalid(InvalidCode.EMPTY)
    if _has_foreign_digits(text):
        return Invalid(InvalidCode.NON_ASCII_DIGITS)
    tokens = _tokenize(text)
    complete = [c for c in _when_candidates(tokens) if c.used == len(tokens)]
    best = _best_when(
        complete, tokens, now=now, tz=tz, require_time=require_time, day_first=day_first
    )
    return best[0] if best else Invalid(InvalidCode.UNRECOGNISED)


def parse_when_prefix(
    text: str, *, now: datetime, tz: ZoneInfo, require_time: bool = True, day_first: bool = True
) -> tuple[WhenResult, str]:
    """The longest leading part of `text` that reads as a when, and the rest, stripped.

    ``"2026-12-10 14:00 Stadshuset rum 3"`` gives the time and ``"Stadshuset rum 3"``. If no
    leading part reads as a when, the result is ``Invalid("unrecognised")`` and all of `text`.
    """
    _check_now(now)
    if not text.strip():
        return Invalid(InvalidCode.EMPTY), ""
    tokens = _tokenize(text)
    best = _best_when(
        _when_candidates(tokens),
        tokens,
        now=now,
        tz=tz,
        require_time=require_time,
        day_first=day_first,
    )
    if best is None:
        return Invalid(InvalidCode.UNRECOGNISED), text.strip()
    result, used = best
    return result, text[tokens[used - 1].end :].strip()


# --- due dates ----------------------------------------------------------------------------


def _decide_date(spec: _DateSyntax, today: date, day_first: bool = True) -> DateResult:
    readings = _dates(spec, today, None, datetime.combine(today, time(0)), day_first)
    if isinstance(readings, str):
        return Invalid(readings)
    days, reason = readings
    horizon = _add_years(today, MAX_YEARS_AHEAD)
    good = [d for d in days if today <= d <= horizon]
    if not good:
        return Invalid(InvalidCode.IN_PAST if days[0] < today else InvalidCode.TOO_FAR)
    if len(good) == 1:
        return ParsedDate(good[0])
    return AmbiguousDate(good, reason)


def _best_date(
    alternatives: _Alternatives, tokens: Sequence[_Token], today: date, day_first: bool = True
) -> tuple[DateResult, int] | None:
    if not alternatives:
        return None
    longest = max(used for used, _ in alternatives)
    if any(tok.foreign_digits for tok in tokens[:longest]):
        return Invalid(InvalidCode.NON_ASCII_DIGITS), longest
    results = [
        _decide_date(spec, today, day_first) for used, spec in alternatives if used == longest
    ]
    chosen = next((r for r in results if not isinstance(r, Invalid)), results[0])
    return chosen, longest


def parse_date(text: str, *, today: date, day_first: bool = True) -> DateResult:
    """A due date (no time): same forms and leniency as `parse_when`; today is allowed, a
    weekday name means a later day (never today)."""
    if not text.strip():
        return Invalid(InvalidCode.EMPTY)
    if _has_foreign_digits(text):
        return Invalid(InvalidCode.NON_ASCII_DIGITS)
    tokens = _tokenize(text)
    complete = [(u, s) for u, s in _date_syntax(tokens, 0) if u == len(tokens)]
    best = _best_date(complete, tokens, today, day_first)
    return best[0] if best else Invalid(InvalidCode.UNRECOGNISED)


def parse_date_prefix(text: str, *, today: date, day_first: bool = True) -> tuple[DateResult, str]:
    """The longest leading date in `text` and the rest, stripped (for "/uppgift 10/12 text")."""
    if not text.strip():
        return Invalid(InvalidCode.EMPTY), ""
    tokens = _tokenize(text)
    best = _best_date(_date_syntax(tokens, 0), tokens, today, day_first)
    if best is None:
        return Invalid(InvalidCode.UNRECOGNISED), text.strip()
    result, used = best
    return result, text[tokens[used - 1].end :].strip()
