"""Reading the decision register: /beslutslogg and /revideringar."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from services.decisions import revisions_by_party, search_decisions
from storage import bodies
from storage import meetings as meeting_repo
from storage.models import Body, Decision, Meeting, Partnership, Party


@dataclass(frozen=True)
class Entry:
    """One register line with what it is shown with: its body, meeting and §, its party."""

    decision: Decision
    body: Body
    meeting: Meeting | None
    paragraph: int | None
    party: Party | None


@dataclass(frozen=True)
class Search:
    body: Body
    query: str
    entries: list[Entry]


@dataclass(frozen=True)
class Revisions:
    partnership: Partnership
    by_party: list[tuple[Party | None, list[Entry]]]


def _paragraph(session: Session, decision: Decision) -> int | None:
    """The § of the decision's agenda item: its place among the meeting's items kept."""
    if decision.meeting_id is None or decision.agenda_item_id is None:
        return None
    kept = [i for i in meeting_repo.agenda_of(session, decision.meeting_id) if not i.dropped]
    ids = [i.id for i in kept]
    return ids.index(decision.agenda_item_id) + 1 if decision.agenda_item_id in ids else None


def entry(session: Session, body: Body, decision: Decision, party: Party | None) -> Entry:
    meeting = session.get(Meeting, decision.meeting_id) if decision.meeting_id else None
    return Entry(decision, body, meeting, _paragraph(session, decision), party)


def search(session: Session, body: Body, query: str) -> Search:
    """The body's register, newest first, filtered by the words given."""
    parties = bodies.parties_of(session, body.partnership_id, active_only=False)
    by_id = {p.id: p for p in parties}
    found = search_decisions(session, body, query, parties=parties)
    return Search(body, query, [entry(session, body, d, by_id.get(d.party_id)) for d in found])


def revisions(session: Session, partnership: Partnership) -> Revisions:
    """Revisions of commitments per party, with the agreement's diarienummer."""
    assert partnership.id is not None
    grouped = revisions_by_party(session, partnership.id)
    return Revisions(
        partnership,
        [
            (party, [entry(session, decided_by, d, None) for d, decided_by in rows])
            for party, rows in grouped
        ],
    )
