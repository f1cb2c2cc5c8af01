"""Binding group chats to bodies, and following what Telegram does to those chats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from i18n import N_
from services import events, linked_cache
from services.errors import Refusal
from storage import bodies, people, reminders
from storage.models import AuditEntry, Body, BodyKind, ChatStatus, Partnership

BODY_ALIASES = {
    "styrgrupp": BodyKind.STYRGRUPP,
    "styrgruppen": BodyKind.STYRGRUPP,
    "steering": BodyKind.STYRGRUPP,
    "sg": BodyKind.STYRGRUPP,
    "samverkansgrupp": BodyKind.SAMVERKANSGRUPP,
    "samverkansgruppen": BodyKind.SAMVERKANSGRUPP,
    "collaboration": BodyKind.SAMVERKANSGRUPP,
    "svg": BodyKind.SAMVERKANSGRUPP,
}


@dataclass(frozen=True)
class LinkResult:
    partnership: Partnership
    body: Body
    moved_from_chat_id: int | None
    already_linked: bool


def linked_body(session: Session, chat_id: int) -> Body:
    """The body this chat is bound to; a polite refusal where none is."""
    body = bodies.get_body_by_chat(session, chat_id)
    if body is None:
        raise Refusal(
            N_("This chat is not linked to a partnership yet. An admin can link it with /koppla.")
        )
    return body


def body_of_chat(session: Session, chat_id: int) -> tuple[Body, Partnership] | None:
    """The body (and partnership) of a chat, or None where the chat is not linked."""
    body = bodies.get_body_by_chat(session, chat_id)
    if body is None:
        return None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    return body, partnership


def linked_body_and_partnership(session: Session, chat_id: int) -> tuple[Body, Partnership]:
    """The chat's body and partnership, looked up together (once per update, by the wrapper),
    or from the last few seconds' look-up in this process (`services.linked_cache`)."""
    key = ("chat", chat_id)
    kept = linked_cache.get(session, key)
    if kept is not None:
        body, partnership = kept
        return linked_cache.attach(session, body), linked_cache.attach(session, partnership)
    found = bodies.get_body_and_partnership_by_chat(session, chat_id)
    if found is None:
        linked_body(session, chat_id)  # the refusal
        raise AssertionError("unreachable")
    linked_cache.put(session, key, (linked_cache.copy_of(found[0]), linked_cache.copy_of(found[1])))
    return found


def parse_body_kind(text: str) -> BodyKind | None:
    return BODY_ALIASES.get(text.strip().casefold())


def link_chat(
    session: Session,
    *,
    diarienummer: str,
    body_text: str,
    chat_id: int,
    thread_id: int | None,
    chat_title: str | None,
    user_id: int | None,
    is_chat_admin: bool,
    now: datetime,
) -> LinkResult:
    partnership = bodies.get_partnership_by_diarienummer(session, diarienummer)
    if partnership is None or partnership.id is None:
        raise Refusal(
            N_(
                "No partnership with diarienummer {dnr} is imported. Check the number, or ask the administrator to import the partnership file."
            ),
            dnr=diarienummer,
        )
    kind = parse_body_kind(body_text)
    if kind is None:
        raise Refusal(N_("Say which body this chat is for: styrgrupp or samverkansgrupp."))
    is_admin = user_id is not None and people.is_administrator(session, partnership.id, user_id)
    if not (is_admin or is_chat_admin):
        raise Refusal(
            N_("Only the partnership's administrator or an admin of this group can link it.")
        )
    body = bodies.get_body(session, partnership.id, kind)
    if body is None:
        raise Refusal(N_("This partnership has no {body}."), body=kind.value)
    other = bodies.get_body_by_chat(session, chat_id)
    if other is not None and other.id != body.id:
        raise Refusal(
            N_(
                "This chat is already linked to another body. A body and its chat belong together one to one."
            )
        )
    moved_from = None
    if body.chat_id is not None and body.chat_id != chat_id:
        if body.chat_status == ChatStatus.ACTIVE and not is_admin:
            raise Refusal(
                N_(
                    "The {body} is already linked to another chat. Only the administrator can move it."
                ),
                body=kind.value,
            )
        moved_from = body.chat_id
    already = body.chat_id == chat_id
    body.chat_id = chat_id
    body.thread_id = thread_id
    body.chat_title = chat_title
    body.chat_status = ChatStatus.ACTIVE
    # When the body started using the bot: kept when the chat is linked again or moved, since
    # deadlines before it are listed apart ("före koppling") and not reminded.
    if body.linked_at is None:
        body.linked_at = now
    body.linked_by_user_id = user_id
    session.add(body)
    session.add(
        AuditEntry(
            partnership_id=partnership.id,
            at=now,
            actor_user_id=user_id,
            action="chat.link",
            detail={"body": kind.value, "chat_id": chat_id, "moved_from": moved_from},
        )
    )
    session.flush()
    # The chat now receives this body's deadline reminders, and a styrgrupp's chat the questions
    # raised to it while it had none (services.deadlines, services.escalations).
    events.publish(
        session, events.ChatLinked(partnership_id=partnership.id, body_id=body.id or 0), now=now
    )
    return LinkResult(partnership, body, moved_from, already)


def bot_left_chat(session: Session, chat_id: int, now: datetime) -> Body | None:
    """Nothing is sent to a chat the bot is not in; its reminders wait until it is back."""
    reminders.pause_chat(session, chat_id, now=now)
    return bodies.set_chat_status(session, chat_id, ChatStatus.REMOVED)


def bot_back_in_chat(session: Session, chat_id: int, now: datetime) -> Body | None:
    reminders.resume_chat(session, chat_id, now=now)
    return bodies.set_chat_status(session, chat_id, ChatStatus.ACTIVE)


def chat_migrated(
    session: Session, old_chat_id: int, new_chat_id: int, now: datetime
) -> Body | None:
    """A group became a supergroup: the binding and every pending reminder follow the new id."""
    reminders.move_chat(session, old_chat_id, new_chat_id, now=now)
    return bodies.move_chat(session, old_chat_id, new_chat_id)
