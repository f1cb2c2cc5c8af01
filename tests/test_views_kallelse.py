"""Views of the kallelse, its draft, the RSVP count, the invitation and /moten: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from governance import agenda as rules
from i18n import language
from services.kallelse import Kallelse, MeetingLine
from services.meetings import RsvpSummary
from storage.models import AgendaItem, RsvpAnswer
from tests import viewdata as v
from views import kallelse as view

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _items() -> list[AgendaItem]:
    opening = AgendaItem(id=1, body_id=10, meeting_id=5, kind="standard", title="",
                         standard_key=rules.StandardKey.OPENING, created_at=v.NOW)  # fmt: skip
    followup = AgendaItem(id=2, body_id=10, meeting_id=5, kind="standard", title="",
                          standard_key=rules.StandardKey.FOLLOWUP, created_at=v.NOW)  # fmt: skip
    raised = AgendaItem(id=3, body_id=10, meeting_id=5, kind="member", title="Budget <2027>",
                        added_by_person_id=2, created_at=v.NOW)  # fmt: skip
    dropped = AgendaItem(id=4, body_id=10, meeting_id=5, kind="member", title="Struken",
                         dropped=True, created_at=v.NOW)  # fmt: skip
    return [opening, followup, raised, dropped]


def _kallelse(**kw: object) -> Kallelse:
    values: dict[str, object] = dict(
        partnership=v.partnership(),
        body=v.body(),
        meeting=v.meeting(),
        items=_items(),
        raisers={2: v.person(2, "Bo", None)},
        pending_minutes=["SG 2026:2"],
        open_items=[(v.action_item(), v.person())],
        rsvp=RsvpSummary({RsvpAnswer.YES: [v.person()]}, [v.person(3, "Cilla", None)]),
    )
    return Kallelse(**(values | kw))  # type: ignore[arg-type]


def test_kallelse_in_one_message_with_agenda_details_and_the_count() -> None:
    with language("sv"):
        before, panel = view.kallelse_parts(_kallelse())
    assert before == []
    assert panel.startswith("<b>Kallelse</b>: Styrgruppen, möte 3/2026")
    assert "torsdag 10 december 2026 kl. 14.00–16.00" in panel
    assert "3. Budget &lt;2027&gt; (anmäld av Bo)" in panel
    assert "Struken" not in panel
    assert "Anna Berg, senast 2026-12-10: Skicka statistiken" in panel
    assert "Kommer (1): Anna Berg" in panel and "Inte svarat än: 1\nSvara med knapparna." in panel


def test_a_long_agenda_goes_before_the_panel_and_every_message_fits() -> None:
    many = [
        AgendaItem(id=i, body_id=10, meeting_id=5, kind="member", title="ä" * 900, created_at=v.NOW)
        for i in range(10, 20)
    ]
    with language("en"):
        before, panel = view.kallelse_parts(_kallelse(items=many))
    assert len(before) >= 2
    assert "The agenda is in the messages above." in panel and "ä" * 900 not in panel
    assert all(len(chunk) <= 4096 for chunk in [*before, panel])


def test_cancelled_kallelse_has_no_count_and_no_buttons() -> None:
    meeting = v.meeting(status="cancelled")
    with language("en"):
        _before, panel = view.kallelse_parts(_kallelse(meeting=meeting))
    assert panel.startswith("<b>CANCELLED</b>") and "Answers" not in panel
    assert view.panel_keyboard(meeting) is None
    keyboard = view.panel_keyboard(v.meeting())
    assert keyboard is not None
    assert [b.callback_data for b in keyboard.inline_keyboard[0]] == ["rv:5:y", "rv:5:n", "rv:5:m"]


def test_draft_selecting_an_item_offers_moves_and_the_overview_offers_publish() -> None:
    draft = _kallelse(meeting=v.meeting(status="draft", number=None, year=None), rsvp=None)
    with language("en"):
        text, overview = view.draft(draft)
        _text, selected = view.draft(draft, selected=3)
    assert text.startswith("<b>Draft kallelse</b>: Styrgruppen, new meeting")
    assert "<s>4. Struken</s> (dropped)" in text
    numbers = [b.callback_data for b in overview.inline_keyboard[0]]
    assert "ma:5:1:s" not in numbers  # the opening always stays first
    assert overview.inline_keyboard[-1][1].callback_data == "mp:5"
    moves = [row[0] for row in selected.inline_keyboard[:2]]
    assert [b.callback_data for b in moves] == ["ma:5:3:u", "ma:5:3:d"]
    # The buttons say what they move.
    assert moves[0].text.startswith("▲ 3 ") and moves[1].text.startswith("▼ 3 ")


def test_invitation_is_published_with_the_agenda() -> None:
    with language("en"):
        data, name = view.ics(_kallelse(), now=v.NOW)
    assert name == "sg-2026-12-10-1400.ics"
    assert b"METHOD:PUBLISH" in data and b"Opening of the meeting" in data
    assert b"ORGANIZER" not in data


def test_invitation_is_a_request_from_the_organizer_the_file_names() -> None:
    partnership = v.partnership()
    partnership.spec = {
        "calendar": {"organizer_email": "registrator@example.se", "organizer_name": "Registrator"}
    }
    with language("en"):
        data, _name = view.ics(_kallelse(partnership=partnership), now=v.NOW)
    cal = Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(event["ORGANIZER"]) == "mailto:registrator@example.se"
    assert event["ORGANIZER"].params["CN"] == "Registrator"


def test_which_time_asks_with_one_button_per_reading() -> None:
    readings = [datetime(2027, 3, 4, 13, tzinfo=UTC), datetime(2027, 4, 3, 12, tzinfo=UTC)]
    with language("en"):
        text, keyboard = view.which_time(readings, STOCKHOLM, "mf:5")
    assert text == "Which time did you mean?"
    assert [row[0].text for row in keyboard.inline_keyboard] == [
        "2027-03-04 14:00 CET",
        "2027-04-03 14:00 CEST",
    ]
    assert keyboard.inline_keyboard[0][0].callback_data == f"mf:5:{int(readings[0].timestamp())}"


def test_meeting_list_upcoming_and_past() -> None:
    summary = RsvpSummary({RsvpAnswer.YES: [v.person()], RsvpAnswer.NO: []}, [])
    upcoming = [MeetingLine(v.meeting(), summary), MeetingLine(v.meeting(6, status="draft"), None)]
    with language("en"):
        text = view.meeting_list(v.body(), STOCKHOLM, upcoming, [])
    assert (
        "• meeting 3/2026 · Thursday 10 December 2026 at 14:00–16:00 (CET) · Stadshuset · Coming 1, Not coming 0, Maybe 0"
        in text
    )
    assert "draft, not yet published" in text
    assert text.endswith("No meetings yet.")


def test_previous_minutes_in_the_kallelse_and_a_held_meeting_in_the_list() -> None:
    from datetime import UTC, date, datetime

    from services.justering import ProtokollState

    def state(approved: bool, overdue: bool = False) -> ProtokollState:
        return ProtokollState(
            meeting=v.meeting(),
            label="SG möte 2/2026",
            held_on=date(2026, 11, 12),
            approved_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC) if approved else None,
            content_hash="a1b2c3d4e5f6" if approved else None,
            due_on=date(2026, 11, 26),
            overdue=overdue,
        )

    with language("sv"):
        assert view.previous_minutes(None) == "Det finns inget föregående protokoll."
        assert view.previous_minutes(state(True)) == (
            "Protokoll SG möte 2/2026 från den 12 november: justerat den 20 november (a1b2c3d4)."
        )
        assert view.previous_minutes(state(False)) == (
            "Protokoll SG möte 2/2026 från den 12 november: ännu inte justerat."
        )
        held = [MeetingLine(v.meeting(), None, state(False, overdue=True))]
        text = view.meeting_list(v.body(), STOCKHOLM, [], held)
    assert "möte 3/2026" in text and "⚠ protokollet är inte justerat, senast 26 november" in text
