"""The agreement's life as dated facts (governance.lifecycle): periods, state, participation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from governance.deadlines import deadlines_for
from governance.lifecycle import (
    ExtensionProblem,
    FactKind,
    LifecycleFact,
    Status,
    agreement_state,
    check_extension,
    deadline_facts,
    takes_part,
)
from governance.partnership_file import load_partnership_file
from governance.partnership_schema import PartnershipSpec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = date(2026, 12, 3)


@pytest.fixture(scope="module")
def spec_001() -> PartnershipSpec:
    return load_partnership_file(EXAMPLES / "sof-2025-144.toml")


@pytest.fixture(scope="module")
def spec_004() -> PartnershipSpec:
    return load_partnership_file(EXAMPLES / "sof-2023-202.toml")


def extension(on: date, label: str = "SG 2026:4") -> LifecycleFact:
    return LifecycleFact(FactKind.EXTENSION, on, decision=label)


def test_004_extends_itself_to_its_latest_end_and_has_ended(spec_004: PartnershipSpec) -> None:
    state = agreement_state(spec_004, [], TODAY)
    assert state.status == Status.ENDED
    assert state.end == date(2026, 6, 30)
    assert [(p.start, p.end, p.basis) for p in state.periods] == [
        (date(2023, 7, 1), date(2024, 6, 30), "initial"),
        (date(2024, 7, 1), date(2024, 12, 31), "automatic"),
        (date(2025, 1, 1), date(2025, 6, 30), "automatic"),
        (date(2025, 7, 1), date(2025, 12, 31), "automatic"),
        (date(2026, 1, 1), date(2026, 6, 30), "automatic"),
    ]
    assert not state.open_for_business
    # Nothing is due any more: reminders stop.
    assert deadlines_for(spec_004, today=TODAY) == []


def test_004_in_its_last_period(spec_004: PartnershipSpec) -> None:
    state = agreement_state(spec_004, [], date(2026, 3, 1))
    assert state.status == Status.IN_FORCE
    assert state.period.start == date(2026, 1, 1) and state.period.basis == "automatic"
    assert state.next_extension_end is None and state.notice_by is None


def test_004_notice_stops_the_next_extension(spec_004: PartnershipSpec) -> None:
    notice = LifecycleFact(FactKind.NOTICE, date(2024, 12, 1), party="street-minds")
    state = agreement_state(spec_004, [notice], date(2025, 3, 1))
    # Two parties: a notice by either ends the agreement; 2024-12-31 stopped the extension
    # starting 2025-01-01 … but four months run from 2024-12-01, to 2025-04-01.
    assert state.status == Status.UNDER_NOTICE
    assert state.end == date(2025, 4, 1)


def test_001_period_ended_without_extension_waits(spec_001: PartnershipSpec) -> None:
    state = agreement_state(spec_001, [], TODAY)
    assert state.status == Status.LAPSED
    assert state.period.end == date(2026, 4, 30)
    assert state.next_extension_end == date(2027, 4, 30)
    assert state.open_for_business  # the bodies carry on while the administrator is asked


def test_001_extended_by_decision(spec_001: PartnershipSpec) -> None:
    facts = [extension(date(2027, 4, 30))]
    state = agreement_state(spec_001, facts, TODAY)
    assert state.status == Status.IN_FORCE
    assert (state.period.start, state.period.end) == (date(2026, 5, 1), date(2027, 4, 30))
    assert state.period.basis == "decision" and state.period.decision == "SG 2026:4"
    assert state.next_extension_end == date(2028, 4, 30)
    assert state.announce_by == date(2026, 10, 31)  # passed
    due = {
        d.key: d
        for d in deadlines_for(spec_001, today=TODAY, facts=deadline_facts(spec_001, facts))
    }
    assert "activity_report:2026-05..2026-10" in due
    assert "financial_report:convictus:2026" in due  # May 2025–April 2026
    assert due["renewal_announcement:2026-10-31"].is_overdue(TODAY)


def test_001_extension_rule(spec_001: PartnershipSpec) -> None:
    assert check_extension(spec_001, [], date(2027, 4, 30)) is None
    assert check_extension(spec_001, [], date(2027, 10, 31)) == (
        ExtensionProblem.NOT_NEXT_STEP,
        date(2027, 4, 30),
    )
    assert check_extension(spec_001, [], date(2026, 4, 30)) == (
        ExtensionProblem.NOT_LATER,
        date(2026, 4, 30),
    )
    two = [extension(date(2027, 4, 30)), extension(date(2028, 4, 30))]
    assert check_extension(spec_001, two, date(2029, 4, 30)) == (
        ExtensionProblem.BEYOND_LATEST,
        date(2028, 4, 30),
    )
    assert agreement_state(spec_001, two, date(2028, 5, 2)).status == Status.ENDED


def test_automatic_rule_refuses_extensions(spec_004: PartnershipSpec) -> None:
    assert check_extension(spec_004, [], date(2027, 6, 30)) == (
        ExtensionProblem.AUTOMATIC,
        date(2026, 6, 30),
    )


def test_001_recorded_end(spec_001: PartnershipSpec) -> None:
    ended = LifecycleFact(FactKind.ENDED, date(2026, 4, 30))
    state = agreement_state(spec_001, [ended], TODAY)
    assert state.status == Status.ENDED and state.end == date(2026, 4, 30)
    assert check_extension(spec_001, [ended], date(2027, 4, 30)) == (ExtensionProblem.ENDED, None)


def test_notice_by_one_of_five_parties_ends_its_participation(spec_001: PartnershipSpec) -> None:
    facts = [
        extension(date(2027, 4, 30)),
        LifecycleFact(FactKind.NOTICE, date(2026, 12, 10), party="convictus", decision="SG 2026:9"),
    ]
    on_notice = agreement_state(spec_001, facts, date(2026, 12, 10))
    assert on_notice.status == Status.IN_FORCE  # the others go on
    convictus = next(p for p in on_notice.parties if p.party == "convictus")
    assert (convictus.status, convictus.ends_on, convictus.reason) == (
        "leaving",
        date(2027, 3, 10),
        "notice",
    )
    assert takes_part(spec_001, facts, "convictus", date(2027, 3, 10))
    assert not takes_part(spec_001, facts, "convictus", date(2027, 3, 11))
    assert takes_part(spec_001, facts, "ny-gemenskap", date(2027, 3, 11))
    # Its final financial report (May 2026–April 2027) is still due; none after.
    engine = deadline_facts(spec_001, facts)
    later = {d.key for d in deadlines_for(spec_001, today=date(2027, 3, 20), facts=engine)}
    assert "financial_report:convictus:2027" in later
    assert "financial_report:ny-gemenskap:2027" in later
    facts.append(extension(date(2028, 4, 30)))
    engine = deadline_facts(spec_001, facts)
    much_later = {d.key for d in deadlines_for(spec_001, today=date(2028, 1, 20), facts=engine)}
    assert "financial_report:ny-gemenskap:2028" in much_later
    assert "financial_report:convictus:2028" not in much_later


def test_expulsion_and_new_party(spec_001: PartnershipSpec) -> None:
    facts = [
        extension(date(2027, 4, 30)),
        LifecycleFact(FactKind.EXPULSION, date(2027, 1, 31), party="ny-gemenskap"),
        LifecycleFact(FactKind.NEW_PARTY, date(2027, 2, 1), party="hela-manniskan"),
    ]
    state = agreement_state(spec_001, facts, date(2027, 1, 15))
    by_party = {p.party: p for p in state.parties}
    assert by_party["ny-gemenskap"].status == "leaving"
    assert by_party["ny-gemenskap"].reason == "expulsion"
    assert by_party["hela-manniskan"].status == "joining"
    assert not takes_part(spec_001, facts, "hela-manniskan", date(2027, 1, 31))
    assert takes_part(spec_001, facts, "hela-manniskan", date(2027, 2, 1))
    assert not takes_part(spec_001, facts, "ny-gemenskap", date(2027, 2, 1))
