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
        Deadline("financial_report", f"financial_report:{p}:{y}", date(y, 8, 29), party_key=p)
        for p in "ab"
        for y in (2025, 2026)
    ]
    upcoming = d("activity_report", "activity_report:2027", date(2027, 1, 30))
    today_due = d("cadence", "cadence:styrgrupp:2026-12-03", LINKED)
    listed, marked, older = split_before_link([*reports, *finance, upcoming, today_due], LINKED)
    # One of each kind: each party's financial report is a kind of its own.
    assert marked == {"activity_report:2026", "financial_report:a:2026", "financial_report:b:2026"}
    assert [x.key for x in listed] == [
        "activity_report:2026",
        "financial_report:a:2026",
        "financial_report:b:2026",
        "activity_report:2027",
        "cadence:styrgrupp:2026-12-03",
    ]
    assert sorted(x.key for x in older) == [
        "activity_report:2024",
        "activity_report:2025",
        "financial_report:a:2025",
        "financial_report:b:2025",
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


def test_done_buttons_and_the_older_line() -> None:
    from i18n import language
    from services.deadline_list import Listing, Names
    from tests import viewdata as v
    from views import deadlines as view

    names = Names({"convictus": "Convictus"}, {"styrgrupp": "Styrgruppen"})
    report = Deadline("financial_report", "financial_report:convictus:2026", date(2026, 8, 29),
                      party_key="convictus",
                      params={"year_start": "2025-05-01", "year_end": "2026-04-30"})  # fmt: skip
    action = Deadline("action_item", "action_item:17", date(2026, 12, 20),
                      params={"item": "Boka lokal", "owner": "Anna"})  # fmt: skip
    old = Deadline("financial_report", "financial_report:convictus:2025", date(2025, 8, 29),
                   party_key="convictus",
                   params={"year_start": "2024-05-01", "year_end": "2025-04-30"})  # fmt: skip
    found = Listing(v.partnership(), v.body(), False, LINKED, [report, action], names,
                    linked_on=LINKED, before_link=frozenset({report.key}), older=[old])  # fmt: skip
    with language("sv"):
        text, keyboard = view.listing_message(found, "sv")
    assert (
        "Ekonomisk redovisning: Convictus (verksamhetsår maj 2025–april 2026) <i>(före koppling)</i>"
        in text
    )
    assert "1 äldre tidsfrist från före kopplingen (3 december 2026) visas inte." in text
    assert keyboard is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in keyboard.inline_keyboard]
    # The action item is marked done in /uppgifter: no button here.
    assert rows == [
        [("✓ Klar: 29 aug Ekonomisk redovisning: Convictus", f"tfk:b:{button_token(report.key)}")],
        [("Visa äldre (1)", "tfo:b")],
    ]
