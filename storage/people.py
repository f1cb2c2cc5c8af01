"""Repository functions for people, memberships, chair terms and administrators."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from storage.models import (
    Administrator,
    Body,
    ChairTerm,
    Membership,
    MembershipStatus,
    Party,
    Person,
)


def get_person_by_telegram_id(session: Session, telegram_user_id: int) -> Person | None:
    return session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id)).first()


def upsert_person(
    session: Session,
    *,
    telegram_user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
    now: datetime,
) -> Person:
    person = get_person_by_telegram_id(session, telegram_user_id)
    if person is None:
        person = Person(
            telegram_user_id=telegram_user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            created_at=now,
        )
        session.add(person)
    elif not person.erased and (
        person.first_name,
        person.last_name,
        person.username,
        person.language_code,
    ) != (first_name, last_name, username, language_code):
        person.first_name = first_name
        person.last_name = last_name
        person.username = username
        person.language_code = language_code
        session.add(person)
    session.flush()
    return person


def find_person_by_username(session: Session, username: str) -> Person | None:
    name = username.lstrip("@").lower()
    people = session.exec(select(Person).where(col(Person.username).is_not(None))).all()
    for person in people:
        if (person.username or "").lower() == name:
            return person
    return None


def get_membership(session: Session, body_id: int, person_id: int) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.body_id == body_id, Membership.person_id == person_id)
    ).first()


def get_membership_by_id(session: Session, membership_id: int) -> Membership | None:
    return session.get(Membership, membership_id)


def lock_membership(session: Session, membership_id: int) -> Membership | None:
    """Load a membership for update, so concurrent confirmations serialise on PostgreSQL."""
    return session.exec(
        select(Membership).where(Membership.id == membership_id).with_for_update()
    ).first()


def confirmed_members(session: Session, body_id: int) -> list[tuple[Membership, Person, Party]]:
    rows = session.exec(
        select(Membership, Person, Party)
        .join(Person, col(Person.id) == Membership.person_id)
        .join(Party, col(Party.id) == Membership.party_id)
        .where(
            Membership.body_id == body_id,
            Membership.status == MembershipStatus.CONFIRMED,
        )
        .order_by(col(Party.name), col(Person.first_name))
    ).all()
    return [(m, p, party) for m, p, party in rows]


def pending_members(session: Session, body_id: int) -> list[tuple[Membership, Person]]:
    rows = session.exec(
        select(Membership, Person)
        .join(Person, col(Person.id) == Membership.person_id)
        .where(Membership.body_id == body_id, Membership.status == MembershipStatus.PENDING)
        .order_by(col(Membership.requested_at))
    ).all()
    return [(m, p) for m, p in rows]


def current_chair(session: Session, body_id: int, today: date) -> tuple[ChairTerm, Person] | None:
    rows = session.exec(
        select(ChairTerm, Person)
        .join(Person, col(Person.id) == ChairTerm.person_id)
        .where(ChairTerm.body_id == body_id, col(ChairTerm.starts_on) <= today)
        .order_by(col(ChairTerm.starts_on).desc(), col(ChairTerm.id).desc())
    ).all()
    for term, person in rows:
        if term.ends_on is None or term.ends_on >= today:
            return term, person
        break
    return None


def add_chair_term(session: Session, term: ChairTerm) -> ChairTerm:
    # A new chair ends the term of the one before, so exactly one term is current.
    previous = session.exec(
        select(ChairTerm).where(
            ChairTerm.body_id == term.body_id,
            col(ChairTerm.starts_on) <= term.starts_on,
        )
    ).all()
    for old in previous:
        if old.ends_on is None or old.ends_on >= term.starts_on:
            old.ends_on = term.starts_on
            session.add(old)
    session.add(term)
    session.flush()
    return term


def is_administrator(session: Session, partnership_id: int, telegram_user_id: int) -> bool:
    return (
        session.exec(
            select(Administrator).where(
                Administrator.partnership_id == partnership_id,
                Administrator.telegram_user_id == telegram_user_id,
            )
        ).first()
        is not None
    )


def administrator_partnership_ids(session: Session, telegram_user_id: int) -> list[int]:
    return list(
        session.exec(
            select(Administrator.partnership_id).where(
                Administrator.telegram_user_id == telegram_user_id
            )
        ).all()
    )


def body_memberships_of(session: Session, person_id: int) -> list[tuple[Membership, Body]]:
    rows = session.exec(
        select(Membership, Body)
        .join(Body, col(Body.id) == Membership.body_id)
        .where(Membership.person_id == person_id)
    ).all()
    return [(m, b) for m, b in rows]
