"""Country matching: RapidFuzz (what the form uses) against the standard library's difflib.

Both get the same folded name index (Swedish and English names from Babel) and the same list of
what members plausibly type: typos, missing diacritics, English names, dropped letters. For each
matcher it prints how often the right country is ranked first and among the first four (the
buttons the form offers), how often a wrong country would have been taken without asking, and
the time for the whole list. Run: ``.venv/bin/python bench/bench_country_matching.py``.
"""

from __future__ import annotations

import difflib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, process, utils

from governance.countries import ACCEPT, LEAD, _index, fold, match_country

# (typed, intended ISO code)
CASES: list[tuple[str, str]] = [
    ("Rumänien", "RO"),
    ("rumanien", "RO"),
    ("Rumänein", "RO"),
    ("Rumäien", "RO"),
    ("Rumenien", "RO"),
    ("Romänien", "RO"),
    ("Roumania", "RO"),
    ("Romaina", "RO"),
    ("Bulgarein", "BG"),
    ("Bulgarian", "BG"),
    ("bulgaria", "BG"),
    ("Bulgarjen", "BG"),
    ("Polen", "PL"),
    ("Poland", "PL"),
    ("Pollen", "PL"),
    ("Ungen", "HU"),
    ("Ungarn", "HU"),
    ("Hungry", "HU"),
    ("Slovakein", "SK"),
    ("Slovakiet", "SK"),
    ("Slovenein", "SI"),
    ("Litaun", "LT"),
    ("Lithuana", "LT"),
    ("Letland", "LV"),
    ("Estlnd", "EE"),
    ("Tjekien", "CZ"),
    ("Tjeckiet", "CZ"),
    ("Czechia", "CZ"),
    ("Moldavein", "MD"),
    ("Moldvia", "MD"),
    ("Ukrain", "UA"),
    ("Ukriana", "UA"),
    ("Serbein", "RS"),
    ("Kroatein", "HR"),
    ("Grekand", "GR"),
    ("Itallien", "IT"),
    ("Spanjen", "ES"),
    ("Portugl", "PT"),
    ("Tyskand", "DE"),
    ("Germany", "DE"),
    ("Frankrke", "FR"),
    ("Nederländer", "NL"),
    ("Nederlanderna", "NL"),
    ("Österike", "AT"),
    ("Osterrike", "AT"),
    ("Belgein", "BE"),
    ("Irand", "IE"),
    ("Albanein", "AL"),
    ("Kosovo", "XK"),
    ("Kossovo", "XK"),
    ("Nigera", "NG"),
    ("Marocco", "MA"),
    ("Marokko", "MA"),
    ("Afganistan", "AF"),
    ("Syrein", "SY"),
    ("Eritrea", "ER"),
    ("Somalien", "SO"),
    ("Etiopein", "ET"),
    ("Georgein", "GE"),
    ("Ryssand", "RU"),
]


def _difflib_rank(index: dict[str, str], typed: str) -> list[tuple[str, float]]:
    folded = fold(typed)
    names = difflib.get_close_matches(folded, list(index), n=12, cutoff=0.0)
    seen: dict[str, float] = {}
    for name in names:
        code = index[name]
        if code not in seen:
            seen[code] = difflib.SequenceMatcher(None, folded, name).ratio() * 100
    return sorted(seen.items(), key=lambda item: -item[1])


def _rapidfuzz_rank(
    index: dict[str, str], typed: str, scorer=fuzz.ratio
) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    found = process.extract(
        fold(typed), list(index), scorer=scorer, processor=utils.default_process, limit=12
    )
    seen: dict[str, float] = {}
    for name, score, _ in found:
        code = index[name]
        seen[code] = max(seen.get(code, 0.0), float(score))
    return sorted(seen.items(), key=lambda item: -item[1])


def _evaluate(name: str, rank, accept: float) -> None:  # type: ignore[no-untyped-def]
    index = _index()
    first = top4 = wrong_taken = 0
    started = time.perf_counter()
    for typed, code in CASES:
        ranked = rank(index, typed)
        codes = [c for c, _ in ranked]
        first += bool(codes and codes[0] == code)
        top4 += code in codes[:4]
        if ranked:
            lead = ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0)
            if ranked[0][1] >= accept and lead >= LEAD and ranked[0][0] != code:
                wrong_taken += 1
    elapsed = (time.perf_counter() - started) * 1000
    n = len(CASES)
    print(
        f"{name:10s} first {first}/{n} ({first / n:.0%})  among four {top4}/{n} ({top4 / n:.0%})"
        f"  wrong taken without asking {wrong_taken}  {elapsed:.1f} ms for {n} lookups"
    )


def main() -> None:
    _index()  # build once, outside the timings
    print(f"{len(CASES)} misspelt or English country names, index of {len(_index())} names")
    _evaluate("difflib", _difflib_rank, accept=ACCEPT)
    _evaluate("rapidfuzz", _rapidfuzz_rank, accept=ACCEPT)
    _evaluate("rf WRatio", lambda i, t: _rapidfuzz_rank(i, t, scorer=fuzz.WRatio), accept=ACCEPT)
    outcomes: dict[str, int] = {}
    for typed, code in CASES:
        found = match_country(typed)
        kind = type(found).__name__
        right = getattr(found, "code", None) == code or code in getattr(found, "codes", ())
        outcomes[f"{kind}{'' if right else ' (wrong)'}"] = (
            outcomes.get(f"{kind}{'' if right else ' (wrong)'}", 0) + 1
        )
    print("the form's outcome (match_country):", dict(sorted(outcomes.items())))


if __name__ == "__main__":
    main()
