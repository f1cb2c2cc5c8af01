"""Protokollsutdrag: one paragraph of a locked protokoll with its justering, as municipalities
send to the party a decision concerns.

`/utdrag` names the paragraph by its § ("§ 3", "3": in the body's latest locked protokoll) or by
a decision's register number ("SG 2026:7": the paragraph that holds it); with nothing given, or
nothing found, the paragraphs of the latest locked protokoll are offered as buttons. When a
protokoll is locked, every decision in it that revises a party's commitments is sent as an
extract, privately, to that party's members who have started the bot (`revision_recipients`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from governance import protokoll as doc
from i18n import N_
from services.decisions import REVISION_KINDS, parse_label
from services.errors import Refusal
from services.minutes import model_of
from storage import decisions as decision_repo
from storage import minutes as repo
from storage.models import (
    Body,
    Decision,
    Meeting,
    Membership,
    MembershipStatus,
    Party,
    Person,
    ProtokollRecord,
)

__all__ = [
    "Choice",
    "Extract",
    "Recipient",
    "extract_of",
    "extracts_of_decisions",
    "find_extract",
    "latest_locked",
    "revision_recipients",
]

_PARAGRAPH = re.compile(r"^(?:§\s*)?(\d{1,4})$")


@dataclass(frozen=True)
class Extract:
    """One paragraph of a locked protokoll: the record, the whole locked model, the §."""

    record: ProtokollRecord
    protokoll: doc.Protokoll
    number: int

    @property
    def paragraph(self) -> doc.Paragraph:
        return next(item for item in self.protokoll.items if item.number == self.number)


@dataclass(frozen=True)
class Choice:
    """The paragraphs of a locked protokoll, to be offered as buttons."""

    record: ProtokollRecord
    protokoll: doc.Protokoll


@dataclass(frozen=True)
class Recipient:
    """A party member who has started the bot, and the extract they get."""

    person: Person
    chat_id: int
    party: Party
    number: int  # the §
    decision: str  # its register number, e.g. "SG 2026:2"


def latest_locked(session: Session, body: Body) -> tuple[ProtokollRecord, doc.Protokoll] | None:
    """The body's most recently held meeting whose protokoll is locked, with its model."""
    assert body.id is not None
    for meeting in repo.closed_meetings(session, body.id):
        assert meeting.id is not None
        record = repo.latest_final(session, meeting.id)
        if record is not None:
            return record, model_of(record.content)
    return None


def extract_of(session: Session, body: Body, protokoll_id: int, number: int) -> Extract:
    """The extract a button names (its protokoll checked to be this partnership's and locked)."""
    record = repo.get_protokoll(session, protokoll_id)
    meeting = session.get(Meeting, record.meeting_id) if record is not None else None
    held_by = session.get(Body, meeting.body_id) if meeting is not None else None
    if record is None or held_by is None or held_by.partnership_id != body.partnership_id:
        raise Refusal(N_("This button is no longer valid."))
    if record.status != "final":
        raise Refusal(N_("Extracts are made from approved minutes only."))
    p = model_of(record.content)
    if not any(item.number == number for item in p.items):
        raise Refusal(N_("This button is no longer valid."))
    return Extract(record, p, number)


def find_extract(session: Session, body: Body, query: str) -> Extract | Choice:
    """The paragraph `query` names (see module doc), or the latest locked protokoll's
    paragraphs to choose from. Refused when the body has no locked protokoll at all."""
    query = " ".join(query.split())
    if query:
        label = parse_label(query)
        if label is not None:
            return _by_decision(session, body, label)
    latest = latest_locked(session, body)
    if latest is None:
        raise Refusal(N_("There are no approved minutes to make an extract from yet."))
    record, p = latest
    match = _PARAGRAPH.match(query)
    if match is not None:
        number = int(match.group(1))
        if any(item.number == number for item in p.items):
            return Extract(record, p, number)
    return Choice(record, p)


def _by_decision(session: Session, body: Body, label: tuple[str, int, int]) -> Extract:
    found = decision_repo.find_decision(session, body.partnership_id, *label)
    if found is None:
        raise Refusal(
            N_("No decision {label} is registered."), label=f"{label[0]} {label[1]}:{label[2]}"
        )
    decision, decided_by = found
    number = decision_repo.decision_label(decided_by, decision)
    if decision.meeting_id is None:
        raise Refusal(N_("Decision {label} was not taken at a meeting."), label=number)
    record = repo.latest_final(session, decision.meeting_id)
    if record is None:
        raise Refusal(N_("The minutes with decision {label} are not approved yet."), label=number)
    p = model_of(record.content)
    paragraph = _paragraph_with(p, number)
    if paragraph is None:
        raise Refusal(N_("Decision {label} is not in the approved minutes."), label=number)
    return Extract(record, p, paragraph)


def _paragraph_with(p: doc.Protokoll, label: str) -> int | None:
    for item in p.items:
        if any(d.number == label for d in item.decisions):
            return item.number
    return None


def extracts_of_decisions(
    session: Session, decisions: list[tuple[Decision, Body]]
) -> list[tuple[str, int, int]]:
    """(register number, protokoll id, §) of each decision whose minutes are approved, in the
    order given: what /revideringar offers as extract buttons."""
    out: list[tuple[str, int, int]] = []
    for decision, decided_by in decisions:
        if decision.meeting_id is None:
            continue
        record = repo.latest_final(session, decision.meeting_id)
        if record is None or record.id is None:
            continue
        label = decision_repo.decision_label(decided_by, decision)
        number = _paragraph_with(model_of(record.content), label)
        if number is not None:
            out.append((label, record.id, number))
    return out


def revision_recipients(session: Session, record: ProtokollRecord) -> list[Recipient]:
    """Who gets an extract when `record` is locked: for each decision in it that revises a
    party's commitments, that party's confirmed members (in any body of the partnership) who
    have started the bot, once per person and paragraph."""
    meeting = session.get(Meeting, record.meeting_id)
    body = session.get(Body, meeting.body_id) if meeting is not None else None
    if meeting is None or body is None or record.status != "final":
        return []
    p = model_of(record.content)
    decisions = session.exec(
        select(Decision)
        .where(Decision.meeting_id == meeting.id)
        .where(Decision.kind.in_(REVISION_KINDS))  # type: ignore[attr-defined]
        .where(Decision.party_id.is_not(None))  # type: ignore[union-attr]
        .order_by(Decision.year, Decision.number)  # type: ignore[arg-type]
    ).all()
    out: list[Recipient] = []
    seen: set[tuple[int, int]] = set()
    for decision in decisions:
        label = decision_repo.decision_label(body, decision)
        number = _paragraph_with(p, label)
        party = session.get(Party, decision.party_id)
        if number is None or party is None:
            continue
        members = session.exec(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)  # type: ignore[arg-type]
            .join(Body, Body.id == Membership.body_id)  # type: ignore[arg-type]
            .where(Body.partnership_id == body.partnership_id)
            .where(Membership.party_id == party.id)
            .where(Membership.status == MembershipStatus.CONFIRMED)
            .order_by(Person.id)  # type: ignore[arg-type]
        ).all()
        for person in members:
            if person.private_chat_id is None or person.erased or person.id is None:
                continue
            if (person.id, number) in seen:
                continue
            seen.add((person.id, number))
            out.append(Recipient(person, person.private_chat_id, party, number, label))
    return out
