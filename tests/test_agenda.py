"""The dagordning's rules: standard items per body, placement of new items, moves and drops."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from governance.agenda import (
    LOCKED,
    AgendaEntry,
    ItemKind,
    MoveResult,
    StandardKey,
    insert_index,
    move,
    set_dropped,
    standard_keys,
    visible,
)

K = StandardKey


def standard(body_kind: str) -> list[AgendaEntry]:
    return [
        AgendaEntry(n, ItemKind.STANDARD, key)
        for n, key in enumerate(standard_keys(body_kind), start=1)
    ]


def keys(entries: list[AgendaEntry]) -> list[str | int]:
    return [e.standard_key or e.ref for e in entries]


def test_standard_items_per_body() -> None:
    sg = standard_keys("styrgrupp")
    svg = standard_keys("samverkansgrupp")
    assert sg[:3] == (K.OPENING, K.JUSTERARE, K.APPROVE_AGENDA)
    assert sg[-2:] == (K.OTHER_BUSINESS, K.CLOSING)
    assert K.ESCALATIONS in sg and K.ESCALATIONS not in svg
    assert sg.index(K.PREVIOUS_MINUTES) < sg.index(K.FOLLOWUP) < sg.index(K.REPORTS)
    assert len(svg) == len(sg) - 1


def test_new_items_go_before_other_business_and_in_their_section() -> None:
    entries = standard("styrgrupp")
    at = insert_index(entries, ItemKind.MEMBER)
    assert entries[at].standard_key == K.OTHER_BUSINESS
    entries.insert(at, AgendaEntry(100, ItemKind.MEMBER))
    entries.insert(insert_index(entries, ItemKind.MEMBER), AgendaEntry(101, ItemKind.MEMBER))
    entries.insert(
        insert_index(entries, ItemKind.ESCALATION), AgendaEntry(200, ItemKind.ESCALATION)
    )
    entries.insert(
        insert_index(entries, ItemKind.ESCALATION), AgendaEntry(201, ItemKind.ESCALATION)
    )
    entries.insert(insert_index(entries, ItemKind.FOLLOWUP), AgendaEntry(300, ItemKind.FOLLOWUP))
    assert keys(entries) == [
        K.OPENING,
        K.JUSTERARE,
        K.APPROVE_AGENDA,
        K.PREVIOUS_MINUTES,
        K.FOLLOWUP,
        300,
        K.ESCALATIONS,
        200,
        201,
        K.REPORTS,
        100,
        101,
        K.OTHER_BUSINESS,
        K.CLOSING,
    ]


def test_escalations_without_their_item_go_before_other_business() -> None:
    entries = standard("samverkansgrupp")
    at = insert_index(entries, ItemKind.ESCALATION)
    assert entries[at].standard_key == K.OTHER_BUSINESS


def test_moves_swap_with_the_next_shown_item_and_locked_items_stay() -> None:
    entries = standard("samverkansgrupp")
    entries.insert(insert_index(entries, ItemKind.MEMBER), AgendaEntry(100, ItemKind.MEMBER))
    moved, result = move(entries, 100, -1)
    assert result == MoveResult.MOVED
    assert keys(moved)[-5:] == [K.FOLLOWUP, 100, K.REPORTS, K.OTHER_BUSINESS, K.CLOSING]
    # Past a dropped item in one step.
    dropped = set_dropped(moved, 5, True)  # follow-up
    up, result = move(dropped, 100, -1)
    assert result == MoveResult.MOVED
    assert [e.ref for e in visible(up)][3:5] == [100, 4]
    # Never above the approval of the agenda, never below closing.
    top = up
    for _ in range(5):
        top, _r = move(top, 100, -1)
    assert keys(top)[:4] == [K.OPENING, K.JUSTERARE, K.APPROVE_AGENDA, 100]
    assert move(top, 100, -1)[1] == MoveResult.AT_EDGE
    bottom = top
    for _ in range(10):
        bottom, _r = move(bottom, 100, 1)
    assert keys(bottom)[-2:] == [100, K.CLOSING]
    assert move(bottom, 100, 1)[1] == MoveResult.AT_EDGE
    assert move(bottom, 1, 1)[1] == MoveResult.LOCKED
    assert move(bottom, 999, 1)[1] == MoveResult.NOT_FOUND


def test_locked_items_cannot_be_dropped() -> None:
    entries = standard("styrgrupp")
    for entry in entries:
        after = set_dropped(entries, entry.ref, True)
        changed = next(e for e in after if e.ref == entry.ref)
        assert changed.dropped == (entry.standard_key not in LOCKED)
    restored = set_dropped(set_dropped(entries, 4, True), 4, False)
    assert restored == entries


@given(st.lists(st.tuples(st.integers(0, 12), st.sampled_from([-1, 1])), max_size=40))
def test_any_moves_keep_the_frame_and_every_item(moves: list[tuple[int, int]]) -> None:
    entries = standard("styrgrupp")
    for ref in (100, 101, 102):
        entries.insert(insert_index(entries, ItemKind.MEMBER), AgendaEntry(ref, ItemKind.MEMBER))
    refs = sorted(e.ref for e in entries)
    for index, delta in moves:
        ref = entries[index % len(entries)].ref
        entries, _result = move(entries, ref, delta)
    assert sorted(e.ref for e in entries) == refs
    assert keys(entries)[:3] == [K.OPENING, K.JUSTERARE, K.APPROVE_AGENDA]
    assert keys(entries)[-1] == K.CLOSING
