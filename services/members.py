"""Members say which party they represent; the chair or administrator confirms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from governance.calendar import add_months
from governance.party_match import Candidate, match_party
from i18n import N_
from services import events
from services.errors import Refusal
from services.partnerships import chair_term_months, spec_of
from services.roles import Role
from storage import bodies, people
from storage.models import (
    AuditEntry,
    Body,
    ChairTerm,
    Membership,
    MembershipStatus,
    Partnership,
    Party,
    Person,
)


@dataclass(frozen=True)
class MemberList:
    """/ledamoter: the body's parties with their confirmed members, those waiting, the chair."""

    body: Body
    parties: list[Party]
    confirmed: list[tuple[Person, Party]]
    pending: list[Person]
    chair: tuple[ChairTerm, Person] | None


def member_list(session: Session, body: Body, today: date) -> MemberList:
    assert body.id is not None
    return MemberList(
        body=body,
        parties=bodies.parties_of(session, body.partnership_id),
        confirmed=[(p, pa) for _m, p, pa in people.confirmed_members(session, body.id)],
        pending=[p for _m, p in people.pending_members(session, body.id)],
        chair=people.current_chair(session, body.id, today),
    )


@dataclass(frozen=True)
class MembershipRequest:
    membership: Membership
    party: Party


def example_party(session: Session, partnership_id: int) -> str:
    """A party of this partnership to show in "/jag …" examples: its first non-profit party."""
    parties = bodies.parties_of(session, partnership_id)
    nonprofit = [p for p in parties if p.kind == "nonprofit"]
    chosen = (nonprofit or parties)[0] if parties else None
    return chosen.name if chosen is not None else ""


def _candidates(session: Session, partnership_id: int) -> list[tuple[Party, Candidate]]:
    """The active parties with their aliases from the partnership file."""
    partnership = session.get(Partnership, partnership_id)
    aliases: dict[str, tuple[str, ...]] = {}
    if partnership is not None:
        aliases = {p.key: p.aliases for p in spec_of(partnership).parties}
    return [
        (p, Candidate(p.key, p.name, aliases.get(p.key, ())))
        for p in bodies.parties_of(session, partnership_id)
    ]


def find_party(session: Session, partnership_id: int, query: str) -> Party:
    """The party `query` names: whole words of its name, key or aliases (governance.party_match)."""
    if not " ".join(query.split()):
        raise Refusal(
            N_("Say which party you represent, for example /jag {example}."),
            example=example_party(session, partnership_id),
        )
    candidates = _candidates(session, partnership_id)
    found = {c.key for c in match_party([c for _p, c in candidates], query)}
    matches = [p for p, c in candidates if c.key in found]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise Refusal(
            N_("No party matches “{query}”. The parties are: {names}."),
            query=query,
            names=", ".join(p.name for p, _c in candidates),
        )
    raise Refusal(
        N_("“{query}” matches more than one party: {matches}. Write more of the name."),
        query=query,
        matches=", ".join(p.name for p in matches),
    )


def request_membership(
    session: Session, *, body: Body, person: Person, party_query: str, now: datetime
) -> MembershipRequest:
    assert body.id is not None and person.id is not None
    party = find_party(session, body.partnership_id, party_query)
    membership = people.get_membership(session, body.id, person.id)
    if membership is None:
        membership = Membership(
            body_id=body.id, person_id=person.id, requested_party_id=party.id, requested_at=now
        )
    elif membership.status == MembershipStatus.CONFIRMED and membership.party_id == party.id:
        raise Refusal(
            N_("You are already confirmed as a representative of {party}."), party=party.name
        )
    elif (
        membership.status == MembershipStatus.PENDING and membership.requested_party_id == party.id
    ):
        raise Refusal(
            N_("Your request to represent {party} is already waiting for confirmation."),
            party=party.name,
        )
    else:
        # A member changing party keeps the old party's vote until the change is confirmed.
        if membership.status != MembershipStatus.CONFIRMED:
            membership.status = MembershipStatus.PENDING
        membership.requested_party_id = party.id
        membership.requested_at = now
        membership.decided_at = None
        membership.decided_by_person_id = None
    if membership.status != MembershipStatus.CONFIRMED:
        membership.status = MembershipStatus.PENDING
    session.add(membership)
    session.flush()
    return MembershipRequest(membership, party)


