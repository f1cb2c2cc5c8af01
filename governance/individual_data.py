"""Text that reads as data about an individual client: kept out of reports.

Reports are aggregated figures and descriptions of the activity (001 §5.3, 004 "Sekretess"). A
free text is refused when it carries what identifies or describes one person:

* a personnummer or samordningsnummer (``governance.personnummer``, Luhn and date checked);
* a date of birth ("född 1987-03-12", "f. 12/3 1987", "födelsedatum");
* a phone number or an e-mail address;
* a person described by name and age ("Maria, 34 år", "Ion (52)").

The check is a guard, not a classifier: it errs on refusing, and the refusal says why so the
writer can rephrase ("en kvinna i 30-årsåldern" is fine; "Maria 34 år" is not).
"""

from __future__ import annotations

import re
from typing import Literal

from governance.personnummer import contains_personal_identity_number

__all__ = ["IndividualDataKind", "find_individual_data"]

IndividualDataKind = Literal["identity_number", "birth_date", "phone", "email", "name_and_age"]

_BIRTH = re.compile(
    r"\b(född|födde|f\.|födelsedatum|födelsedag|date of birth|born|dob)\b[\s:]*"
    r"(\d{1,4}[-/. ]\d{1,2}([-/. ]\d{2,4})?|\d{4}|\d{1,2}\s+\w+\s+\d{4})",
    re.IGNORECASE,
)
_BIRTH_WORD = re.compile(r"\b(födelsedatum|date of birth)\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Swedish mobile and landline numbers (07x…, 08…, +46…), with spaces or dashes.
_PHONE = re.compile(r"(?<![\d-])(\+46|0046|0)[\s-]?\d{1,3}([\s-]?\d{2,4}){2,4}(?![\d-])")
# "Maria, 34 år", "Ion (52)", "Maria 34 år gammal": a capitalised word followed by an age,
# unless the word names a group ("Kvinnor 40 år och äldre").
_NAME_AGE = re.compile(
    r"\b([A-ZÅÄÖ][a-zåäöéüşţăîâ]+),?\s+(\(\s*\d{1,3}\s*\)|\d{1,3}\s*(år|years|yrs)\b)"
)
_GROUP_WORDS = frozenset(
    {
        "kvinnor",
        "män",
        "personer",
        "besökare",
        "barn",
        "ungdomar",
        "deltagare",
        "brukare",
        "äldre",
        "vuxna",
        "över",
        "under",
        "cirka",
        "ca",
        "totalt",
        "alla",
        "många",
        "några",
        "flera",
        "hälften",
        "de",
        "den",
        "det",
        "vi",
        "sedan",
        "efter",
        "i",
        "på",
        "från",
        "women",
        "men",
        "people",
        "visitors",
        "children",
        "over",
        "about",
        "all",
        "some",
    }
)


def find_individual_data(text: str) -> IndividualDataKind | None:
    """The first kind of individual data found in `text`, or None when it reads as aggregate."""
    if contains_personal_identity_number(text):
        return "identity_number"
    if _BIRTH.search(text) or _BIRTH_WORD.search(text):
        return "birth_date"
    if _EMAIL.search(text):
        return "email"
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 8 <= len(digits) <= 13:
            return "phone"
    for match in _NAME_AGE.finditer(text):
        if match.group(1).casefold() not in _GROUP_WORDS:
            return "name_and_age"
    return None
