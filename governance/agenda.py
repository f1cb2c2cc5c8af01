"""The dagordning as rules: standard items per body, where new items go, what may move.

Pure: entries are plain records identified by `ref` (the caller's item id); titles and
translations are the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = [
    "LOCKED",
    "MAX_ITEMS",
    "WRITTEN_BY_BOT",
    "AgendaEntry",
    "ItemKind",
    "MoveResult",
    "StandardKey",
    "can_drop",
    "can_move",
    "insert_index",
    "labels",
    "move",
    "needs_visit",
    "set_dropped",
    "standard_keys",
    "visible",
]

# Inline keyboards hold at most 100 buttons; one per item plus controls must fit.
MAX_ITEMS = 80


class StandardKey(StrEnum):
    OPENING = "opening"
    JUSTERARE = "justerare"
    APPROVE_AGENDA = "approve_agenda"
    PREVIOUS_MINUTES = "previous_minutes"
    FOLLOWUP = "followup"
    ESCALATIONS = "escalations"  # items raised from the samverkansgrupp (styrgrupp only)
    REPORTS = "reports"
    OTHER_BUSINESS = "other_business"
    CLOSING = "closing"


class ItemKind(StrEnum):
    STANDARD = "standard"
    MEMBER = "member"
    FOLLOWUP = "followup"
    ESCALATION = "escalation"


# A meeting is opened, the justerare chosen and the agenda approved before anything else, and it
# is closed last: these never move and are never dropped.
LOCKED = frozenset(
    {
        StandardKey.OPENING,
        StandardKey.JUSTERARE,
        StandardKey.APPROVE_AGENDA,
        StandardKey.CLOSING,
    }
)
_HEAD = (StandardKey.OPENING, StandardKey.JUSTERARE, StandardKey.APPROVE_AGENDA)


def standard_keys(body_kind: str) -> tuple[StandardKey, ...]:
    """The standard items of a new agenda, in order."""
    keys = [
        *_HEAD,
        StandardKey.PREVIOUS_MINUTES,
        StandardKey.FOLLOWUP,
    ]
    if body_kind == "styrgrupp":
        keys.append(StandardKey.ESCALATIONS)
    keys += [StandardKey.REPORTS, StandardKey.OTHER_BUSINESS, StandardKey.CLOSING]
    return tuple(keys)


@dataclass(frozen=True, slots=True)
class AgendaEntry:
    ref: int
    kind: str  # an ItemKind
    standard_key: str | None = None
    dropped: bool = False

    @property
    def locked(self) -> bool:
        return self.standard_key in LOCKED


def _index_of_key(entries: Sequence[AgendaEntry], key: str) -> int | None:
    return next((i for i, e in enumerate(entries) if e.standard_key == key), None)


_ANCHORS: dict[str, StandardKey] = {
    ItemKind.FOLLOWUP: StandardKey.FOLLOWUP,
    ItemKind.ESCALATION: StandardKey.ESCALATIONS,
}


def insert_index(entries: Sequence[AgendaEntry], kind: str) -> int:
    """Where a new item of `kind` goes: follow-ups after the follow-up item, escalations after
    the escalation item (each after earlier ones of its kind), anything else before "other
    business" (or before closing when other business is gone)."""
    anchor = _ANCHORS.get(kind)
    if anchor is not None:
        at = _index_of_key(entries, anchor)
        if at is not None:
            at += 1
            while at < len(entries) and entries[at].kind == kind:
                at += 1
            return at
    for key in (StandardKey.OTHER_BUSINESS, StandardKey.CLOSING):
        at = _index_of_key(entries, key)
        if at is not None:
            return at
    return len(entries)


def can_drop(entry: AgendaEntry) -> bool:
    return not entry.locked


def _bounds(entries: Sequence[AgendaEntry]) -> tuple[int, int]:
    """The movable span [low, high): after the locked head, before closing."""
    low = 0
    while low < len(entries) and entries[low].locked:
        low += 1
    high = len(entries)
    while high > low and entries[high - 1].locked:
        high -= 1
    return low, high


