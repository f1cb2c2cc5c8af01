"""iCalendar invitations: parsed back with the library, checked field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from views.ics import Organizer, meeting_ics, validated

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def parse(data: bytes) -> tuple[Calendar, object]:
    cal = Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def make(**kw: object) -> bytes:
    args: dict[str, object] = dict(
        uid="abc-123@iop-bot",
        sequence=0,
        start=datetime(2026, 12, 10, 13, 0, tzinfo=UTC),
        end=datetime(2026, 12, 10, 14, 30, tzinfo=UTC),
        tz=STOCKHOLM,
        summary="Styrgrupp, meeting 1/2026",
        description="Agenda\n1. Opening; of the meeting, all",
        location="Stadshuset, rum 3",
        stamp=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )
    args.update(kw)
    return meeting_ics(**args)  # type: ignore[arg-type]


def test_published_file_has_uid_sequence_local_times_and_the_zone() -> None:
    cal, event = parse(make())
    assert str(cal["METHOD"]) == "PUBLISH" and "ORGANIZER" not in event  # type: ignore[operator]
    assert str(event["UID"]) == "abc-123@iop-bot"  # type: ignore[index]
    assert int(event["SEQUENCE"]) == 0  # type: ignore[index]
    start = event.decoded("DTSTART")  # type: ignore[attr-defined]
    assert start == datetime(2026, 12, 10, 14, 0, tzinfo=STOCKHOLM)
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"  # type: ignore[index]
    assert str(event["STATUS"]) == "CONFIRMED"  # type: ignore[index]
    assert str(event["LOCATION"]) == "Stadshuset, rum 3"  # type: ignore[index]
    assert "Opening; of the meeting, all" in str(event["DESCRIPTION"])  # type: ignore[index]
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Stockholm"]
    # Both the winter and the summer offset are described.
    assert {"STANDARD", "DAYLIGHT"} <= {c.name for c in zones[0].subcomponents}


def test_summer_meeting_keeps_its_wall_time() -> None:
    _cal, event = parse(
        make(
            start=datetime(2026, 6, 10, 12, 0, tzinfo=UTC),
            end=datetime(2026, 6, 10, 13, 0, tzinfo=UTC),
        )
    )
    assert event.decoded("DTSTART").hour == 14  # type: ignore[attr-defined]
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 7200  # type: ignore[attr-defined]


def test_published_cancellation_keeps_uid_and_raises_sequence() -> None:
    cal, event = parse(make(cancelled=True, sequence=3))
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(event["STATUS"]) == "CANCELLED"  # type: ignore[index]
    assert int(event["SEQUENCE"]) == 3  # type: ignore[index]
    assert str(event["UID"]) == "abc-123@iop-bot"  # type: ignore[index]


def test_request_and_cancel_need_and_carry_the_organizer() -> None:
    with pytest.raises(ValueError, match="ORGANIZER"):
        make(method="REQUEST")
    organizer = Organizer("registrator@example.se", "Registrator Ålund")
    cal, event = parse(make(method="REQUEST", organizer=organizer))
    assert str(cal["METHOD"]) == "REQUEST" and str(event["STATUS"]) == "CONFIRMED"  # type: ignore[index]
    assert str(event["ORGANIZER"]) == "mailto:registrator@example.se"  # type: ignore[index]
    assert event["ORGANIZER"].params["CN"] == "Registrator Ålund"  # type: ignore[index]
    cal, event = parse(make(method="CANCEL", sequence=3, organizer=organizer))
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"  # type: ignore[index]
    assert int(event["SEQUENCE"]) == 3  # type: ignore[index]
    assert str(event["UID"]) == "abc-123@iop-bot"  # type: ignore[index]


def test_no_location_and_text_with_markup_characters() -> None:
    _cal, event = parse(make(location=None, summary="<b>SG</b> & co"))
    assert "LOCATION" not in event  # type: ignore[operator]
    assert str(event["SUMMARY"]) == "<b>SG</b> & co"  # type: ignore[index]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        make(start=datetime(2026, 12, 10, 13, 0))
    with pytest.raises(ValueError):
        make(end=datetime(2026, 12, 10, 12, 0, tzinfo=UTC))
    with pytest.raises(ValueError):
        make(method="REPLY")


def test_validated_refuses_what_does_not_round_trip() -> None:
    data = make(sequence=2)
    assert validated(data, method="PUBLISH", uid="abc-123@iop-bot", sequence=2) == data
    with pytest.raises(ValueError, match="UID/SEQUENCE"):
        validated(data, method="PUBLISH", uid="abc-123@iop-bot", sequence=3)
    with pytest.raises(ValueError, match="METHOD"):
        validated(data, method="REQUEST", uid="abc-123@iop-bot", sequence=2)
