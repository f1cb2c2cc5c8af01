"""Plausible figures for the activity report's tests: four organisations of SOF 2025/144 (five
activities) for November 2025–April 2026, and the half-year before for the comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from governance.report_figures import Compilation, UnitResult, compile_units
from views.report_files import ReportDocument

CONVICTUS = {
    "total": 1240,
    "gender": {"women": 812, "men": 410, "other": 18},
    "countries": {"RO": 640, "BG": 310, "PL": 60, "HU": 44, "SK": 30, "MD": 26, "XX": 130},
    "age": {"0-17": 0, "18-29": 260, "30-49": 540, "50-64": 340, "65+": 70, "unknown": 30},
    "night": None,
    "hours": {"planned": 1032, "held": 1010},
    "complaints": 3,
    "themes": {"treatment": 2, "information": 1},
    "needs": "Uppsöken kl 08–16 räckte väl; fler kvinnor än förra perioden nåddes på morgonen.",
}
FRALSNINGSARMEN = {
    "total": 2100,
    "gender": {"women": 420, "men": 1650, "other": 30},
    "countries": {"RO": 1200, "BG": 520, "PL": 110, "LT": 40, "LV": 35, "HU": 60, "XX": 135},
    "age": {"0-17": 0, "18-29": 380, "30-49": 900, "50-64": 640, "65+": 150, "unknown": 30},
    "night": {"offered": 5430, "used": 5212, "turned_away": 288},
    "hours": {"planned": 1548, "held": 1548},
    "complaints": 5,
    "themes": {"night_places": 3, "food": 1, "other": 1},
    "needs": "Nattplatserna räckte inte under januari och februari; 288 fick nej.",
}
NY_GEMENSKAP = {
    "total": 860,
    "gender": {"women": 160, "men": 690, "other": 10},
    "countries": {"RO": 500, "BG": 140, "RS": 40, "UA": 38, "EE": 12, "CZ": 14, "XX": 116},
    "age": {"0-17": 0, "18-29": 120, "30-49": 400, "50-64": 260, "65+": 60, "unknown": 20},
    "night": {"offered": 3620, "used": 3480, "turned_away": 120},
    "hours": {"planned": 774, "held": 760},
    "complaints": 0,
    "themes": {},
    "needs": "",
}
VARBERG = {
    "total": 1500,
    "gender": {"women": 450, "men": 1030, "other": 20},
    "countries": {"RO": 900, "BG": 300, "PL": 90, "HU": 50, "IT": 30, "XX": 130},
    "age": {"0-17": 0, "18-29": 300, "30-49": 700, "50-64": 400, "65+": 80, "unknown": 20},
    "night": None,
    "hours": {"planned": 413, "held": 401},
    "complaints": 2,
    "themes": {"food": 2},
    "needs": "Duschar och tvätt efterfrågades mest. Stängt en vardag i veckan enligt bilagan.",
}
HASSELBY = {
    "total": 980,
    "gender": {"women": 300, "men": 670, "other": 10},
    "countries": {"RO": 560, "BG": 200, "PL": 70, "SK": 25, "XX": 125},
    "age": {"0-17": 0, "18-29": 180, "30-49": 450, "50-64": 290, "65+": 50, "unknown": 10},
    "night": None,
    "hours": {"planned": 413, "held": 413},
    "complaints": 1,
    "themes": {"premises": 1},
    "needs": "Behovet av juridisk rådgivning ökade.",
}

UNITS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("convictus/mobilt-uppsok", "convictus", "Convictus", "Mobil uppsökande verksamhet", CONVICTUS),
    ("fralsningsarmen", "fralsningsarmen", "Frälsningsarmén", "Frälsningsarmén", FRALSNINGSARMEN),
    ("ny-gemenskap", "ny-gemenskap", "Ny Gemenskap", "Ny Gemenskap", NY_GEMENSKAP),
    ("stockholms-stadsmission/motesplats-varberg", "stockholms-stadsmission", "Stockholms Stadsmission", "Mötesplats Vårberg", VARBERG),
    ("stockholms-stadsmission/motesplats-hasselby", "stockholms-stadsmission", "Stockholms Stadsmission", "Mötesplats Hässelby", HASSELBY),
]  # fmt: skip


def current(*, missing: tuple[str, ...] = ()) -> Compilation:
    return compile_units(
        [
            UnitResult(key, party, party_name, name, None if key in missing else figures)
            for key, party, party_name, name, figures in UNITS
        ],
        top=10,
    )


def previous() -> Compilation:
    def scaled(figures: dict[str, Any]) -> dict[str, Any]:
        out = dict(figures)
        out["total"] = round(figures["total"] * 0.85)
        out["gender"] = {k: round(v * 0.85) for k, v in figures["gender"].items()}
        out["countries"] = {k: round(v * 0.85) for k, v in figures["countries"].items()}
        return out

    return compile_units([UnitResult(k, p, pn, n, scaled(f)) for k, p, pn, n, f in UNITS], top=10)


def document(*, with_previous: bool = True, missing: tuple[str, ...] = ()) -> ReportDocument:
    return ReportDocument(
        kind="half_year",
        key="activity_report:2025-11..2026-04",
        diarienummer="SOF 2025/144",
        partnership_name="Stöd till EU-medborgare i utsatthet",
        period_start=date(2025, 11, 1),
        period_end=date(2026, 4, 30),
        due_on=date(2026, 5, 30),
        compiled_at=datetime(2026, 5, 20, 12, 0, tzinfo=UTC),
        timezone="Europe/Stockholm",
        counted="visitors",
        current=current(missing=missing),
        previous=previous() if with_previous else None,
        previous_period=(date(2025, 5, 1), date(2025, 10, 31)),
        committee_month=8,
        committee_year=2026,
    )
