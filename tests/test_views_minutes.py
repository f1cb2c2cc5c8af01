"""Views of the live meeting and the justering: pure functions, no Telegram, no database."""

from __future__ import annotations

from governance import agenda as rules
from i18n import language
from services.minutes import Position
from services.sitting import (
    AttendanceSheet,
    CurrentItem,
    JusterareChoice,
    PreviousMinutes,
)
from storage.models import AgendaItem, Attendance, ProtokollRecord
from tests import viewdata as v
from views import justering as justering_view
from views import minutes as view


def _row(pid: int, present: bool) -> Attendance:
    return Attendance(meeting_id=5, person_id=pid, present=present, updated_at=v.NOW)


def test_attendance_panel_marks_and_counts_everyone_with_a_button_each() -> None:
    anna, bo = v.person(1, "Anna"), v.person(2, "<Bo>", None)
    sheet = AttendanceSheet(5, [(_row(1, True), anna, v.party()), (_row(2, False), bo, None)])
    with language("en"):
        text, keyboard = view.attendance_panel(sheet)
    assert "✓ Anna Berg – Convictus" in text and "✗ &lt;Bo&gt; – " in text
    assert text.endswith("Present: 1 of 2")
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert data == ["na:5:1", "na:5:2"]


def test_justerare_panel_marks_the_chosen_and_says_who() -> None:
    anna, bo = v.person(1, "Anna"), v.person(2, "Bo", None)
    with language("en"):
        text, keyboard = view.justerare_panel(JusterareChoice(5, [bo], [2], [anna, bo]))
        empty_text, none = view.justerare_panel(JusterareChoice(5, [], [], []))
    assert text == "Justerare: Bo"
    assert keyboard is not None
    labels = [b.text for row in keyboard.inline_keyboard for b in row]
    assert labels == ["Anna Berg", "✓ Bo"]
    assert none is None and empty_text == "Choose the justerare (press a name):"


def _item(key: str | None, title: str = "") -> AgendaItem:
    return AgendaItem(id=3, body_id=10, meeting_id=5, title=title, kind="standard", standard_key=key,
                      position=1, created_at=v.NOW)  # fmt: skip


def test_current_item_carries_follow_up_and_previous_minutes() -> None:
    followup = Position(v.meeting(), _item(rules.StandardKey.FOLLOWUP), 5, False)
    items = [(v.action_item(text="Ring <Kalle>"), v.person())]
    previous = Position(v.meeting(), _item(rules.StandardKey.PREVIOUS_MINUTES), 4, False)
    with language("en"):
        open_items = view.current_item(CurrentItem(followup, open_items=items))
        none_open = view.current_item(CurrentItem(followup, open_items=[]))
        approved = view.current_item(
            CurrentItem(previous, previous=PreviousMinutes("SG 2026:2", True, "abc", False))
        )
        first = view.current_item(CurrentItem(previous, no_previous=True))
        empty = view.current_item(CurrentItem(Position(v.meeting(), None, 0, True)))
    assert open_items.startswith("<b>§ 5 Follow-up of open action items</b>")
    assert "Ring &lt;Kalle&gt; (due 2026-12-10)" in open_items
    assert none_open.endswith("No open action items.")
    assert "<code>abc</code>" in approved and "WARNING" in approved
    assert first.endswith("No earlier minutes.")
    assert empty == "The agenda is empty; lines are recorded without an item."


def test_names_for_the_minutes_follow_the_partnership_language() -> None:
    names = view.names_for(v.partnership(language="en"))
    with language("sv"):
        assert names.item_title(_item(rules.StandardKey.OPENING)) == "Opening of the meeting"
    assert names.unfiled == "Other recorded lines"
    assert view.doc_language(v.partnership(language="de")) == "sv"


def test_file_stem_and_justering_buttons() -> None:
    record = ProtokollRecord(id=9, meeting_id=5, version=2, status="draft", content={},
                             content_hash="x", created_at=v.NOW)  # fmt: skip

    class P:
        meeting_number = "SG 2026:3"

    p = P()
    assert justering_view.file_stem(record, p) == "protokoll-SG-2026-3-utkast-v2"  # type: ignore[arg-type]
    with language("en"):
        text, keyboard = justering_view.draft_for_justering(record, p)  # type: ignore[arg-type]
    assert "Draft version 2 of the minutes SG 2026:3" in text
    assert [b.callback_data for b in keyboard.inline_keyboard[0]] == ["js:9:a", "js:9:c"]
