"""Documents attached to agenda items (handlingar): the table and its repository.

Telegram keeps the file; we keep its `file_id` (to send it again and to fetch it with getFile for
the export), its name and size, and who attached it to which item. Numbered per meeting in the
order attached ("Bilaga 1", "Bilaga 2", …); a removed attachment keeps its number (the numbers
others have read stay true) and is left out of the lists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from storage.types import UTCDateTime


class Attachment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agendaitem.id", index=True)
    number: int  # "Bilaga <number>", per meeting
    file_id: str = Field(max_length=255)  # Telegram's, for sending and getFile
    file_unique_id: str | None = Field(default=None, max_length=64)
    file_name: str = Field(sa_column=Column(Text, nullable=False))
    mime_type: str | None = Field(default=None, max_length=128)
    size: int = 0
    added_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The message that carried the file in the group (a reply to it finds the attachment).
    source_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    removed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    removed_by_person_id: int | None = Field(default=None, foreign_key="person.id")
    # Its bytes, fetched with getFile after it was attached (for the export and the archive).
    stored_file_id: int | None = Field(default=None, foreign_key="outbox_file.id")


def add(session: Session, attachment: Attachment) -> Attachment:
    session.add(attachment)
    session.flush()
    return attachment


def next_number(session: Session, meeting_id: int) -> int:
    highest = session.exec(
        select(func.max(Attachment.number)).where(Attachment.meeting_id == meeting_id)
    ).one()
    return int(highest or 0) + 1


def get(session: Session, attachment_id: int) -> Attachment | None:
    return session.get(Attachment, attachment_id)


def of_meeting(
    session: Session, meeting_id: int, *, with_removed: bool = False
) -> list[Attachment]:
    query = select(Attachment).where(Attachment.meeting_id == meeting_id)
    if not with_removed:
        query = query.where(col(Attachment.removed_at).is_(None))
    return list(session.exec(query.order_by(col(Attachment.number))).all())


def of_meetings(session: Session, meeting_ids: list[int]) -> list[Attachment]:
    if not meeting_ids:
        return []
    return list(
        session.exec(
            select(Attachment)
            .where(col(Attachment.meeting_id).in_(meeting_ids))
            .where(col(Attachment.removed_at).is_(None))
            .order_by(col(Attachment.meeting_id), col(Attachment.number))
        ).all()
    )


def by_file(session: Session, meeting_id: int, file_unique_id: str) -> Attachment | None:
    """The same file attached twice to one meeting is one attachment."""
    return session.exec(
        select(Attachment)
        .where(Attachment.meeting_id == meeting_id)
        .where(Attachment.file_unique_id == file_unique_id)
        .where(col(Attachment.removed_at).is_(None))
    ).first()
