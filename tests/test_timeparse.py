"""Lenient date/time parsing (fault catalogue 17; PRODUCT: free-form arguments)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.timeparse import (
    Ambiguous,
    AmbiguousDate,
    Invalid,
    InvalidCode,
    Parsed,
    ParsedDate,
    parse_date,
    parse_date_prefix,
    parse_when,
    parse_when_prefix,
)

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday
TODAY = NOW.date()


def when(text: str, now: datetime = NOW, **kwargs: bool) -> Parsed | Ambiguous | Invalid:
    return parse_when(text, now=now, tz=TZ, **kwargs)


def local(result: Parsed | Ambiguous | Invalid) -> datetime:
    assert isinstance(result, Parsed), result
    assert result.at.tzinfo is not None
    assert result.at.utcoffset() == result.at.astimezone(TZ).utcoffset()
    return result.at.astimezone(TZ).replace(tzinfo=None)


ACCEPTED = [
    ("2026-12-10 14:00", datetime(2026, 12, 10, 14, 0)),
    ("2026-12-10 14", datetime(2026, 12, 10, 14, 0)),
    ("2026-12-10 kl 14", datetime(2026, 12, 10, 14, 0)),
    ("2026-12-10 kl. 14.15", datetime(2026, 12, 10, 14, 15)),
    ("2026-12-10T14:00", datetime(2026, 12, 10, 14, 0)),
    ("2026-12-10 14:00:00", datetime(2026, 12, 10, 14, 0)),
    ("25/12 14", datetime(2026, 12, 25, 14, 0)),
    ("25/12 14:30", datetime(2026, 12, 25, 14, 30)),
    ("10/12/2026 14:00", datetime(2026, 12, 10, 14, 0)),
    ("10/12/26 14:00", datetime(2026, 12, 10, 14, 0)),
    ("10.12 14:00", datetime(2026, 12, 10, 14, 0)),
    ("10.12.2026 9", datetime(2026, 12, 10, 9, 0)),
    ("10-12-2026 9", datetime(2026, 12, 10, 9, 0)),
    ("10 dec 14:00", datetime(2026, 12, 10, 14, 0)),
    ("10 december kl. 14", datetime(2026, 12, 10, 14, 0)),
    ("10 dec 2026 14.30", datetime(2026, 12, 10, 14, 30)),
    ("den 10 december 14:00", datetime(2026, 12, 10, 14, 0)),
    ("10:e december 14", datetime(2026, 12, 10, 14, 0)),
    ("december 10, 2026 2pm", datetime(2026, 12, 10, 14, 0)),
    ("dec 10th 2pm", datetime(2026, 12, 10, 14, 0)),
    ("3 jan 10:00", datetime(2027, 1, 3, 10, 0)),  # next occurrence
    ("23 nov 11:00", datetime(2026, 11, 23, 11, 0)),  # today, still ahead
    ("1 maj 12", datetime(2027, 5, 1, 12, 0)),
    ("1 may 12", datetime(2027, 5, 1, 12, 0)),
    ("15 okt 12", datetime(2027, 10, 15, 12, 0)),
    ("15 oct 12", datetime(2027, 10, 15, 12, 0)),
    ("2 sept 12", datetime(2027, 9, 2, 12, 0)),
    ("2 mars 12", datetime(2027, 3, 2, 12, 0)),
    ("2 augusti 12", datetime(2027, 8, 2, 12, 0)),
    ("29/2 10:00", datetime(2028, 2, 29, 10, 0)),  # next leap year
    ("imorgon 9", datetime(2026, 11, 24, 9, 0)),
    ("i morgon 09:00", datetime(2026, 11, 24, 9, 0)),
    ("imorgon kl14", datetime(2026, 11, 24, 14, 0)),
    ("idag 15", datetime(2026, 11, 23, 15, 0)),
    ("i dag 15:30", datetime(2026, 11, 23, 15, 30)),
    ("övermorgon 10", datetime(2026, 11, 25, 10, 0)),
    ("i övermorgon kl 10", datetime(2026, 11, 25, 10, 0)),
    ("tomorrow 9", datetime(2026, 11, 24, 9, 0)),
    ("today 15:00", datetime(2026, 11, 23, 15, 0)),
    ("tomorrow 9am", datetime(2026, 11, 24, 9, 0)),
    ("tomorrow 12am", datetime(2026, 11, 24, 0, 0)),
    ("tomorrow 12pm", datetime(2026, 11, 24, 12, 0)),
    ("tomorrow 9 a.m.", datetime(2026, 11, 24, 9, 0)),
    ("3pm", datetime(2026, 11, 23, 15, 0)),
    ("3 pm tomorrow", datetime(2026, 11, 24, 15, 0)),
    ("14:00 imorgon", datetime(2026, 11, 24, 14, 0)),
    ("14.30", datetime(2026, 11, 23, 14, 30)),  # cannot be a date: a time today
    ("tisdag 13:30", datetime(2026, 11, 24, 13, 30)),
    ("Tisdag 13:30", datetime(2026, 11, 24, 13, 30)),
    ("på tisdag 13", datetime(2026, 11, 24, 13, 0)),
    ("tis 13", datetime(2026, 11, 24, 13, 0)),
    ("tuesday 13:30", datetime(2026, 11, 24, 13, 30)),
    ("on tue at 1:30pm", datetime(2026, 11, 24, 13, 30)),
    ("fredag 9", datetime(2026, 11, 27, 9, 0)),
    ("lördag 9", datetime(2026, 11, 28, 9, 0)),
    ("sön 9", datetime(2026, 11, 29, 9, 0)),
    ("måndag 11", datetime(2026, 11, 23, 11, 0)),  # today, time still ahead
    ("måndag 9", datetime(2026, 11, 30, 9, 0)),  # today's 9:00 has passed: next week
    ("mån 9", datetime(2026, 11, 30, 9, 0)),
    ("kl 14", datetime(2026, 11, 23, 14, 0)),
    ("klockan 14", datetime(2026, 11, 23, 14, 0)),
    ("  IMORGON    KL   9  ", datetime(2026, 11, 24, 9, 0)),
    ("imorgon 9,", datetime(2026, 11, 24, 9, 0)),
    ("12/25 10:00", datetime(2026, 12, 25, 10, 0)),  # only month/day is a date
    ("05/12/2026 10:00", datetime(2026, 12, 5, 10, 0)),  # 12 May 2026 has passed
    ("2026-12-10\u200b 14:00", datetime(2026, 12, 10, 14, 0)),
    ("2026\u201312\u201310 14:00", datetime(2026, 12, 10, 14, 0)),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted(text: str, expected: datetime) -> None:
    assert local(when(text)) == expected


def test_next_sunday_on_a_monday_is_ambiguous() -> None:
    result = when("nästa söndag 10")
    assert isinstance(result, Ambiguous)
    assert [c.replace(tzinfo=None) for c in result.candidates] == [
        datetime(2026, 11, 29, 10),
        datetime(2026, 12, 6, 10),
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", InvalidCode.EMPTY),
        ("   ", InvalidCode.EMPTY),
        ("hej", InvalidCode.UNRECOGNISED),
        ("2026-12-10 14:00 extra", InvalidCode.UNRECOGNISED),
        ("14", InvalidCode.UNRECOGNISED),  # a bare number alone is not a time
        ("31/02 14:00", InvalidCode.INVALID_DATE),
        ("31/02", InvalidCode.INVALID_DATE),
        ("30.02 10", InvalidCode.INVALID_DATE),
        ("2026-13-01 10:00", InvalidCode.INVALID_DATE),
        ("13/13 10:00", InvalidCode.INVALID_DATE),
        ("0/12 10:00", InvalidCode.INVALID_DATE),
        ("32 dec 10:00", InvalidCode.INVALID_DATE),
        ("2027-02-29 10:00", InvalidCode.INVALID_DATE),
        ("0000-01-01 10:00", InvalidCode.INVALID_DATE),
        ("24:00", InvalidCode.INVALID_TIME),
        ("12:60", InvalidCode.INVALID_TIME),
        ("2026-12-10 24:00", InvalidCode.INVALID_TIME),
        ("2026-12-10 12:60", InvalidCode.INVALID_TIME),
        ("imorgon 25", InvalidCode.INVALID_TIME),
        ("13pm", InvalidCode.INVALID_TIME),
        ("imorgon 0am", InvalidCode.INVALID_TIME),
        ("2026-12-10", InvalidCode.MISSING_TIME),
        ("imorgon", InvalidCode.MISSING_TIME),
        ("tisdag", InvalidCode.MISSING_TIME),
        ("10.12.2026", InvalidCode.MISSING_TIME),
        ("10 dec", InvalidCode.MISSING_TIME),
        ("kl 9", InvalidCode.IN_PAST),
        ("idag 9:59", InvalidCode.IN_PAST),
        ("2026-11-22 14:00", InvalidCode.IN_PAST),
        ("2025-12-10 14:00", InvalidCode.IN_PAST),
        ("23/11 09:00", InvalidCode.IN_PAST),  # today's date, passed time: not moved a year
        ("9999-01-01 10:00", InvalidCode.TOO_FAR),
        ("2031-11-23 10:01", InvalidCode.TOO_FAR),
        ("1/1/2040 10:00", InvalidCode.TOO_FAR),
        ("١٠/١٢ 14:00", InvalidCode.NON_ASCII_DIGITS),
        ("１０/１２ 14:00", InvalidCode.NON_ASCII_DIGITS),  # fullwidth
        ("2026-12-10 ١٤:٠٠", InvalidCode.NON_ASCII_DIGITS),
        ("imorgon ٩", InvalidCode.NON_ASCII_DIGITS),
        ("2027-03-28 02:30", InvalidCode.NONEXISTENT_LOCAL_TIME),
        ("2027-03-28 02:00", InvalidCode.NONEXISTENT_LOCAL_TIME),
    ],
)
def test_invalid(text: str, code: InvalidCode) -> None:
    assert when(text) == Invalid(code)


def test_boundaries_of_past_and_far() -> None:
    assert local(when("2026-11-23 10:00")) == datetime(2026, 11, 23, 10, 0)
    assert local(when("2031-11-23 10:00")) == datetime(2031, 11, 23, 10, 0)


def test_slash_dates_are_day_month_in_swedish() -> None:
    # No Swede reads 3/4 as 4 March: in Swedish it is 3 April, without a question.
    assert local(when("3/4 14")) == datetime(2027, 4, 3, 14)
    assert local(when("03/04 10:00")) == datetime(2027, 4, 3, 10)
    assert local(when("10/12 14")) == datetime(2026, 12, 10, 14)
    assert parse_date("03/04", today=TODAY) == ParsedDate(date(2027, 4, 3))
    # What Swedish itself leaves open is still asked.
    assert isinstance(when("12/25 10:00"), Parsed)  # only month/day is a date


def test_day_month_order_is_asked_in_english() -> None:
    result = when("03/04 10:00", day_first=False)
    assert isinstance(result, Ambiguous)
    assert result.reason == "day_month_order"
    assert [c.replace(tzinfo=None) for c in result.candidates] == [
        datetime(2027, 4, 3, 10),  # Swedish reading first
        datetime(2027, 3, 4, 10),
    ]
    result = when("10/12 14", day_first=False)
    assert isinstance(result, Ambiguous)
    assert result.candidates[0].replace(tzinfo=None) == datetime(2026, 12, 10, 14)
    # Same number twice, or a part above 12: no question.
    assert local(when("04/04 10:00")) == datetime(2027, 4, 4, 10)
    assert local(when("13/04 10:00")) == datetime(2027, 4, 13, 10)
    # Dotted dates are always day.month.
    assert local(when("03.04 10:00")) == datetime(2027, 4, 3, 10)


def test_next_weekday() -> None:
    result = when("nästa tisdag 13:30")
    assert isinstance(result, Ambiguous)
    assert result.reason == "next_weekday"
    assert [c.replace(tzinfo=None) for c in result.candidates] == [
        datetime(2026, 11, 24, 13, 30),
        datetime(2026, 12, 1, 13, 30),
    ]
    result = when("next tuesday 1:30pm")
    assert isinstance(result, Ambiguous)
    assert result.candidates[0].replace(tzinfo=None) == datetime(2026, 11, 24, 13, 30)
    # On a Friday, next Tuesday is in the next week anyway: no question.
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=TZ)
    assert local(when("nästa tisdag 13:30", now=friday)) == datetime(2026, 12, 1, 13, 30)
    # "Nästa måndag" said on a Monday never means today.
    assert local(when("nästa måndag 11")) == datetime(2026, 11, 30, 11, 0)


def test_results_are_aware_in_the_zone() -> None:
    result = when("2026-12-10 14:00")
    assert isinstance(result, Parsed)
    assert result.at.tzinfo == TZ
    assert result.at.astimezone(UTC) == datetime(2026, 12, 10, 13, 0, tzinfo=UTC)
    summer = when("2027-06-10 14:00")
    assert isinstance(summer, Parsed)
    assert summer.at.astimezone(UTC) == datetime(2027, 6, 10, 12, 0, tzinfo=UTC)


def test_now_in_another_zone_is_converted() -> None:
    # 23:30 UTC on 23 Nov is already 24 Nov in Stockholm.
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert local(when("idag 9", now=now)) == datetime(2026, 11, 24, 9, 0)
    assert local(when("imorgon 9", now=now)) == datetime(2026, 11, 25, 9, 0)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_when("imorgon 9", now=datetime(2026, 11, 23, 10), tz=TZ)


# --- DST ------------------------------------------------------------------------------------

BEFORE_DST = datetime(2026, 3, 1, 12, 0, tzinfo=TZ)
BEFORE_FALL = datetime(2026, 10, 1, 12, 0, tzinfo=TZ)


def test_spring_forward_gap() -> None:
    assert when("2026-03-29 02:30", now=BEFORE_DST) == Invalid("nonexistent_local_time")
    assert when("29 mars 02:30", now=BEFORE_DST) == Invalid("nonexistent_local_time")
    assert local(when("2026-03-29 01:59", now=BEFORE_DST)) == datetime(2026, 3, 29, 1, 59)
    after = when("2026-03-29 03:00", now=BEFORE_DST)
    assert isinstance(after, Parsed)
    assert after.at.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_fall_back_fold() -> None:
    result = when("2026-10-25 02:30", now=BEFORE_FALL)
    assert isinstance(result, Ambiguous)
    assert result.reason == "dst_fold"
    assert [c.astimezone(UTC) for c in result.candidates] == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # still summer time (fold 0)
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    ]
    assert [c.fold for c in result.candidates] == [0, 1]
    assert all(c.tzinfo == TZ for c in result.candidates)
    # Outside the repeated hour there is no question.
    assert isinstance(when("2026-10-25 03:00", now=BEFORE_FALL), Parsed)
    assert isinstance(when("2026-10-25 01:59", now=BEFORE_FALL), Parsed)


def test_fold_half_passed() -> None:
    # Between the two 02:30s only the second is still ahead.
    now = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 CET, after the first 02:30
    result = when("2026-10-25 02:30", now=now)
    assert isinstance(result, Parsed)
    assert result.at.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_weekday_across_dst() -> None:
    # Saturday before the autumn change: Sunday 02:30 is the fold.
    saturday = datetime(2026, 10, 24, 12, 0, tzinfo=TZ)
    assert isinstance(when("söndag 02:30", now=saturday), Ambiguous)
    assert when("imorgon 02:30", now=datetime(2026, 3, 28, 12, 0, tzinfo=TZ)) == Invalid(
        "nonexistent_local_time"
    )


# --- require_time=False ----------------------------------------------------------------------


def test_date_only_allowed() -> None:
    result = when("2026-12-10", require_time=False)
    assert local(result) == datetime(2026, 12, 10, 0, 0)
    assert local(when("idag", require_time=False)) == datetime(2026, 11, 23, 0, 0)
    assert local(when("måndag", require_time=False)) == datetime(2026, 11, 30, 0, 0)
    assert local(when("imorgon 9", require_time=False)) == datetime(2026, 11, 24, 9, 0)
    assert when("2026-11-22", require_time=False) == Invalid("in_past")


# --- prefix ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("2026-12-10 14:00 Stadshuset rum 3", datetime(2026, 12, 10, 14), "Stadshuset rum 3"),
        ("2026-12-10 14:00", datetime(2026, 12, 10, 14), ""),
        ("imorgon 9, Stadshuset", datetime(2026, 11, 24, 9), "Stadshuset"),
        (
            "imorgon kl 9 https://meet.example/abc",
            datetime(2026, 11, 24, 9),
            "https://meet.example/abc",
        ),
        ("tisdag 13:30   Zoom  ", datetime(2026, 11, 24, 13, 30), "Zoom"),
        ("10 dec 2026 14.30 Rum 4", datetime(2026, 12, 10, 14, 30), "Rum 4"),
        ("10 december kl. 14 Kulturhuset", datetime(2026, 12, 10, 14), "Kulturhuset"),
        ("kl 14 i stora salen", datetime(2026, 11, 23, 14), "i stora salen"),
        ("2026-12-10T14:00 Plats", datetime(2026, 12, 10, 14), "Plats"),
        ("kl 14 rum ٣", datetime(2026, 11, 23, 14), "rum ٣"),
    ],
)
def test_prefix(text: str, expected: datetime, rest: str) -> None:
    result, remaining = parse_when_prefix(text, now=NOW, tz=TZ)
    assert local(result) == expected
    assert remaining == rest


def test_prefix_failures_keep_the_text() -> None:
    assert parse_when_prefix("Stadshuset rum 3", now=NOW, tz=TZ) == (
        Invalid("unrecognised"),
        "Stadshuset rum 3",
    )
    assert parse_when_prefix("imorgon Stadshuset", now=NOW, tz=TZ) == (
        Invalid("missing_time"),
        "Stadshuset",
    )
    assert parse_when_prefix("31/02 14:00 Rum", now=NOW, tz=TZ) == (Invalid("invalid_date"), "Rum")
    assert parse_when_prefix("١٠/١٢ 14:00 Rum", now=NOW, tz=TZ) == (
        Invalid("non_ascii_digits"),
        "Rum",
    )
    assert parse_when_prefix("  ", now=NOW, tz=TZ) == (Invalid("empty"), "")
    result, rest = parse_when_prefix("03/04 10:00 Rum", now=NOW, tz=TZ, day_first=False)
    assert isinstance(result, Ambiguous)
    assert rest == "Rum"
    result, rest = parse_when_prefix("03/04 10:00 Rum", now=NOW, tz=TZ)
    assert isinstance(result, Parsed) and rest == "Rum"


def test_prefix_keeps_original_case_and_characters_of_the_rest() -> None:
    result, rest = parse_when_prefix("IMORGON 9 Café Ölstugan, 2 tr", now=NOW, tz=TZ)
    assert local(result) == datetime(2026, 11, 24, 9)
    assert rest == "Café Ölstugan, 2 tr"


# --- due dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-10", date(2026, 12, 10)),
        ("10.12", date(2026, 12, 10)),
        ("10.12.2026", date(2026, 12, 10)),
        ("25/12", date(2026, 12, 25)),
        ("10 dec", date(2026, 12, 10)),
        ("31 januari 2027", date(2027, 1, 31)),
        ("idag", date(2026, 11, 23)),
        ("imorgon", date(2026, 11, 24)),
        ("i övermorgon", date(2026, 11, 25)),
        ("fredag", date(2026, 11, 27)),
        ("måndag", date(2026, 11, 30)),  # a weekday is never today
        ("23/11", date(2026, 11, 23)),
        ("1 jan", date(2027, 1, 1)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == ParsedDate(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("snart", "unrecognised"),
        ("imorgon 9", "unrecognised"),
        ("31/02", "invalid_date"),
        ("2026-13-01", "invalid_date"),
        ("2026-11-22", "in_past"),
        ("9999-12-31", "too_far"),
        ("١٠/١٢", "non_ascii_digits"),
    ],
)
def test_parse_date_invalid(text: str, code: str) -> None:
    assert parse_date(text, today=TODAY) == Invalid(code)


def test_parse_date_ambiguous_and_prefix() -> None:
    result = parse_date("03/04", today=TODAY, day_first=False)
    assert result == AmbiguousDate([date(2027, 4, 3), date(2027, 3, 4)], "day_month_order")
    assert parse_date_prefix("10 dec Skicka siffrorna", today=TODAY) == (
        ParsedDate(date(2026, 12, 10)),
        "Skicka siffrorna",
    )
    assert parse_date_prefix("Skicka siffrorna", today=TODAY) == (
        Invalid("unrecognised"),
        "Skicka siffrorna",
    )


# --- properties ------------------------------------------------------------------------------

HORIZON = datetime(2031, 11, 22, 23, 59)


@settings(max_examples=400, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2026, 11, 23, 10, 1), max_value=HORIZON),
)
def test_iso_round_trip(moment: datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    result = when(moment.strftime("%Y-%m-%d %H:%M"))
    if isinstance(result, Parsed):
        assert result.at.replace(tzinfo=None) == moment
        assert result.at.astimezone(UTC).astimezone(TZ).replace(tzinfo=None) == moment
    elif isinstance(result, Ambiguous):
        assert result.reason == "dst_fold"
        assert len(result.candidates) == 2
        assert result.candidates[1].astimezone(UTC) - result.candidates[0].astimezone(
            UTC
        ) == timedelta(hours=1)
        assert moment.month == 10 and moment.weekday() == 6 and moment.hour == 2
    else:
        assert result == Invalid("nonexistent_local_time")
        assert moment.month == 3 and moment.weekday() == 6 and moment.hour == 2


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2026, 11, 24, 0, 0), max_value=HORIZON),
    style=st.sampled_from(
        [
            "%d/%m/%Y %H:%M",
            "%d.%m.%Y %H:%M",
            "%d.%m.%Y kl %H",
            "%Y-%m-%dT%H:%M",
            "{day} {mon} %Y %H.%M",
        ]
    ),
)
def test_other_spellings_round_trip(moment: datetime, style: str) -> None:
    moment = moment.replace(second=0, microsecond=0)
    if "%M" not in style:
        moment = moment.replace(minute=0)
    months = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
    text = moment.strftime(style.format(day=moment.day, mon=months[moment.month - 1]))
    result = when(text)
    exists = (
        datetime.combine(moment.date(), moment.time(), tzinfo=TZ)
        .astimezone(UTC)
        .astimezone(TZ)
        .replace(tzinfo=None)
        == moment
    )
    if not exists:
        # Only the slash spelling has a second reading that may exist.
        assert result == Invalid("nonexistent_local_time") or style.startswith("%d/%m"), text
    elif isinstance(result, Parsed):
        assert result.at.replace(tzinfo=None) == moment, text
    else:
        assert isinstance(result, Ambiguous), (text, result)
        # The Swedish reading (or the first instant of a DST fold) comes first.
        assert result.candidates[0].replace(tzinfo=None) == moment, text


TEXTS = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(
            ["10", "12", "/", ".", ":", "-", " ", "kl", "dec", "tisdag", "nästa", "pm", "2026",
             "imorgon", "i", "dag", "31", "02", "24", "00", "60", "١", "T", "den", "at", "9999"]
        ),
        max_size=10,
    ).map("".join),
)  # fmt: skip


@given(text=TEXTS, offset=st.integers(min_value=-400, max_value=400 * 24))
def test_never_raises(text: str, offset: int) -> None:
    now = NOW + timedelta(hours=offset)
    result = parse_when(text, now=now, tz=TZ)
    _check_result(result, now)
    prefixed, rest = parse_when_prefix(text, now=now, tz=TZ)
    _check_result(prefixed, now)
    assert rest == rest.strip()
    assert len(rest) <= len(text)
    assert isinstance(parse_date(text, today=now.date()), ParsedDate | AmbiguousDate | Invalid)
    assert isinstance(
        parse_date_prefix(text, today=now.date())[0], ParsedDate | AmbiguousDate | Invalid
    )


def _check_result(result: Parsed | Ambiguous | Invalid, now: datetime) -> None:
    if isinstance(result, Invalid):
        assert result.code in set(InvalidCode)
        return
    instants = [result.at] if isinstance(result, Parsed) else result.candidates
    if isinstance(result, Ambiguous):
        assert len(instants) >= 2
    for instant in instants:
        assert instant.tzinfo == TZ
        assert instant.astimezone(UTC) >= now.astimezone(UTC)
        assert instant.astimezone(UTC) <= now.astimezone(UTC) + timedelta(days=5 * 366)
