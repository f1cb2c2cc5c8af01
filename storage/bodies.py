"""Repository functions for partnerships, parties and bodies (and their chats)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import Body, ChatStatus, Partnership, Party


def get_partnership_by_diarienummer(session: Session, diarienummer: str) -> Partnership | None:
    """The partnership with this diarienummer, however it is spaced or cased. As typed it is
    one indexed look-up; otherwise only the numbers are compared, not whole partnerships loaded
    (an import among a thousand partnerships took a quarter of a second for this alone)."""
    exact = session.exec(
        select(Partnership).where(Partnership.diarienummer == diarienummer)
    ).first()
    if exact is not None:
        return exact
    wanted = " ".join(diarienummer.split()).casefold()
    for partnership_id, number in session.exec(select(Partnership.id, Partnership.diarienummer)):
        if " ".join(number.split()).casefold() == wanted:
            return session.get(Partnership, partnership_id)
    return None


def list_partnerships(session: Session) -> list[Partnership]:
    return list(session.exec(select(Partnership).order_by(col(Partnership.diarienummer))).all())


def partnership_ids(session: Session) -> list[int]:
    rows = session.exec(select(Partnership.id).order_by(col(Partnership.id)))
    return [i for i in rows if i is not None]


def get_body(session: Session, partnership_id: int, kind: str) -> Body | None:
    return session.exec(
        select(Body).where(Body.partnership_id == partnership_id, Body.kind == kind)
    ).first()


def get_body_and_partnership_by_chat(
    session: Session, chat_id: int
) -> tuple[Body, Partnership] | None:
    """The chat's body and its partnership in one query."""
    row = session.exec(
        select(Body, Partnership)
        .join(Partnership, col(Partnership.id) == col(Body.partnership_id))
        .where(Body.chat_id == chat_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def get_body_by_chat(session: Session, chat_id: int) -> Body | None:
    return session.exec(select(Body).where(Body.chat_id == chat_id)).first()


def bodies_of(session: Session, partnership_id: int) -> list[Body]:
    return list(
        session.exec(
            select(Body).where(Body.partnership_id == partnership_id).order_by(col(Body.kind))
        ).all()
    )


def parties_of(session: Session, partnership_id: int, *, active_only: bool = True) -> list[Party]:
    query = select(Party).where(Party.partnership_id == partnership_id)
    if active_only:
        query = query.where(col(Party.active).is_(True))
    return list(session.exec(query.order_by(col(Party.name))).all())


def set_chat_status(session: Session, chat_id: int, status: ChatStatus) -> Body | None:
    body = get_body_by_chat(session, chat_id)
    if body is not None and body.chat_status != status:
        body.chat_status = status
        session.add(body)
        session.flush()
    return body


def move_chat(session: Session, old_chat_id: int, new_chat_id: int) -> Body | None:
    """A group became a supergroup: every stored reference follows the new id."""
    body = get_body_by_chat(session, old_chat_id)
    if body is None or get_body_by_chat(session, new_chat_id) is not None:
        return None
    body.chat_id = new_chat_id
    session.add(body)
    session.flush()
    return body
