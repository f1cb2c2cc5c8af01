"""The joint report's figures: totals, per party and activity, top countries, comparison.

Pure. Input: each reporting unit's submitted figures (as `governance.report_form` stores them),
or None for a unit that did not submit. Output: a `Compilation`, JSON-ready through
``to_json``/``from_json`` so a compiled report is stored as it was compiled and the next
period compares with exactly that.

Readings:
* Totals add what was submitted; a missing unit adds nothing and is named.
* Countries: the ``top`` most frequent over all units are listed (ties in Swedish name order);
  the rest of the stated countries are summed as "other countries"; "origin not stated" is its
  own line, never in the top list.
* Percentages in the comparison are of the previous period's figure; where there is no previous
  figure (or it is zero) the difference and the percentage are None, shown as "–".
* An annual compilation (004) adds the two half-years unit by unit: counts add, planned and held
  hours add, free texts are kept with their half-year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from governance.countries import UNKNOWN_CODE, country_name
from governance.report_form import AGE_BANDS, GENDERS, THEMES

__all__ = [
    "ComparisonRow",
    "Compilation",
    "UnitResult",
    "compare",
    "compile_units",
    "merge_figures",
]


@dataclass(frozen=True)
class UnitResult:
    unit_key: str
    party_key: str
    party_name: str
    name: str
    figures: Mapping[str, Any] | None  # None: not submitted

    @property
    def submitted(self) -> bool:
        return self.figures is not None


@dataclass(frozen=True)
class ComparisonRow:
    label: str  # a key the view translates: "total", "gender.women", "country.RO", ...
    current: int
    previous: int | None
    difference: int | None
    percent: float | None


def _add(into: dict[str, int], values: Mapping[str, Any] | None) -> None:
    for key, value in (values or {}).items():
        into[key] = into.get(key, 0) + int(value)


@dataclass(frozen=True)
class Compilation:
    units: tuple[UnitResult, ...]
    top: int | None = 10
    total: int = 0
    gender: dict[str, int] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)  # every stated code, and XX
    age: dict[str, int] = field(default_factory=dict)
    night: dict[str, int] | None = None  # None: no unit has night places
    hours: dict[str, int] | None = None  # None: opening hours not asked
    complaints: int | None = None
    themes: dict[str, int] = field(default_factory=dict)

    # -- derived ------------------------------------------------------------------------------

    @property
    def missing(self) -> tuple[UnitResult, ...]:
        return tuple(u for u in self.units if not u.submitted)

    @property
    def submitted(self) -> tuple[UnitResult, ...]:
        return tuple(u for u in self.units if u.submitted)

    def top_countries(self) -> list[tuple[str, int]]:
        """The `top` most frequent stated countries, most first; ties by Swedish name."""
        stated = [(c, n) for c, n in self.countries.items() if c != UNKNOWN_CODE and n > 0]
        stated.sort(key=lambda item: (-item[1], country_name(item[0])))
        return stated[: self.top] if self.top is not None else stated

    def other_countries(self) -> int:
        listed = {c for c, _ in self.top_countries()}
        return sum(n for c, n in self.countries.items() if c not in listed and c != UNKNOWN_CODE)

    def origin_not_stated(self) -> int:
        return self.countries.get(UNKNOWN_CODE, 0)

    def parties(self) -> list[tuple[str, list[UnitResult]]]:
        """Units grouped by party, in the order of the file."""
        grouped: dict[str, list[UnitResult]] = {}
        for unit in self.units:
            grouped.setdefault(unit.party_name, []).append(unit)
        return list(grouped.items())

    def party_total(self, party_name: str) -> int:
        return sum(
            int((u.figures or {}).get("total", 0)) for u in self.units if u.party_name == party_name
        )

    def needs_texts(self) -> list[tuple[UnitResult, str]]:
        return [
            (u, str(u.figures.get("needs")))
            for u in self.units
            if u.figures is not None and u.figures.get("needs")
        ]

    # -- storage ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["units"] = [asdict(u) for u in self.units]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Compilation:
        values = dict(data)
        values["units"] = tuple(UnitResult(**u) for u in data.get("units", ()))
        return cls(**values)


def compile_units(units: Sequence[UnitResult], *, top: int | None = 10) -> Compilation:
    total = 0
    gender: dict[str, int] = {}
    countries: dict[str, int] = {}
    age: dict[str, int] = {}
    night: dict[str, int] | None = None
    hours: dict[str, int] | None = None
    complaints: int | None = None
    themes: dict[str, int] = {}
    for unit in units:
        figures = unit.figures
        if figures is None:
            continue
        total += int(figures.get("total", 0))
        _add(gender, figures.get("gender"))
        _add(countries, figures.get("countries"))
        _add(age, figures.get("age"))
        if figures.get("night"):
            night = night or {}
            _add(night, figures["night"])
        if figures.get("hours"):
            hours = hours or {}
            _add(hours, figures["hours"])
        if "complaints" in figures:
            complaints = (complaints or 0) + int(figures["complaints"])
        _add(themes, figures.get("themes"))
    return Compilation(
        units=tuple(units),
        top=top,
        total=total,
        gender={k: gender.get(k, 0) for k in GENDERS} if gender else {},
        countries=countries,
        age={k: age.get(k, 0) for k in AGE_BANDS} if age else {},
        night=night,
        hours=hours,
        complaints=complaints,
        themes={k: themes[k] for k in THEMES if themes.get(k)},
    )


def merge_figures(halves: Iterable[tuple[str, Mapping[str, Any] | None]]) -> dict[str, Any] | None:
    """One unit's figures over several half-years (label, figures); None if none submitted."""
    merged: dict[str, Any] = {}
    texts: list[str] = []
    found = False
    for label, figures in halves:
        if figures is None:
            continue
        found = True
        merged["total"] = merged.get("total", 0) + int(figures.get("total", 0))
        for key in ("gender", "countries", "age", "hours", "themes"):
            if figures.get(key) is not None:
                bucket = merged.setdefault(key, {})
                _add(bucket, figures[key])
        if "night" in figures:
            if figures["night"]:
                bucket = merged.get("night") or {}
                _add(bucket, figures["night"])
                merged["night"] = bucket
            else:
                merged.setdefault("night", None)
        if "complaints" in figures:
            merged["complaints"] = merged.get("complaints", 0) + int(figures["complaints"])
        if figures.get("needs"):
            texts.append(f"{label}: {figures['needs']}")
    if not found:
        return None
    if texts:
        merged["needs"] = "\n\n".join(texts)
    return merged


