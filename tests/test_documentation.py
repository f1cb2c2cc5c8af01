"""Who documents the next meeting: the rotation rule of the documentation duty."""

from __future__ import annotations

from governance.documentation import next_holder

ORDER = ["stockholms-stad", "street-minds"]


def test_after_each_meeting_passes_to_the_next_party_and_wraps() -> None:
    assert (
        next_holder(
            ORDER, rotation="after_each_meeting", last_holder="stockholms-stad", meetings_held=1
        )
        == "street-minds"
    )
    assert (
        next_holder(
            ORDER, rotation="after_each_meeting", last_holder="street-minds", meetings_held=2
        )
        == "stockholms-stad"
    )


def test_first_meeting_starts_with_the_first_party() -> None:
    assert (
        next_holder(ORDER, rotation="after_each_meeting", last_holder=None, meetings_held=0)
        == "stockholms-stad"
    )


def test_unknown_or_departed_last_holder_falls_back_to_the_count() -> None:
    three = ["a", "b", "c"]
    assert (
        next_holder(three, rotation="after_each_meeting", last_holder=None, meetings_held=4) == "b"
    )
    assert (
        next_holder(three, rotation="after_each_meeting", last_holder="gone", meetings_held=2)
        == "c"
    )


def test_by_decision_keeps_the_holder() -> None:
    assert (
        next_holder(ORDER, rotation="by_decision", last_holder="street-minds", meetings_held=5)
        == "street-minds"
    )
    assert (
        next_holder(ORDER, rotation="by_decision", last_holder=None, meetings_held=5)
        == "stockholms-stad"
    )


def test_no_parties_no_holder() -> None:
    assert next_holder([], rotation="after_each_meeting", last_holder=None, meetings_held=0) is None
