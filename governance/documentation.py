"""Who documents a body's next meeting: the partnership file's documentation duty as a rule.

Pure. ``chair_led_shared`` (001) and ``chair`` (004 styrgrupp): the chair is responsible (the
chair may share the writing out; a writer named for the meeting takes it). ``rotating_party``
(004 samverkansgrupp): a party holds the duty; ``after_each_meeting`` passes it to the next party
in the file's order after every meeting held, ``by_decision`` keeps it where it is.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CHAIR_DUTIES", "ROTATING", "next_holder"]

CHAIR_DUTIES = frozenset({"chair_led_shared", "chair"})
ROTATING = "rotating_party"


def next_holder(
    order: Sequence[str],
    *,
    rotation: str | None,
    last_holder: str | None,
    meetings_held: int,
) -> str | None:
    """The party key that documents the next meeting.

    `order`: the parties that take turns (the file's order, those represented in the body);
    `last_holder`: the party that documented the last meeting held, if known; `meetings_held`:
    how many meetings the body has held (used when the last holder is unknown or gone).
    """
    if not order:
        return None
    if rotation == "by_decision":
        return last_holder if last_holder in order else order[0]
    if last_holder is not None and last_holder in order:
        return order[(list(order).index(last_holder) + 1) % len(order)]
    return order[max(meetings_held, 0) % len(order)]
