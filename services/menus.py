"""Who sees which command menu where (Telegram's `BotCommandScopeChatMember`): a body's chair and
the partnership's administrators get the chair's menu in the body's chat; members see the
group's default menu, which is shorter; a former chair's own menu is taken away. Read here,
published by `handlers.menus` after the commit that changed a role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from i18n import pick_language
from storage import bodies, people
from storage.models import Administrator, Body, ChairTerm, Partnership, Person

__all__ = ["BodyMenus", "Leader", "all_menus", "body_menus", "linked_body_ids", "menus_of"]


@dataclass(frozen=True)
class Leader:
    user_id: int
    language: str


@dataclass(frozen=True)
class BodyMenus:
    chat_id: int
    leaders: list[Leader] = field(default_factory=list)  # the chair's menu, per person
    former: list[int] = field(default_factory=list)  # Telegram ids whose own menu goes


def _language(person: Person | None, partnership: Partnership) -> str:
    code = person.language_code if person is not None else None
    return pick_language(code, partnership.language, ("sv", "en"))


def body_menus(session: Session, body: Body, now: datetime) -> BodyMenus | None:
    """The per-person menus of a body's chat (None while it has no chat)."""
    if body.chat_id is None or body.id is None:
        return None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    today = now.astimezone(ZoneInfo(partnership.timezone)).date()
    leaders: dict[int, Leader] = {}
    chair = people.current_chair(session, body.id, today)
    if chair is not None:
        person = chair[1]
        leaders[person.telegram_user_id] = Leader(
            person.telegram_user_id, _language(person, partnership)
        )
    for admin in session.exec(
        select(Administrator).where(Administrator.partnership_id == body.partnership_id)
    ).all():
        known = people.get_person_by_telegram_id(session, admin.telegram_user_id)
        if known is None:
            continue  # never seen by the bot: Telegram would not know them in this chat either
        leaders.setdefault(
            admin.telegram_user_id,
            Leader(admin.telegram_user_id, _language(known, partnership)),
        )
    former = []
    for term_person in session.exec(
        select(Person)
        .join(ChairTerm, col(ChairTerm.person_id) == Person.id)
        .where(ChairTerm.body_id == body.id)
    ).all():
        if term_person.telegram_user_id not in leaders:
            former.append(term_person.telegram_user_id)
    return BodyMenus(
        body.chat_id, sorted(leaders.values(), key=lambda x: x.user_id), sorted(set(former))
    )


def all_menus(session: Session, now: datetime) -> list[BodyMenus]:
    """Every linked body's per-person menus."""
    return menus_of(session, linked_body_ids(session), now)


def linked_body_ids(session: Session) -> list[int]:
    """The bodies with a chat, whose menus start-up publishes a few at a time (`menus_of`)."""
    return [
        body_id
        for body_id in session.exec(
            select(Body.id).where(col(Body.chat_id).is_not(None)).order_by(col(Body.id))
        ).all()
        if body_id is not None
    ]


def menus_of(session: Session, body_ids: list[int], now: datetime) -> list[BodyMenus]:
    """The per-person menus of these bodies (those still linked)."""
    found = []
    for body_id in body_ids:
        body = session.get(Body, body_id)
        menus = body_menus(session, body, now) if body is not None else None
        if menus is not None:
            found.append(menus)
    return found


def body_of(session: Session, body_id: int) -> Body | None:
    return session.get(Body, body_id)


def bodies_of_partnership(session: Session, partnership_id: int) -> list[Body]:
    return bodies.bodies_of(session, partnership_id)


__all__ += ["bodies_of_partnership", "body_of"]
