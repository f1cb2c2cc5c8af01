"""Who someone is in a body: administrator, chair, confirmed member, or none of these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from services import linked_cache
from storage import people
from storage.models import Body, Membership, MembershipStatus, Person


@dataclass(frozen=True)
class Role:
    person: Person | None
    membership: Membership | None
    is_administrator: bool
    is_chair: bool
    is_chat_admin: bool

    @property
    def is_member(self) -> bool:
        return self.membership is not None and self.membership.status == MembershipStatus.CONFIRMED

    @property
    def can_manage_members(self) -> bool:
        return self.is_administrator or self.is_chair

    @property
    def name(self) -> str:
        if self.is_administrator:
            return "administrator"
        if self.is_chair:
            return "chair"
        if self.is_member:
            return "member"
        return "guest"


def role_in_body(
    session: Session, body: Body, telegram_user_id: int | None, today: date, *, is_chat_admin: bool
) -> Role:
    """The sender's role, or from the last few seconds' look-up in this process
    (`services.linked_cache`: forgotten at once when a person, membership, chair term or
    administrator is written here). Telegram's admin answer is the caller's, never kept here."""
    if telegram_user_id is None or body.id is None:
        return _role_in_body(session, body, telegram_user_id, today, is_chat_admin=is_chat_admin)
    key = ("role", body.id, body.partnership_id, telegram_user_id, today)
    kept = linked_cache.get(session, key)
    if kept is not None:
        person, membership, is_administrator, is_chair = kept
        return Role(
            person=linked_cache.attach(session, person) if person is not None else None,
            membership=(
                linked_cache.attach(session, membership) if membership is not None else None
            ),
            is_administrator=is_administrator,
            is_chair=is_chair,
            is_chat_admin=is_chat_admin,
        )
    role = _role_in_body(session, body, telegram_user_id, today, is_chat_admin=is_chat_admin)
    linked_cache.put(
        session,
        key,
        (
            linked_cache.copy_of(role.person) if role.person is not None else None,
            linked_cache.copy_of(role.membership) if role.membership is not None else None,
            role.is_administrator,
            role.is_chair,
        ),
    )
    return role


def _role_in_body(
    session: Session, body: Body, telegram_user_id: int | None, today: date, *, is_chat_admin: bool
) -> Role:
    person = (
        people.get_person_by_telegram_id(session, telegram_user_id)
        if telegram_user_id is not None
        else None
    )
    if person is None or person.id is None or body.id is None:
        return Role(None, None, False, False, is_chat_admin)
    membership = people.get_membership(session, body.id, person.id)
    chair = people.current_chair(session, body.id, today)
    return Role(
        person=person,
        membership=membership,
        is_administrator=people.is_administrator(
            session, body.partnership_id, person.telegram_user_id
        ),
        is_chair=chair is not None and chair[1].id == person.id,
        is_chat_admin=is_chat_admin,
    )