def _row(label: str, current: int, previous: int | None) -> ComparisonRow:
    if previous is None:
        return ComparisonRow(label, current, None, None, None)
    difference = current - previous
    percent = (difference / previous * 100) if previous else None
    return ComparisonRow(label, current, previous, difference, percent)


def compare(current: Compilation, previous: Compilation | None) -> list[ComparisonRow]:
    """The main figures beside the previous period's (see the module's readings)."""
    rows: list[ComparisonRow] = [_row("total", current.total, previous.total if previous else None)]
    for key in GENDERS:
        if current.gender:
            before = previous.gender.get(key) if previous and previous.gender else None
            rows.append(_row(f"gender.{key}", current.gender.get(key, 0), before))
    for code, count in current.top_countries():
        before = previous.countries.get(code, 0) if previous and previous.countries else None
        rows.append(_row(f"country.{code}", count, before))
    if current.night is not None:
        for key in ("offered", "used", "turned_away"):
            before = previous.night.get(key) if previous and previous.night else None
            rows.append(_row(f"night.{key}", current.night.get(key, 0), before))
    if current.hours is not None:
        before = previous.hours.get("held") if previous and previous.hours else None
        rows.append(_row("hours.held", current.hours.get("held", 0), before))
    if current.complaints is not None:
        before = previous.complaints if previous else None
        rows.append(_row("complaints", current.complaints, before))
    return rows