def is_pending_change(membership: Membership) -> bool:
    return membership.requested_party_id is not None and (
        membership.status == MembershipStatus.PENDING
        or membership.requested_party_id != membership.party_id
    )


def may_decide(session: Session, body: Body, role: Role, today: date) -> bool:
    if role.can_manage_members:
        return True
    # Before a chair exists somebody must confirm the first members: the group's own admins.
    assert body.id is not None
    return role.is_chat_admin and people.current_chair(session, body.id, today) is None


def decide_membership(
    session: Session,
    *,
    body: Body,
    membership_id: int,
    approve: bool,
    decider: Role,
    now: datetime,
    today: date,
) -> tuple[Membership, Person, Party]:
    membership = people.lock_membership(session, membership_id)
    if membership is None or membership.body_id != body.id:
        raise Refusal(N_("This request no longer exists."))
    if not may_decide(session, body, decider, today):
        raise Refusal(N_("Only the chair or the administrator can confirm members."))
    if not is_pending_change(membership):
        raise Refusal(N_("This request has already been handled."))
    party = session.get(Party, membership.requested_party_id)
    person = session.get(Person, membership.person_id)
    assert party is not None and person is not None
    if approve:
        membership.party_id = party.id
        membership.status = MembershipStatus.CONFIRMED
    elif membership.party_id is None:
        membership.status = MembershipStatus.REJECTED
    membership.requested_party_id = None
    membership.decided_at = now
    membership.decided_by_person_id = decider.person.id if decider.person else None
    session.add(membership)
    session.add(
        AuditEntry(
            partnership_id=body.partnership_id,
            at=now,
            actor_user_id=decider.person.telegram_user_id if decider.person else None,
            action="membership.confirm" if approve else "membership.reject",
            detail={"membership_id": membership.id, "party_id": party.id},
        )
    )
    session.flush()
    return membership, person, party


def appoint_chair(
    session: Session,
    *,
    body: Body,
    appointer: Role,
    chair: Person,
    until: date | None,
    term_months: int | None,
    today: date,
    now: datetime,
) -> ChairTerm:
    assert body.id is not None and chair.id is not None
    current = people.current_chair(session, body.id, today)
    allowed = (
        appointer.is_administrator
        or appointer.is_chair
        or (current is None and appointer.is_chat_admin)
    )
    if not allowed:
        raise Refusal(N_("Only the current chair or the administrator can record a new chair."))
    membership = people.get_membership(session, body.id, chair.id)
    if membership is None or membership.status != MembershipStatus.CONFIRMED:
        raise Refusal(
            N_("{name} is not a confirmed member of this body yet. They can use /jag first."),
            name=chair.first_name,
        )
    if until is None and term_months:
        until = add_months(today, term_months)
    if until is not None and until <= today:
        raise Refusal(N_("The end of the term must be a date after today."))
    term = ChairTerm(
        body_id=body.id,
        person_id=chair.id,
        starts_on=today,
        ends_on=until,
        appointed_by_person_id=appointer.person.id if appointer.person else None,
        created_at=now,
    )
    people.add_chair_term(session, term)
    session.add(
        AuditEntry(
            partnership_id=body.partnership_id,
            at=now,
            actor_user_id=appointer.person.telegram_user_id if appointer.person else None,
            action="chair.appoint",
            detail={"body_id": body.id, "person_id": chair.id, "until": str(until)},
        )
    )
    session.flush()
    return term


def person_by_id(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise Refusal(N_("This request no longer exists."))
    return person


def appoint_chair_of_body(
    session: Session,
    *,
    body: Body,
    partnership: Partnership,
    appointer: Role,
    chair: Person,
    until: date | None,
    today: date,
    now: datetime,
) -> ChairTerm:
    """/ordforande: the term follows the partnership file; its end is a deadline with reminders."""
    term = appoint_chair(
        session,
        body=body,
        appointer=appointer,
        chair=chair,
        until=until,
        term_months=chair_term_months(partnership, body.kind),
        today=today,
        now=now,
    )
    assert partnership.id is not None and term.id is not None
    # The end of the new term is a deadline with its own reminders (services.deadlines).
    events.publish(
        session,
        events.ChairAppointed(term_id=term.id, body_id=term.body_id, partnership_id=partnership.id),
        now=now,
    )
    return term
