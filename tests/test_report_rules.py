"""The verksamhetsrapport's pure rules: periods, who reports, the form's checks, the figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from governance.countries import UNKNOWN_CODE, Exact, Likely, Unknown, Unsure, match_country
from governance.deadlines import deadlines_for
from governance.individual_data import find_individual_data
from governance.partnership_file import load_partnership_file
from governance.partnership_schema import PartnershipSpec
from governance.report_figures import UnitResult, compare, compile_units, merge_figures
from governance.report_form import (
    FormState,
    form_context,
    form_steps,
    handle_choice,
    handle_text,
    is_complete,
    planned_hours,
    reporting_units,
    start_state,
)
from governance.report_periods import (
    annual_year_to_compile,
    half_year_containing,
    period_from_key,
    period_to_report,
    previous_half_year,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def spec_001() -> PartnershipSpec:
    return load_partnership_file(EXAMPLES / "sof-2025-144.toml")


@pytest.fixture(scope="module")
def spec_004() -> PartnershipSpec:
    return load_partnership_file(EXAMPLES / "sof-2023-202.toml")


# --- periods ------------------------------------------------------------------------------


def test_half_years_of_001_and_their_deadline_keys(spec_001: PartnershipSpec) -> None:
    winter = half_year_containing(spec_001, date(2026, 1, 15))
    assert (winter.start, winter.end) == (date(2025, 11, 1), date(2026, 4, 30))
    assert winter.key == "activity_report:2025-11..2026-04"
    assert (winter.committee_month, winter.committee_year) == (8, 2026)
    summer = previous_half_year(spec_001, winter)
    assert (summer.start, summer.end) == (date(2025, 5, 1), date(2025, 10, 31))
    assert (summer.committee_month, summer.committee_year) == (1, 2026)
    # The keys are the deadline engine's, so a compiled report meets its deadline.
    keys = {d.key for d in deadlines_for(spec_001, today=date(2025, 6, 1))}
    assert winter.key in keys and summer.key in keys
    assert period_from_key(spec_001, winter.key) == winter
    assert period_from_key(spec_001, "activity_report:2025-12..2026-05") is None


def test_period_to_report_is_the_last_ended_half_year_inside_the_agreement(
    spec_001: PartnershipSpec,
) -> None:
    start, end = date(2025, 5, 1), date(2026, 4, 30)
    # In the middle of the agreement, May–October 2025 has ended.
    chosen = period_to_report(
        spec_001, date(2025, 11, 10), compiled=set(), agreement_start=start, agreement_end=end
    )
    assert chosen is not None and chosen.key == "activity_report:2025-05..2025-10"
    # Once compiled, the current one.
    chosen = period_to_report(
        spec_001,
        date(2025, 11, 10),
        compiled={"activity_report:2025-05..2025-10"},
        agreement_start=start,
        agreement_end=end,
    )
    assert chosen is not None and chosen.key == "activity_report:2025-11..2026-04"
    # Today (2026-12-03) with the agreement ended 2026-04-30: the half-year that ended inside it.
    chosen = period_to_report(
        spec_001, date(2026, 12, 3), compiled=set(), agreement_start=start, agreement_end=end
    )
    assert chosen is not None and chosen.key == "activity_report:2025-11..2026-04"
    assert (
        period_to_report(
            spec_001,
            date(2026, 12, 3),
            compiled={"activity_report:2025-11..2026-04"},
            agreement_start=start,
            agreement_end=end,
        )
        is None
    )


def test_004_half_years_and_annual_year(spec_004: PartnershipSpec) -> None:
    period = half_year_containing(spec_004, date(2025, 9, 1))
    assert (period.start, period.end) == (date(2025, 7, 1), date(2025, 12, 31))
    year = annual_year_to_compile(
        spec_004,
        date(2026, 2, 1),
        compiled=set(),
        agreement_start=date(2023, 7, 1),
        agreement_end=date(2026, 6, 30),
    )
    assert year is not None and year.key == "annual_compilation:2025"
    assert [(h.start, h.end) for h in year.halves] == [
        (date(2025, 1, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 12, 31)),
    ]


# --- who reports --------------------------------------------------------------------------


def test_units_are_the_nonprofit_activities(
    spec_001: PartnershipSpec, spec_004: PartnershipSpec
) -> None:
    units = reporting_units(spec_001)
    assert [(u.party_name, u.name) for u in units] == [
        ("Convictus", "Mobil uppsökande verksamhet"),
        ("Frälsningsarmén", "Frälsningsarmén"),
        ("Ny Gemenskap", "Ny Gemenskap"),
        ("Stockholms Stadsmission", "Mötesplats Vårberg"),
        ("Stockholms Stadsmission", "Mötesplats Hässelby"),
    ]
    assert [u.name for u in reporting_units(spec_004)] == ["Öppen verksamhet"]


def test_planned_hours_from_the_annex(spec_001: PartnershipSpec) -> None:
    convictus, _fa, _ng, varberg, _h = reporting_units(spec_001)
    # November 2025–April 2026 has 129 weekdays; Convictus 08–16 = 8 h each.
    assert planned_hours(convictus, date(2025, 11, 1), date(2026, 4, 30)) == 129 * 8
    # Vårberg 09–13 on four of five weekdays.
    assert planned_hours(varberg, date(2025, 11, 1), date(2026, 4, 30)) == round(129 * 4 * 4 / 5)
    assert planned_hours(_fa, date(2025, 11, 1), date(2026, 4, 30)) is None


# --- countries and individual data --------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Rumänien", "RO"),
        ("rumanien", "RO"),
        ("Romania", "RO"),
        ("Bulgarien", "BG"),
        ("Moldova", "MD"),
    ],
)
def test_exact_country_names(typed: str, code: str) -> None:
    assert match_country(typed) == Exact(code)


def test_fuzzy_countries() -> None:
    likely = match_country("Rumäien")
    assert isinstance(likely, Likely) and likely.code == "RO"
    unsure = match_country("Kongo")
    assert isinstance(unsure, Unsure) and {"CD", "CG"} <= set(unsure.codes)
    assert isinstance(match_country("Gondor"), Unknown)
    assert isinstance(match_country("Stockholm"), Unknown)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Maria, 34 år, kom varje dag", "name_and_age"),
        ("Ion (52) sov här", "name_and_age"),
        ("ring 070-123 45 67", "phone"),
        ("mejla maria@example.se", "email"),
        ("född 1987-03-12", "birth_date"),
        ("Vi hade 120 besök från Rumänien", None),
        ("Kvinnor 40 år och äldre ökade", None),
        ("Öppet 09-13 på vardagar", None),
    ],
)
def test_individual_data(text: str, kind: str | None) -> None:
    assert find_individual_data(text) == kind


# --- the form -----------------------------------------------------------------------------


def _fill(spec: PartnershipSpec, inputs: list[str]) -> FormState:
    unit = reporting_units(spec)[0]
    ctx = form_context(spec, unit, date(2025, 11, 1), date(2026, 4, 30))
    state = start_state(ctx)
    for item in inputs:
        outcome = (
            handle_choice(ctx, state, item[1:])
            if item.startswith("!")
            else handle_text(ctx, state, item)
        )
        assert outcome.problem is None, (item, outcome.problem)
        state = outcome.state
    return state


def test_steps_follow_the_file(spec_001: PartnershipSpec, spec_004: PartnershipSpec) -> None:
    assert form_steps(spec_001) == (
        "total",
        "gender",
        "countries",
        "age",
        "night",
        "hours",
        "complaints",
        "themes",
        "needs",
    )
    assert form_steps(spec_004) == ("total", "gender", "complaints", "themes", "needs")


def test_a_whole_form_and_its_refusals(spec_001: PartnershipSpec) -> None:
    unit = reporting_units(spec_001)[0]
    ctx = form_context(spec_001, unit, date(2025, 11, 1), date(2026, 4, 30))
    state = start_state(ctx)
    refused = handle_text(ctx, state, "-5")
    assert refused.problem is not None and "negative" in refused.problem.message
    assert refused.state == state
    state = handle_text(ctx, state, "1 200").state
    assert state.step == "gender" and state.figures["total"] == 1200
    mismatch = handle_text(ctx, state, "500 600 50")
    assert mismatch.problem is not None and mismatch.problem.params["sum"] == 1150
    state = handle_text(ctx, state, "500 650 50").state
    assert state.step == "countries"
    unknown = handle_text(ctx, state, "Rumänien 300\nGondor 4")
    assert unknown.problem is not None and unknown.problem.params["name"] == "Gondor"
    assert "countries_draft" not in unknown.state.figures
    asked = handle_text(ctx, state, "Rumänien 600\nKongo 3").state
    assert asked.pending is not None and asked.pending["kind"] == "country"
    state = handle_choice(ctx, asked, "c:CD").state
    assert state.figures["countries_draft"] == {"RO": 600, "CD": 3}
    state = handle_text(ctx, state, "Bulgarein: 200").state  # a typo taken
    too_many = handle_text(ctx, state, "Polen 500")
    assert too_many.problem is not None and too_many.problem.params["given"] == 1303
    done = handle_choice(ctx, state, "done")
    assert done.state.figures["countries"] == {"RO": 600, "CD": 3, "BG": 200, UNKNOWN_CODE: 397}
    assert done.notes[0].params == {"count": 397}
    state = done.state
    assert state.step == "age"
    assert handle_text(ctx, state, "0 100 500 400 100").problem is not None  # five numbers
    state = handle_text(ctx, state, "0 100 500 400 100 100").state
    bad_night = handle_text(ctx, state, "100 200 3")
    assert bad_night.problem is not None
    state = handle_choice(ctx, state, "none").state
    assert state.step == "hours" and state.figures["night"] is None
    state = handle_text(ctx, state, "1000").state
    assert state.figures["hours"] == {"planned": 129 * 8, "held": 1000}
    state = handle_text(ctx, state, "3").state
    assert state.step == "themes"
    state = handle_choice(ctx, state, "t:food").state
    state = handle_text(ctx, state, "2").state
    short = handle_choice(ctx, state, "done")
    assert short.problem is not None
    state = handle_choice(ctx, handle_choice(ctx, state, "t:other").state, "x").state
    state = handle_text(ctx, handle_choice(ctx, state, "t:other").state, "1").state
    state = handle_choice(ctx, state, "done").state
    assert state.step == "needs"
    pnr = handle_text(ctx, state, "Besökare 19850612-1238 fick hjälp")
    assert pnr.problem is not None
    state = handle_text(ctx, state, "Behoven möttes väl under vintern.").state
    assert state.step == "summary" and is_complete(ctx, state.figures)
    # A correction of the total sends the form to the first figures that no longer add up.
    state = handle_choice(ctx, state, "edit:total").state
    state = handle_text(ctx, state, "1300").state
    assert state.step == "gender" and state.editing
    state = handle_text(ctx, state, "550 700 50").state
    assert state.step == "age"
    state = handle_text(ctx, state, "0 100 600 400 100 100").state
    assert state.step == "summary"
    assert state.figures["countries"][UNKNOWN_CODE] == 397  # unchanged: not above the total


def test_004_form(spec_004: PartnershipSpec) -> None:
    state = _fill(spec_004, ["80", "20 58 2", "0", "!skip"])
    assert state.step == "summary"
    assert state.figures == {
        "total": 80,
        "gender": {"women": 20, "men": 58, "other": 2},
        "complaints": 0,
        "themes": {},
        "needs": "",
    }


def test_stale_buttons_are_refused(spec_004: PartnershipSpec) -> None:
    unit = reporting_units(spec_004)[0]
    ctx = form_context(spec_004, unit, date(2025, 7, 1), date(2025, 12, 31))
    state = start_state(ctx)
    for choice in ("done", "c:RO", "t:food", "none", "skip", "edit:total", "zzz"):
        assert handle_choice(ctx, state, choice).problem is not None


# --- figures ------------------------------------------------------------------------------


def _unit(name: str, party: str, figures: dict | None) -> UnitResult:  # type: ignore[type-arg]
    return UnitResult(name, party, party, name, figures)


def test_compilation_totals_top_ten_and_comparison() -> None:
    codes = ["RO", "BG", "PL", "HU", "SK", "LT", "LV", "EE", "CZ", "MD", "UA", "RS"]
    a = {
        "total": 1100,
        "gender": {"women": 440, "men": 640, "other": 20},
        "countries": {c: 100 - i * 5 for i, c in enumerate(codes)} | {UNKNOWN_CODE: 230},
        "complaints": 2,
        "themes": {"food": 2},
        "night": None,
        "hours": {"planned": 500, "held": 480},
    }
    b = {
        "total": 100,
        "gender": {"women": 50, "men": 50, "other": 0},
        "countries": {"RS": 60, UNKNOWN_CODE: 40},
        "complaints": 1,
        "themes": {"treatment": 1},
        "night": {"offered": 100, "used": 90, "turned_away": 5},
        "hours": {"planned": 300, "held": 300},
    }
    compiled = compile_units(
        [_unit("A", "P1", a), _unit("B", "P2", b), _unit("C", "P3", None)], top=10
    )
    assert compiled.total == 1200
    assert compiled.gender == {"women": 490, "men": 690, "other": 20}
    top = compiled.top_countries()
    # Serbia is 12th in A (45) but 60 more in B make it first over both.
    assert top == [
        ("RS", 105), ("RO", 100), ("BG", 95), ("PL", 90), ("HU", 85),
        ("SK", 80), ("LT", 75), ("LV", 70), ("EE", 65), ("CZ", 60),
    ]  # fmt: skip
    assert compiled.other_countries() == 55 + 50  # Moldavien, Ukraina
    assert compiled.origin_not_stated() == 270
    assert sum(n for _, n in top) + compiled.other_countries() + 270 == 1200
    assert [u.name for u in compiled.missing] == ["C"]
    assert compiled.night == {"offered": 100, "used": 90, "turned_away": 5}
    assert compiled.hours == {"planned": 800, "held": 780}
    assert compiled.themes == {"treatment": 1, "food": 2}
    rows = {r.label: r for r in compare(compiled, None)}
    assert rows["total"].previous is None and rows["total"].percent is None
    previous = compile_units([_unit("A", "P1", {**a, "total": 960})])
    rows = {r.label: r for r in compare(compiled, previous)}
    assert rows["total"].difference == 240 and rows["total"].percent == pytest.approx(25.0)
    # Stored and read back, the same.
    from governance.report_figures import Compilation

    assert Compilation.from_json(compiled.to_json()) == compiled


def test_top_order_with_a_late_leader() -> None:
    compiled = compile_units(
        [
            _unit("A", "P", {"total": 30, "countries": {"RO": 10, "BG": 20}}),
            _unit("B", "P", {"total": 25, "countries": {"RO": 15, "PL": 10}}),
        ],
        top=2,
    )
    assert compiled.top_countries() == [("RO", 25), ("BG", 20)]
    assert compiled.other_countries() == 10


def test_annual_merge() -> None:
    merged = merge_figures(
        [
            (
                "jan–jun",
                {
                    "total": 10,
                    "gender": {"women": 4, "men": 6, "other": 0},
                    "complaints": 1,
                    "themes": {"food": 1},
                    "needs": "Bra",
                },
            ),
            (
                "jul–dec",
                {
                    "total": 20,
                    "gender": {"women": 5, "men": 15, "other": 0},
                    "complaints": 0,
                    "themes": {},
                    "needs": "",
                },
            ),
        ]
    )
    assert merged == {
        "total": 30,
        "gender": {"women": 9, "men": 21, "other": 0},
        "complaints": 1,
        "themes": {"food": 1},
        "needs": "jan–jun: Bra",
    }
    assert merge_figures([("x", None)]) is None
