"""/tidsfrister for a chat linked mid-term: which deadlines from before the link stay listed."""

from __future__ import annotations

from datetime import date

from governance.deadlines import Deadline
from services.deadline_list import button_token, split_before_link

LINKED = date(2026, 12, 3)


def d(kind: str, key: str, due: date) -> Deadline:
    return Deadline(kind=kind, key=key, due=due)  # type: ignore[arg-type]


def test_latest_of_each_kind_before_the_link_stays_the_rest_is_older() -> None:
    reports = [
        d("activity_report", f"activity_report:{y}", date(y, 7, 30)) for y in (2024, 2025, 2026)
    ]
    finance = [
        d("financial_report", f"financial_report:{p}:2026", date(2026, 8, 29)) for p in "abc"
    ]
    upcoming = d("activity_report", "activity_report:2027", date(2027, 1, 30))
    today_due = d("cadence", "cadence:styrgrupp:2026-12-03", LINKED)
    listed, marked, older = split_before_link([*reports, *finance, upcoming, today_due], LINKED)
    assert marked == {"activity_report:2026", "financial_report:c:2026"}
    assert [x.key for x in listed] == [
        "activity_report:2026",
        "financial_report:c:2026",
        "activity_report:2027",
        "cadence:styrgrupp:2026-12-03",
    ]
    assert sorted(x.key for x in older) == [
        "activity_report:2024",
        "activity_report:2025",
        "financial_report:a:2026",
        "financial_report:b:2026",
    ]


def test_never_linked_lists_everything() -> None:
    items = [d("activity_report", "activity_report:2024", date(2024, 7, 30))]
    assert split_before_link(items, None) == (items, frozenset(), [])


def test_button_token_is_short_and_stable() -> None:
    token = button_token("financial_report:stockholms-stadsmission:2026")
    assert len(token) == 12 and token == button_token(
        "financial_report:stockholms-stadsmission:2026"
    )
    assert len(f"tfk:oa:{token}".encode()) <= 64
