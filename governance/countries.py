"""Countries of origin: Babel's territory names (Swedish first, English too), fuzzy matched.

A member types a country as they would say it ("Rumänien", "rumanien", "Romania", "Bulgaria",
"Moldova"); the match is one of:

* ``Exact``: a name, a name without diacritics, or a listed alias matched in full;
* ``Likely``: one fuzzy candidate clearly ahead of the rest (a typo such as "Rumäien");
* ``Unsure``: a few candidates close together – the form asks with buttons;
* ``Unknown``: nothing close – the form refuses the line.

Fuzzy scoring is RapidFuzz's ``fuzz.ratio`` (normalised Indel similarity) over accent-folded,
case-folded names, plus the names that start with what was typed ("Kongo" offers both Congos).
Chosen by measurement (``bench/bench_country_matching.py``, 60 misspellings): the standard
library's ``difflib`` ranks as well (60/60 first against 59/60) but takes about 250 times as long
(≈8 ms a lookup against ≈0.03 ms); RapidFuzz's ``WRatio`` is worse on short names and took one
wrong country without asking. No wrong country is taken without asking with ``fuzz.ratio``.

Only real countries and inhabited territories are offered: Babel's regions ("001"), unions
("EU", "EZ", "UN"), test codes ("XA", "XB") and "unknown region" (ZZ) are not.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from babel import Locale
from rapidfuzz import fuzz, process, utils

__all__ = [
    "Exact",
    "Likely",
    "Match",
    "Unknown",
    "Unsure",
    "country_codes",
    "country_name",
    "fold",
    "match_country",
]

_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "XA", "XB", "ZZ", "QO"})
# Names people use that Babel does not list (folded form → code).
_ALIASES: Mapping[str, str] = {
    "moldova": "MD",
    "vitryssland": "BY",
    "makedonien": "MK",
    "tjeckiska republiken": "CZ",
    "bosnien": "BA",
    "england": "GB",
    "storbritannien och nordirland": "GB",
    "burma": "MM",
    "ukraine": "UA",
    "romania": "RO",
    "bulgaria": "BG",
    "slovakia": "SK",
    "hungary": "HU",
    "poland": "PL",
    "lithuania": "LT",
    "latvia": "LV",
    "estonia": "EE",
    "kosova": "XK",
    "holland": "NL",
    "usa": "US",
}
# Not a territory, but a value the figures need: people whose origin is not stated.
UNKNOWN_CODE = "XX"

# Scores (0–100) of RapidFuzz's normalised Indel similarity (fuzz.ratio) on folded names.
ACCEPT = 85  # a single candidate at or above this, with a clear lead, is taken
LEAD = 8  # ... the lead it needs over the next candidate
SUGGEST = 70  # candidates at or above this are offered as buttons
MAX_CHOICES = 4
PREFIX_SCORE = 80  # a name that starts with what was typed: offered, never taken alone


@dataclass(frozen=True)
class Exact:
    code: str


@dataclass(frozen=True)
class Likely:
    code: str
    score: float


@dataclass(frozen=True)
class Unsure:
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Unknown:
    pass


Match = Exact | Likely | Unsure | Unknown


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Rumänien" and "rumanien" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace("-", " ").replace(":", " ").split())


@cache
def country_codes() -> tuple[str, ...]:
    """Every code offered, in Swedish alphabetical order of its name."""
    names = Locale("sv").territories
    codes = [c for c in map(str, names) if c.isalpha() and len(c) == 2 and c not in _NOT_COUNTRIES]
    return tuple(sorted(codes, key=lambda c: _sort_key(names[c])))


def _sort_key(name: str) -> tuple[int, ...]:
    # Swedish order: a–z, then å, ä, ö (Ü and É fold into their base letters).
    order = "abcdefghijklmnopqrstuvwxyzåäö"
    key: list[int] = []
    for ch in name.casefold():
        if ch in order:
            key.append(order.index(ch))
        else:
            base = fold(ch)
            key.append(order.index(base) if base and base in order else 100 + ord(ch))
    return tuple(key)


def country_name(code: str, language: str = "sv") -> str:
    """The territory's name in `language` ("Rumänien" / "Romania"); "Okänt" for unknown."""
    if code == UNKNOWN_CODE:
        return "Okänt ursprungsland" if language == "sv" else "Origin not stated"
    names = Locale(language).territories
    return str(names.get(code) or Locale("sv").territories.get(code) or code)


@cache
def _index() -> dict[str, str]:
    """Folded name → code, Swedish and English names and the aliases."""
    index: dict[str, str] = {}
    for language in ("en", "sv"):  # Swedish last: it wins where the two disagree
        names = Locale(language).territories
        for code in country_codes():
            name = names.get(code)
            if name:
                index[fold(name)] = code
                # "Myanmar (Burma)" is also found as "Myanmar".
                if "(" in name:
                    index[fold(name.split("(")[0])] = code
    for alias, code in _ALIASES.items():
        index[alias] = code
    for word in ("okant", "okand", "unknown", "ej angivet", "ej kant", "not stated"):
        index[word] = UNKNOWN_CODE
    return index


def match_country(text: str) -> Match:
    """What country `text` names (see the module's description)."""
    wanted = fold(text)
    if not wanted:
        return Unknown()
    index = _index()
    if wanted in index:
        return Exact(index[wanted])
    found = process.extract(
        wanted,
        list(index),
        scorer=fuzz.ratio,
        processor=utils.default_process,
        limit=12,
        score_cutoff=SUGGEST,
    )
    # One candidate per country (a country has several names), best score first.
    best: dict[str, float] = {}
    if len(wanted) >= 4:
        for name, code in index.items():
            if name.startswith(wanted) and code != UNKNOWN_CODE:
                best[code] = max(best.get(code, 0.0), float(PREFIX_SCORE))
    for name, score, _pos in found:
        code = index[name]
        if code == UNKNOWN_CODE:
            continue  # "not stated" is only ever taken as typed
        # Very short typed text matches the start of long names too well: "ru" is no country.
        if len(wanted) < 4 and score < 100:
            continue
        best[code] = max(best.get(code, 0.0), float(score))
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if not ranked:
        return Unknown()
    code, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score >= ACCEPT and score - runner_up >= LEAD:
        return Likely(code, score)
    return Unsure(tuple(c for c, _s in ranked[:MAX_CHOICES]))


def names_for(codes: Iterable[str], language: str = "sv") -> list[str]:
    return [country_name(code, language) for code in codes]
