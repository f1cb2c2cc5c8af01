"""The everyday reads cost the same number of statements whatever the number of rows they show:
/moten with one meeting or three, /beslutslogg with one decision or four (no read per row),
through the real Application."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import event

from tests.conftest import Harness
from tests.test_meetings_flow import CHAIR, SG_CHAT, call_and_publish, loose_group_limit, say
from tests.test_minutes_flow import meeting_harness, opened_meeting

__all__ = ["loose_group_limit", "meeting_harness"]


@pytest_asyncio.fixture
async def h(loose_group_limit: None, meeting_harness: Harness) -> AsyncIterator[Harness]:
    yield meeting_harness


async def statements_of(h: Harness, text: str, handler: str) -> list[str]:
    """The statements the command's handler (in the module `handler`) runs: the common path
    before it (whose look-ups are cached for a few seconds), its answer's delivery and the
    harness's own looks left out."""
    found: list[str] = []

    def seen(_conn, _cursor, sql, _params, _context, _many):  # type: ignore[no-untyped-def]
        if any(f.filename.endswith(handler) for f in traceback.extract_stack()):
            found.append(" ".join(sql.split()).lower())

    event.listen(h.services.engine, "before_cursor_execute", seen)
    try:
        replies = await say(h, CHAIR, SG_CHAT, text)
    finally:
        event.remove(h.services.engine, "before_cursor_execute", seen)
    assert replies
    return found


async def test_moten_and_beslutslogg_read_no_row_at_a_time(h: Harness) -> None:
    await opened_meeting(h)  # one meeting, published and answered
    one_meeting = await statements_of(h, "/moten", "handlers/meetings.py")
    for when in ("2027-01-20 10:00 Stadshuset", "2027-02-17 10:00 Stadshuset"):
        await call_and_publish(h, when)
    three_meetings = await statements_of(h, "/moten", "handlers/meetings.py")
    assert len(three_meetings) == len(one_meeting), three_meetings
    assert sum("from rsvp" in s for s in three_meetings) == 1

    await say(h, CHAIR, SG_CHAT, "/motesstart")
    await say(h, CHAIR, SG_CHAT, "/beslut Styrgruppen beslutar i fråga 1")
    one_decision = await statements_of(h, "/beslutslogg", "handlers/decisions.py")
    for n in (2, 3, 4):
        await say(h, CHAIR, SG_CHAT, f"/beslut Styrgruppen beslutar i fråga {n}")
    four_decisions = await statements_of(h, "/beslutslogg", "handlers/decisions.py")
    assert len(four_decisions) == len(one_decision), four_decisions
    assert sum("from agendaitem" in s for s in four_decisions) == 1
