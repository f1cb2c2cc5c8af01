"""Personnummer detection: every spelling found, near misses not (fault catalogue 18, 23)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.personnummer import (
    IdentityKind,
    contains_personal_identity_number,
    find_personal_identity_numbers,
    luhn_check_digit,
    redact_personal_identity_numbers,
)

FULLWIDTH = str.maketrans("0123456789-+", "０１２３４５６７８９－＋")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def spellings(born: date, serial: int, check: int, *, day_offset: int = 0) -> list[str]:
    yymmdd = f"{born.year % 100:02d}{born.month:02d}{born.day + day_offset:02d}"
    century = f"{born.year // 100:02d}"
    tail = f"{serial:03d}{check}"
    return [
        f"{yymmdd}-{tail}",
        f"{yymmdd}+{tail}",
        f"{yymmdd}{tail}",
        f"{yymmdd} {tail}",
        f"{yymmdd} - {tail}",
        f"{century}{yymmdd}-{tail}",
        f"{century}{yymmdd}{tail}",
        f"{century}{yymmdd} {tail}",
    ]


def correct_check(born: date, serial: int, day_offset: int = 0) -> int:
    nine = f"{born.year % 100:02d}{born.month:02d}{born.day + day_offset:02d}{serial:03d}"
    return luhn_check_digit(nine)


birth_dates = st.dates(min_value=date(1890, 1, 1), max_value=date(2030, 12, 31))
serials = st.integers(min_value=0, max_value=999)


def test_luhn_known_values() -> None:
    # The Skatteverket example 811218-9876 and a handful computed by hand.
    assert luhn_check_digit("811218987") == 6
    assert luhn_check_digit("640823323") == 4
    assert luhn_check_digit("000000000") == 0


@pytest.mark.parametrize(
    "text",
    [
        "811218-9876",
        "811218+9876",
        "8112189876",
        "811218 9876",
        "19811218-9876",
        "198112189876",
        "Mitt nummer är 811218-9876, ring mig",
        "(811218-9876)",
        "pnr:811218-9876.",
    ],
)
def test_known_number_found(text: str) -> None:
    assert contains_personal_identity_number(text)


@given(born=birth_dates, serial=serials)
def test_every_spelling_of_a_valid_number_is_found(born: date, serial: int) -> None:
    check = correct_check(born, serial)
    for text in spellings(born, serial, check):
        matches = find_personal_identity_numbers(f"Kontakt: {text} tack")
        assert len(matches) == 1, text
        assert matches[0].kind is IdentityKind.PERSONNUMMER
        assert matches[0].start == len("Kontakt: ")
        assert matches[0].end == len("Kontakt: ") + len(text)


@given(born=birth_dates, serial=serials, wrong=st.integers(min_value=1, max_value=9))
def test_wrong_check_digit_is_not_found(born: date, serial: int, wrong: int) -> None:
    check = (correct_check(born, serial) + wrong) % 10
    for text in spellings(born, serial, check):
        assert not contains_personal_identity_number(text), text


@given(born=birth_dates, serial=serials)
def test_samordningsnummer_found(born: date, serial: int) -> None:
    check = correct_check(born, serial, day_offset=60)
    for text in spellings(born, serial, check, day_offset=60):
        matches = find_personal_identity_numbers(text)
        assert [m.kind for m in matches] == [IdentityKind.SAMORDNINGSNUMMER], text


@given(born=birth_dates, serial=serials)
def test_obfuscated_numbers_still_found(born: date, serial: int) -> None:
    plain = spellings(born, serial, correct_check(born, serial))[0]
    zero_width = "\u200b".join(plain)
    variants = [
        plain.translate(FULLWIDTH),
        plain.translate(ARABIC_INDIC),
        zero_width,
        "\u2060".join(plain),  # word joiner
        "\u00ad".join(plain),  # soft hyphen
        "\u200e" + plain + "\u200f",  # direction marks
        plain.replace("-", "\u2013"),  # en dash
        plain.replace("-", "\u2011"),  # non-breaking hyphen
        plain.replace("-", "\u2014"),  # em dash
        plain.replace("-", "\u00a0"),  # no-break space
        "".join(ch + "\ufe0f\u20e3" for ch in plain if ch.isdigit()),  # keycap digits
    ]
    for text in variants:
        wrapped = f"x {text} y"
        matches = find_personal_identity_numbers(wrapped)
        assert len(matches) == 1, ascii(text)
        # The span lies within the obfuscated number and covers all of its digits.
        start, end = matches[0].start, matches[0].end
        assert 2 <= start < end <= 2 + len(text)
        covered = "".join(str(int(ch)) for ch in wrapped[start:end] if ch.isdecimal())
        assert covered == "".join(ch for ch in plain if ch.isdigit())


def test_leap_day_in_ten_digit_form_accepted_if_either_century_fits() -> None:
    # 000229: 1900 was no leap year, 2000 was.
    text = f"000229-123{luhn_check_digit('000229123')}"
    assert contains_personal_identity_number(text)
    # 12-digit form pins the century: 1900-02-29 does not exist.
    assert not contains_personal_identity_number("19" + text)
    assert contains_personal_identity_number("20" + text)


def _phone_number_passing_checks() -> str:
    # A mobile number whose digits read as 2007-01-23, serial 456, with the right Luhn digit.
    return f"070123456{luhn_check_digit('070123456')}"


@pytest.mark.parametrize(
    "text",
    [
        "070-123 45 67",
        "070 123 45 67",
        "+46 70 123 45 67",
        "08-123 456 78",
        "0701234567",  # date 2007-01-23, but the Luhn digit would be 9
        "2026-12-10",
        "2026-12-10 14:00",
        "2026-12-10T14:00",
        "10/12/2026 14:00",
        "Mötet 2026-12-10 kl 14.00 i rum 1234",
        "802012-1581",  # organisation number: month 20
        "556677-8899",
        "3 000 000 kr",
        "1 234 567 890",
        "12 345 678",
        "198513321234",  # month 13
        "198502301234",  # 30 February
        "199913011238",
        "8112189876123",  # embedded in a longer run
        "08112189876",
        "1811218-9876",
        "811218-98760",
        "",
        "inga siffror alls",
    ],
)
def test_non_matches(text: str) -> None:
    assert find_personal_identity_numbers(text) == []


def test_phone_number_that_happens_to_pass_both_checks_is_flagged() -> None:
    """Documented limit: a ten-digit number with a date and a valid Luhn digit cannot be told
    apart from a personnummer written without separator."""
    phone = _phone_number_passing_checks()
    assert phone != "0701234567"
    assert contains_personal_identity_number(phone)
    # Written the way phone numbers usually are, it is not.
    assert not contains_personal_identity_number(
        f"{phone[:3]}-{phone[3:6]} {phone[6:8]} {phone[8:]}"
    )


@given(digits=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_random_ten_digits_need_both_date_and_luhn(digits: str) -> None:
    found = contains_personal_identity_number(digits)
    day = int(digits[4:6])
    day = day - 60 if day > 60 else day
    date_ok = any(
        _is_date(century * 100 + int(digits[:2]), int(digits[2:4]), day) for century in (19, 20)
    )
    luhn_ok = luhn_check_digit(digits[:9]) == int(digits[9])
    assert found == (date_ok and luhn_ok)


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def test_several_numbers_and_spans() -> None:
    text = "a 811218-9876 b 19640823-3234 c"
    matches = find_personal_identity_numbers(text)
    assert [text[m.start : m.end] for m in matches] == ["811218-9876", "19640823-3234"]


def test_match_object_does_not_carry_the_digits() -> None:
    match = find_personal_identity_numbers("811218-9876")[0]
    assert "9876" not in repr(match)
    assert "811218" not in repr(match)


def test_redact() -> None:
    assert redact_personal_identity_numbers("x 811218-9876 y") == "x [pnr] y"
    assert redact_personal_identity_numbers("x\u200b811218\u200b-9876") == "x\u200b[pnr]"
    assert redact_personal_identity_numbers("inget här") == "inget här"
