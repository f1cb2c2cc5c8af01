"""Views of the decision register, action items and the minute-taker: pure functions."""

from __future__ import annotations

from i18n import language
from services.register import Entry, Revisions, Search
from tests import viewdata as v
from views import decisions as view


def test_register_line_has_number_date_meeting_paragraph_kind_party_and_status() -> None:
    decision = v.decision(
        7, "Öppettiderna <b>utökas</b>.", kind="revision_significant",
        status="pending_approval", approval_by="forvaltningschef",
    )  # fmt: skip
    entry = Entry(decision, v.body(), v.meeting(), 4, v.party(name="Convictus"))
    with language("en"):
        line = view.decision_line(entry)
    head, text = line.split("\n")
    assert head.startswith("<b>SG 2026:7</b> · ")
    assert "meeting 3/2026" in head and "§ 4" in head and "significant revision" in head
    assert "Convictus" in head and "<i>waiting for approval by" in head
    assert text == "Öppettiderna &lt;b&gt;utökas&lt;/b&gt;."


def test_empty_register_explains_the_tags() -> None:
    with language("en"):
        text = view.register(Search(v.body(), "kaffe", []))
    assert "“kaffe”" in text and "[budgetram]" in text


def test_register_newest_first_as_given() -> None:
    entries = [Entry(v.decision(n), v.body(), None, None, None) for n in (3, 2, 1)]
    with language("en"):
        text = view.register(Search(v.body(), "", entries))
    assert text.index("SG 2026:3") < text.index("SG 2026:1")


def test_revisions_grouped_by_party_with_the_diarienummer() -> None:
    entry = Entry(v.decision(2, kind="revision_minor"), v.body(), None, None, None)
    found = Revisions(v.partnership(), [(v.party(name="Convictus"), [entry]), (None, [entry])])
    with language("en"):
        text = view.revisions(found)
    assert "<b>Convictus</b> (802000-0000) · SOF 2025/144" in text
    assert "<b>All parties</b>" in text
    with language("en"):
        empty = view.revisions(Revisions(v.partnership(), []))
    assert "No revision" in empty


def test_open_actions_one_done_button_each_within_telegram_limits() -> None:
    owner = v.person()
    items = [(v.action_item(i, "å" * 100), owner) for i in range(1, 46)]
    with language("sv"):
        text, keyboard = view.open_actions(v.body(), items)
    assert keyboard is not None
    assert len(keyboard.inline_keyboard) == view.MAX_BUTTONS
    assert keyboard.inline_keyboard[0][0].callback_data == "ad:1"
    assert "45." in text
    with language("en"):
        none, no_keys = view.open_actions(v.body(), [])
    assert no_keys is None and "No open action items" in none


def test_minute_taker_by_duty() -> None:
    with language("en"):
        rotating = view.minute_taker(v.body(), "rotating_party", None, v.party(name="Street Minds"))
        nobody = view.minute_taker(v.body(), "chair_led", None, None)
        shared = view.minute_taker(v.body(), "chair_led_shared", v.person(), None)
    assert rotating.startswith("Street Minds writes")
    assert "no chair is recorded" in nobody
    assert "shares the writing out" in shared and "tg://user?id=1001" in shared
