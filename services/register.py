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


def _entries(session: Session, rows: list[tuple[Body, Decision, Party | None]]) -> list[Entry]:
    """The register lines of these decisions, each with its meeting and the § of its agenda
    item (its place among the meeting's items kept): two reads for the meetings and their
    agendas, whatever the number of lines."""
    meeting_ids = sorted({d.meeting_id for _b, d, _p in rows if d.meeting_id is not None})
    meetings = meeting_repo.meetings_by_id(session, meeting_ids)
    kept: dict[int, list[int | None]] = {m: [] for m in meeting_ids}
    for item in meeting_repo.agendas_of(session, meeting_ids):
        if not item.dropped and item.meeting_id is not None:
            kept[item.meeting_id].append(item.id)
    out = []
    for body, decision, party in rows:
        paragraph = None
        if decision.meeting_id is not None and decision.agenda_item_id is not None:
            ids = kept.get(decision.meeting_id, [])
            if decision.agenda_item_id in ids:
                paragraph = ids.index(decision.agenda_item_id) + 1
        meeting = meetings.get(decision.meeting_id) if decision.meeting_id else None
        out.append(Entry(decision, body, meeting, paragraph, party))
    return out


def entry(session: Session, body: Body, decision: Decision, party: Party | None) -> Entry:
    return _entries(session, [(body, decision, party)])[0]


def search(session: Session, body: Body, query: str) -> Search:
    """The body's register, newest first, filtered by the words given."""
    parties = bodies.parties_of(session, body.partnership_id, active_only=False)
    by_id = {p.id: p for p in parties}
    found = search_decisions(session, body, query, parties=parties)
    return Search(body, query, _entries(session, [(body, d, by_id.get(d.party_id)) for d in found]))


def revisions(session: Session, partnership: Partnership) -> Revisions:
    """Revisions of commitments per party, with the agreement's diarienummer."""
    assert partnership.id is not None
    grouped = revisions_by_party(session, partnership.id)
    lines = iter(
        _entries(
            session,
            [(decided_by, d, None) for _party, rows in grouped for d, decided_by in rows],
        )
    )
    return Revisions(
        partnership, [(party, [next(lines) for _row in rows]) for party, rows in grouped]
    )
