"""Who sent an update: each update id taken once, the sender remembered, their language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import bodies, people, updates
from storage.models import Partnership


def claim(session: Session, update_id: int, now: datetime) -> bool:
    """True the first time an update id is seen, by this or any other bot process."""
    return updates.claim_update(session, update_id, now)


def forget_old(session: Session, now: datetime) -> None:
    updates.forget_old_updates(session, now)


@dataclass(frozen=True)
class Sender:
    telegram_user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None


def languages_of(partnership: Partnership | None, fallback: str) -> tuple[str, tuple[str, ...]]:
    """The partnership's language and the languages it allows (else the bot's default)."""
    if partnership is None:
        return fallback, ("sv", "en")
    allowed = partnership.spec.get("languages") or [partnership.language]
    return partnership.language, tuple(allowed)


def remember(
    session: Session,
    *,
    sender: Sender | None,
    group_chat_id: int | None,
    private_chat_id: int | None,
    fallback_language: str,
    now: datetime,
) -> tuple[str, tuple[str, ...]]:
    """Keep the sender's name, username, language and private chat up to date; returns the
    default and allowed languages of the partnership the update belongs to."""
    partnership = None
    if group_chat_id is not None:
        body = bodies.get_body_by_chat(session, group_chat_id)
        if body is not None:
            partnership = session.get(Partnership, body.partnership_id)
    if sender is not None:
        person = people.upsert_person(
            session,
            telegram_user_id=sender.telegram_user_id,
            first_name=sender.first_name,
            last_name=sender.last_name,
            username=sender.username,
            language_code=sender.language_code,
            now=now,
        )
        if private_chat_id is not None and person.private_chat_id != private_chat_id:
            person.private_chat_id = private_chat_id
            session.add(person)
        if partnership is None:
            memberships = people.body_memberships_of(session, person.id or 0)
            if memberships:
                partnership = session.get(Partnership, memberships[0][1].partnership_id)
    return languages_of(partnership, fallback_language)