class MoveResult(StrEnum):
    MOVED = "moved"
    LOCKED = "locked"  # the item itself never moves
    AT_EDGE = "at_edge"  # nothing movable to swap with in that direction
    NOT_FOUND = "not_found"


def can_move(entries: Sequence[AgendaEntry], ref: int, delta: int) -> MoveResult:
    index = next((i for i, e in enumerate(entries) if e.ref == ref), None)
    if index is None:
        return MoveResult.NOT_FOUND
    if entries[index].locked:
        return MoveResult.LOCKED
    low, high = _bounds(entries)
    target = _neighbour(entries, index, delta)
    if target is None or not low <= target < high:
        return MoveResult.AT_EDGE
    return MoveResult.MOVED


def _neighbour(entries: Sequence[AgendaEntry], index: int, delta: int) -> int | None:
    """The next item in that direction that is shown (dropped items are skipped)."""
    step = 1 if delta > 0 else -1
    at = index + step
    while 0 <= at < len(entries):
        if not entries[at].dropped:
            return at
        at += step
    return None


def move(
    entries: Sequence[AgendaEntry], ref: int, delta: int
) -> tuple[list[AgendaEntry], MoveResult]:
    """Swap the item with the next shown one up (delta < 0) or down; locked items stay put."""
    result = can_move(entries, ref, delta)
    out = list(entries)
    if result != MoveResult.MOVED:
        return out, result
    index = next(i for i, e in enumerate(out) if e.ref == ref)
    target = _neighbour(out, index, delta)
    assert target is not None
    item = out.pop(index)
    out.insert(target, item)
    return out, result


def set_dropped(entries: Sequence[AgendaEntry], ref: int, dropped: bool) -> list[AgendaEntry]:
    """Drop or restore an item; locked items are returned unchanged."""
    return [replace(e, dropped=dropped) if e.ref == ref and can_drop(e) else e for e in entries]


def visible(entries: Sequence[AgendaEntry]) -> list[AgendaEntry]:
    """The items shown (and numbered) in the kallelse."""
    return [e for e in entries if not e.dropped]


# --- the live meeting ------------------------------------------------------------------------

# Standard paragraphs the bot writes itself from what it knows (the meeting opened, the justerare
# chosen, the agenda approved, the previous protokoll's state, the meeting closed): the chair
# need not stop at them; "next" goes past them.
WRITTEN_BY_BOT = frozenset(
    {
        StandardKey.OPENING,
        StandardKey.JUSTERARE,
        StandardKey.APPROVE_AGENDA,
        StandardKey.PREVIOUS_MINUTES,
        StandardKey.CLOSING,
    }
)


def needs_visit(entry: AgendaEntry, *, open_actions: bool) -> bool:
    """Whether the meeting stops at this item: not at what the bot writes itself, not at the
    follow-up when nothing is open, not at the heading of the raised questions (each question
    is an item of its own, under it)."""
    if entry.standard_key in WRITTEN_BY_BOT:
        return False
    if entry.standard_key == StandardKey.FOLLOWUP:
        return open_actions
    return entry.standard_key != StandardKey.ESCALATIONS


def labels(entries: Sequence[AgendaEntry]) -> dict[int, str]:
    """The number each shown item is read by: "1", "2", …; a question raised from the
    samverkansgrupp stands under its heading as "6.1", "6.2" (not as an item after an empty
    heading)."""
    out: dict[int, str] = {}
    number = sub = 0
    under_heading = False
    for entry in visible(entries):
        if entry.kind == ItemKind.ESCALATION and under_heading:
            sub += 1
            out[entry.ref] = f"{number}.{sub}"
            continue
        number += 1
        sub = 0
        under_heading = entry.standard_key == StandardKey.ESCALATIONS
        out[entry.ref] = str(number)
    return out
