"""Deadlines of the two real agreements, derived from their files and recorded facts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.calendar import add_months
from governance.deadlines import (
    Deadline,
    Facts,
    agreement_term,
    deadlines_for,
    last_notice_day,
    lead_days_for,
    notice_date_for_extension,
)
from governance.partnership_file import load_partnership_file
from governance.partnership_schema import PartnershipSpec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def spec_001() -> PartnershipSpec:
    return load_partnership_file(EXAMPLES / "sof-2025-144.toml")


@pytest.fixture(scope="module")
def spec_004() -> PartnershipSpec:
    return load_partnership_file(EXAMPLES / "sof-2023-202.toml")


def by_key(deadlines: list[Deadline]) -> dict[str, Deadline]:
    return {d.key: d for d in deadlines}


def of_kind(deadlines: list[Deadline], kind: str) -> list[Deadline]:
    return [d for d in deadlines if d.kind == kind]


# --- SOF 2025/144 (seed 001) --------------------------------------------------------------

MEETINGS_001 = Facts(
    last_meetings={"styrgrupp": date(2025, 8, 20), "samverkansgrupp": date(2025, 8, 28)}
)


def test_001_on_2025_09_01(spec_001: PartnershipSpec) -> None:
    today = date(2025, 9, 1)
    deadlines = deadlines_for(spec_001, today=today, facts=MEETINGS_001)
    keys = by_key(deadlines)

    renewal = keys["renewal_announcement:2025-10-31"]
    assert renewal.due == date(2025, 10, 31)
    assert renewal.params["term_end"] == "2026-04-30"
    assert renewal.params["extension_end"] == "2027-04-30"
    assert renewal.params["mode"] == "announce_extension"

    report = keys["activity_report:2025-05..2025-10"]
    assert report.due == date(2025, 11, 30)  # 30 days after the period (administrator's setting)
    assert report.body == "samverkansgrupp"
    assert report.params["committee_month"] == 1
    assert report.params["committee_year"] == 2026
    assert report.params["period_start"] == "2025-05-01"
    assert report.params["period_end"] == "2025-10-31"
    later = keys["activity_report:2025-11..2026-04"]
    assert (later.params["committee_month"], later.params["committee_year"]) == (8, 2026)
    # The period before the agreement started is not its duty.
    assert "activity_report:2024-11..2025-04" not in keys

    financial = of_kind(deadlines, "financial_report")
    assert {d.party_key for d in financial} == {p.key for p in spec_001.nonprofit_parties}
    assert len(financial) == 4
    assert {d.due for d in financial} == {date(2026, 6, 29)}  # 2026-04-30 + 60 days
    assert "financial_report:convictus:2026" in keys

    cadence = {d.body: d for d in of_kind(deadlines, "cadence")}
    assert cadence["styrgrupp"].due == date(2025, 10, 20)  # at most every second month
    assert cadence["samverkansgrupp"].due == date(2025, 9, 28)  # monthly
    assert cadence["styrgrupp"].key == "cadence:styrgrupp:2025-10-20"
    assert cadence["samverkansgrupp"].params["interval_months"] == 1

    assert keys["agreement_end:2026-04-30"].due == date(2026, 4, 30)
    termination = keys["termination_notice:2026-01-31"]
    assert termination.params["notice_months"] == 3

    payments = of_kind(deadlines, "payment")
    assert all(d.informational for d in payments)
    assert {d.key for d in payments} == {
        "payment:convictus:2025-11-01",
        "payment:convictus:2026-02-01",
        "payment:stockholms-stadsmission:2025-11-01",
        "payment:stockholms-stadsmission:2026-02-01",
    }

    # Sorted, unique, nothing past the horizon, nothing overdue.
    assert [d.due for d in deadlines] == sorted(d.due for d in deadlines)
    assert len(keys) == len(deadlines)
    assert all(today <= d.due <= today + timedelta(days=400) for d in deadlines)


def test_001_without_meetings_lists_both_cadence_windows(spec_001: PartnershipSpec) -> None:
    deadlines = deadlines_for(spec_001, today=date(2025, 9, 1))
    cadence = {d.body: d.due for d in of_kind(deadlines, "cadence")}
    # No meeting recorded since the start on 2025-05-01: both windows have closed.
    assert cadence == {"styrgrupp": date(2025, 7, 1), "samverkansgrupp": date(2025, 6, 1)}


def test_met_keys_disappear(spec_001: PartnershipSpec) -> None:
    met = {"renewal_announcement:2025-10-31", "financial_report:convictus:2026"}
    facts = Facts(met_keys=met, last_meetings=MEETINGS_001.last_meetings)
    keys = by_key(deadlines_for(spec_001, today=date(2025, 9, 1), facts=facts))
    assert not met & keys.keys()
    assert "financial_report:fralsningsarmen:2026" in keys


def test_overdue_stays_until_met(spec_001: PartnershipSpec) -> None:
    today = date(2025, 12, 15)
    keys = by_key(deadlines_for(spec_001, today=today, facts=MEETINGS_001))
    assert keys["activity_report:2025-05..2025-10"].is_overdue(today)
    assert keys["renewal_announcement:2025-10-31"].is_overdue(today)
    assert "payment:convictus:2025-11-01" not in keys  # informational: gone once past
    met = Facts(
        met_keys={"activity_report:2025-05..2025-10", "renewal_announcement:2025-10-31"},
        last_meetings=MEETINGS_001.last_meetings,
    )
    keys = by_key(deadlines_for(spec_001, today=today, facts=met))
    assert "activity_report:2025-05..2025-10" not in keys
    assert "renewal_announcement:2025-10-31" not in keys


def test_extensions_move_the_end(spec_001: PartnershipSpec) -> None:
    once = Facts(extensions=(date(2027, 4, 30),))
    keys = by_key(deadlines_for(spec_001, today=date(2025, 11, 15), horizon_days=800, facts=once))
    assert "agreement_end:2026-04-30" not in keys
    end = keys["agreement_end:2027-04-30"]
    assert end.params["next_term_end"] == "2028-04-30"
    assert keys["renewal_announcement:2026-10-31"].params["extension_end"] == "2028-04-30"
    assert "termination_notice:2027-01-31" in keys
    assert "activity_report:2026-11..2027-04" in keys
    assert "financial_report:convictus:2027" in keys

    # At latest_end no further extension is possible: nothing to announce.
    twice = Facts(extensions=(date(2027, 4, 30), date(2028, 4, 30)))
    deadlines = deadlines_for(spec_001, today=date(2027, 6, 1), facts=twice)
    assert of_kind(deadlines, "renewal_announcement") == []
    end = of_kind(deadlines, "agreement_end")[0]
    assert end.due == date(2028, 4, 30)
    assert end.params["next_term_end"] is None


def test_001_notice_ends_after_three_months(spec_001: PartnershipSpec) -> None:
    facts = Facts(notice_given_on=date(2025, 9, 15))
    term = agreement_term(spec_001, facts, date(2025, 9, 16))
    assert term.term_end == term.final_end == date(2025, 12, 15)
    deadlines = deadlines_for(spec_001, today=date(2025, 9, 16), facts=facts)
    assert of_kind(deadlines, "renewal_announcement") == []
    assert of_kind(deadlines, "termination_notice") == []
    assert [d.due for d in of_kind(deadlines, "agreement_end")] == [date(2025, 12, 15)]
    assert "activity_report:2025-11..2026-04" in by_key(deadlines)  # overlaps until 15 Dec


def test_renewal_reminders_use_the_files_lead_days(spec_001: PartnershipSpec) -> None:
    deadlines = by_key(deadlines_for(spec_001, today=date(2025, 9, 1), facts=MEETINGS_001))
    assert lead_days_for(spec_001, deadlines["renewal_announcement:2025-10-31"]) == (
        60,
        30,
        14,
        7,
        1,
    )
    assert lead_days_for(spec_001, deadlines["activity_report:2025-05..2025-10"]) == (30, 14, 7, 1)
    assert lead_days_for(spec_001, deadlines["cadence:styrgrupp:2025-10-20"]) == (21, 10)
    assert lead_days_for(spec_001, deadlines["payment:convictus:2025-11-01"]) == ()
    called = Facts(
        last_meetings=MEETINGS_001.last_meetings, next_meetings={"styrgrupp": date(2025, 10, 6)}
    )
    window = by_key(deadlines_for(spec_001, today=date(2025, 9, 1), facts=called))[
        "cadence:styrgrupp:2025-10-20"
    ]
    assert window.params["meeting_called"] == "2025-10-06"
    assert lead_days_for(spec_001, window) == ()


# --- SOF 2023/202 (seed 004): automatic half-year extensions ------------------------------


def test_004_on_2023_12_01_notice_by_31_december(spec_004: PartnershipSpec) -> None:
    deadlines = deadlines_for(spec_004, today=date(2023, 12, 1))
    keys = by_key(deadlines)
    notice = keys["renewal_announcement:2023-12-31"]
    assert notice.due == date(2023, 12, 31)
    assert notice.params["mode"] == "notice_against_extension"
    assert notice.params["term_end"] == "2024-06-30"
    assert notice.params["extension_end"] == "2024-12-31"
    # The four months' notice would allow until 2024-02-29, but after 31 December the
    # extension is fixed: one date, listed once.
    assert of_kind(deadlines, "termination_notice") == []
    end = keys["agreement_end:2024-06-30"]
    assert end.params["extends_automatically"] is True
    assert end.params["next_term_end"] == "2024-12-31"
    assert keys["annual_compilation:2023"].due == date(2024, 1, 31)
    assert keys["activity_report:2023-07..2023-12"].params["committee_month"] is None
    assert keys["financial_report:street-minds:2024"].due == date(2024, 8, 29)


@pytest.mark.parametrize(
    ("today", "term_end", "notice", "termination"),
    [
        (date(2023, 12, 1), date(2024, 6, 30), date(2023, 12, 31), None),
        # In the term ending 2024-12-31, four months before it comes first.
        (date(2024, 7, 1), date(2024, 12, 31), date(2024, 12, 31), date(2024, 8, 31)),
        # After 2024-12-31 the extension to 2025-12-31 is fixed: the next chance is 2025-12-31.
        (date(2025, 1, 10), date(2025, 6, 30), date(2025, 12, 31), date(2025, 8, 31)),
        # Last possible term: it ends at latest_end whatever anyone does.
        (date(2026, 1, 5), date(2026, 6, 30), None, None),
    ],
)
def test_004_terms_roll_forward(
    spec_004: PartnershipSpec,
    today: date,
    term_end: date,
    notice: date | None,
    termination: date | None,
) -> None:
    deadlines = deadlines_for(spec_004, today=today)
    assert [d.due for d in of_kind(deadlines, "agreement_end")] == [term_end]
    assert [d.due for d in of_kind(deadlines, "renewal_announcement")] == (
        [notice] if notice else []
    )
    assert [d.due for d in of_kind(deadlines, "termination_notice")] == (
        [termination] if termination else []
    )


def test_004_notice_stops_extending(spec_004: PartnershipSpec) -> None:
    facts = Facts(notice_given_on=date(2023, 12, 1))
    today = date(2023, 12, 2)
    term = agreement_term(spec_004, facts, today)
    assert term.term_end == term.final_end == date(2024, 6, 30)
    assert term.next_term_end is None and not term.automatic
    deadlines = deadlines_for(spec_004, today=today, horizon_days=2000, facts=facts)
    keys = by_key(deadlines)
    assert of_kind(deadlines, "renewal_announcement") == []
    assert of_kind(deadlines, "termination_notice") == []
    assert [d.key for d in of_kind(deadlines, "agreement_end")] == ["agreement_end:2024-06-30"]
    assert keys["agreement_end:2024-06-30"].params["notice_given_on"] == "2023-12-01"
    assert "activity_report:2024-01..2024-06" in keys
    assert "activity_report:2024-07..2024-12" not in keys
    # Without the notice the same horizon reaches the reports up to 2026-06-30.
    free = by_key(deadlines_for(spec_004, today=today, horizon_days=2000))
    assert "activity_report:2026-01..2026-06" in free


@pytest.mark.parametrize(
    ("given_on", "final_end"),
    [
        (date(2023, 12, 31), date(2024, 6, 30)),  # in time for the first extension
        (date(2024, 1, 15), date(2024, 12, 31)),  # too late for it; stops the next
        (date(2024, 12, 31), date(2025, 4, 30)),  # stops the next, but four months must run
        (date(2024, 9, 15), date(2025, 1, 15)),  # after 2024-08-31: past the term end
        (date(2026, 1, 20), date(2026, 6, 30)),  # a notice does not shorten a term
        (date(2026, 5, 1), date(2026, 6, 30)),  # never past latest_end
    ],
)
def test_004_notice_readings(spec_004: PartnershipSpec, given_on: date, final_end: date) -> None:
    term = agreement_term(spec_004, Facts(notice_given_on=given_on), given_on)
    assert term.final_end == final_end


def test_004_cadence_override_and_documentation_rotation(spec_004: PartnershipSpec) -> None:
    facts = Facts(
        last_meetings={"styrgrupp": date(2024, 1, 31), "samverkansgrupp": date(2024, 2, 10)},
        cadence_overrides={"styrgrupp": 3},
        next_meetings={"samverkansgrupp": date(2024, 3, 5)},
    )
    deadlines = deadlines_for(spec_004, today=date(2024, 2, 15), facts=facts)
    cadence = {d.body: d for d in of_kind(deadlines, "cadence")}
    assert cadence["styrgrupp"].due == date(2024, 4, 30)  # decided: every third month
    assert cadence["styrgrupp"].params["interval_months"] == 3
    assert cadence["samverkansgrupp"].due == date(2024, 3, 10)
    assert cadence["samverkansgrupp"].params["needs_reminder"] is False
    rotation = of_kind(deadlines, "documentation_rotation")
    # Only the samverkansgrupp rotates (004); the next holder documents the called meeting.
    assert [(d.body, d.due, d.informational) for d in rotation] == [
        ("samverkansgrupp", date(2024, 3, 5), True)
    ]


# --- facts passed in ----------------------------------------------------------------------


def test_recorded_facts(spec_001: PartnershipSpec) -> None:
    today = date(2025, 9, 1)
    facts = Facts(
        chair_terms=(("styrgrupp", date(2026, 5, 31)), ("samverkansgrupp", date(2025, 8, 31))),
        action_items=(
            ("17", date(2025, 9, 10), "samverkansgrupp", "Anna"),
            ("action_item:18", date(2025, 8, 1), None, "Ola"),
            ("19", date(2027, 1, 1), "styrgrupp", "Eva"),
        ),
        pending_approvals=(("SG 2025:7", date(2025, 6, 1), "styrgrupp"),),
        documentation_rotations=(("styrgrupp", date(2025, 9, 20)),),
    )
    keys = by_key(deadlines_for(spec_001, today=today, facts=facts))
    assert keys["chair_term:styrgrupp:2026-05-31"].body == "styrgrupp"
    assert keys["chair_term:samverkansgrupp:2025-08-31"].is_overdue(today)  # no new chair yet
    assert keys["action_item:17"].params == {"item": "17", "owner": "Anna"}
    assert keys["action_item:18"].is_overdue(today)
    assert "action_item:19" not in keys  # beyond the horizon
    assert keys["pending_approval:SG 2025:7"].params["since"] == "2025-06-01"
    # 001 documents chair-led: a decided rotation is not this partnership's rule.
    assert not of_kind(list(keys.values()), "documentation_rotation")
    met = Facts(action_items=facts.action_items, met_keys={"action_item:18"})
    assert "action_item:18" not in by_key(deadlines_for(spec_001, today=today, facts=met))


# --- the readings as functions ------------------------------------------------------------


def test_notice_date_for_extension(spec_004: PartnershipSpec) -> None:
    renewal = spec_004.agreement.renewal
    assert renewal is not None
    assert notice_date_for_extension(renewal, date(2024, 7, 1)) == date(2023, 12, 31)
    assert notice_date_for_extension(renewal, date(2025, 1, 1)) == date(2024, 12, 31)
    assert notice_date_for_extension(renewal, date(2025, 7, 1)) == date(2024, 12, 31)


@pytest.mark.parametrize(
    ("term_end", "months", "expected"),
    [
        (date(2026, 4, 30), 3, date(2026, 1, 31)),
        (date(2024, 6, 30), 4, date(2024, 2, 29)),
        (date(2024, 12, 31), 4, date(2024, 8, 31)),
        (date(2025, 6, 30), 4, date(2025, 2, 28)),
    ],
)
def test_last_notice_day(term_end: date, months: int, expected: date) -> None:
    assert last_notice_day(term_end, months) == expected


@given(
    term_end=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(min_value=1, max_value=24),
)
def test_last_notice_day_is_the_last(term_end: date, months: int) -> None:
    day = last_notice_day(term_end, months)
    assert add_months(day, months) <= term_end
    assert add_months(day + timedelta(days=1), months) > term_end


@settings(max_examples=60, deadline=None)
@given(
    today=st.dates(min_value=date(2023, 1, 1), max_value=date(2029, 12, 31)),
    horizon=st.integers(min_value=0, max_value=800),
    which=st.sampled_from(["001", "004"]),
    data=st.data(),
)
def test_list_invariants(
    spec_001: PartnershipSpec,
    spec_004: PartnershipSpec,
    today: date,
    horizon: int,
    which: str,
    data: st.DataObject,
) -> None:
    spec = spec_001 if which == "001" else spec_004
    deadlines = deadlines_for(spec, today=today, horizon_days=horizon)
    assert [(d.due, d.key) for d in deadlines] == sorted((d.due, d.key) for d in deadlines)
    assert len({d.key for d in deadlines}) == len(deadlines)
    for d in deadlines:
        assert d.key.startswith(f"{d.kind}:")
        assert d.due <= today + timedelta(days=horizon)
        if d.due < today:
            assert not d.informational
            assert d.kind not in {"termination_notice", "payment"}
            # Only a period ended under extension by announcement stays listed (lapsed).
            assert d.kind != "agreement_end" or spec.agreement.renewal.kind == (  # type: ignore[union-attr]
                "extension_by_agreement"
            )
    if deadlines:
        met = set(data.draw(st.lists(st.sampled_from([d.key for d in deadlines]))))
        again = deadlines_for(spec, today=today, horizon_days=horizon, facts=Facts(met_keys=met))
        assert [d for d in deadlines if d.key not in met] == again
