"""Documents on agenda items (handlingar): attach, list, remove; what the kallelse, the
protokoll and the export show of them.

A member attaches a file Telegram already holds (its `file_id`): by writing `/bilaga <punkt>`
as a reply to a document, or as the caption of a document sent in reply to the kallelse
(PRODUCT §10). Accepted: PDF, DOCX, XLSX, ODT and images, up to 20 MB (what a bot may fetch
with getFile, so the export can include it). A file name or caption that carries a
personnummer is refused, like any text. The chair (or the administrator) may remove one; its
number is kept ("Bilaga 2" stays Bilaga 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from sqlmodel import Session

from delivery import outbox
from governance.personnummer import contains_personal_identity_number
from i18n import N_
from services import minutes
from services.errors import Refusal
from services.roles import Role
from storage import attachments as repo
from storage import meetings as meeting_repo
from storage import minutes as minutes_repo
from storage.attachments import Attachment
from storage.models import AgendaItem, AuditEntry, Body, Meeting, MeetingStatus

__all__ = [
    "MAX_BYTES",
    "Attached",
    "ExportFiles",
    "FileInfo",
    "attach",
    "choices",
    "export_files",
    "keep_bytes",
    "of_meeting",
    "remove",
    "target_meeting",
]

MAX_BYTES = 20 * 1024 * 1024
KINDS = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".heic": "image/heic",
}
ACCEPTED_MIME = frozenset(KINDS.values())


@dataclass(frozen=True)
class FileInfo:
    """What Telegram told us about the file in the message."""

    file_id: str
    file_unique_id: str | None
    file_name: str
    mime_type: str | None
    size: int | None
    caption: str | None
    message_id: int | None


@dataclass(frozen=True)
class Attached:
    attachment: Attachment
    meeting: Meeting
    item: AgendaItem
    label: str  # the item's number ("5", "6.1")


def _check_file(info: FileInfo) -> None:
    if info.size is not None and info.size > MAX_BYTES:
        raise Refusal(
            N_("That file is {size} MB; documents up to 20 MB can be attached."),
            size=f"{info.size / 1024 / 1024:.1f}".replace(".", ","),
        )
    suffix = PurePosixPath(info.file_name.lower()).suffix
    if suffix not in KINDS and (info.mime_type or "") not in ACCEPTED_MIME:
        raise Refusal(N_("Attach PDF, DOCX, XLSX or ODT files, or images."))
    for text in (info.file_name, info.caption or ""):
        if contains_personal_identity_number(text):
            raise Refusal(
                N_(
                    "The file's name or caption looks like it contains a personnummer. Documents for the meeting are about the partnership, never about individuals: rename the file and send it again."
                )
            )


def target_meeting(
    session: Session, body: Body, *, replied_message_id: int | None, now: datetime
) -> Meeting:
    """The meeting a document goes to: the one whose kallelse was replied to; else the meeting
    in session; else the next one called (a draft too)."""
    assert body.id is not None
    if replied_message_id is not None:
        for meeting in meeting_repo.upcoming_meetings(session, body.id, now - minutes.EARLY_START):
            if meeting.kallelse_message_id == replied_message_id:
                return meeting
    in_session = minutes_repo.open_meeting(session, body.id)
    if in_session is not None:
        return in_session
    for meeting in meeting_repo.upcoming_meetings(session, body.id, now):
        if meeting.opened_at is None and meeting.status != MeetingStatus.CANCELLED:
            return meeting
    raise Refusal(
        N_("There is no meeting to attach documents to. The chair calls one with /kallelse.")
    )


def _shown_items(session: Session, meeting: Meeting) -> list[AgendaItem]:
    assert meeting.id is not None
    return [i for i in meeting_repo.agenda_of(session, meeting.id) if not i.dropped]


def choices(session: Session, meeting: Meeting) -> list[tuple[AgendaItem, str]]:
    """The items a document can go under, with their numbers."""
    items = _shown_items(session, meeting)
    labels = minutes.item_labels(items)
    return [(i, labels.get(i.id or 0, "")) for i in items]


def _item(session: Session, meeting: Meeting, ref: str) -> tuple[AgendaItem, str]:
    wanted = ref.strip().lstrip("§").strip().rstrip(".")
    for item, label in choices(session, meeting):
        if label == wanted or (str(item.id) == wanted and not wanted.isdigit()):
            return item, label
    raise Refusal(N_("There is no item {ref} on that agenda."), ref=ref.strip()[:20])


def _may_attach(role: Role) -> None:
    if not (role.is_member or role.can_manage_members):
        raise Refusal(N_("Only members of this body can attach documents. Use /jag first."))


def attach(
    session: Session,
    *,
    body: Body,
    role: Role,
    meeting_id: int,
    item_ref: str | None,
    item_id: int | None,
    info: FileInfo,
    now: datetime,
) -> Attached:
    """Attach the file to an item (by its number, or its id from a button)."""
    _may_attach(role)
    _check_file(info)
    meeting = meeting_repo.get_meeting(session, meeting_id)
    if meeting is None or meeting.body_id != body.id or meeting.id is None:
        raise Refusal(N_("This button is no longer valid."))
    if meeting.status == MeetingStatus.CANCELLED or meeting.closed_at is not None:
        raise Refusal(N_("That meeting is over or cancelled; documents can no longer be added."))
    if item_id is not None:
        found = next(((i, lab) for i, lab in choices(session, meeting) if i.id == item_id), None)
        if found is None:
            raise Refusal(N_("That item is no longer on the agenda."))
        item, label = found
    else:
        item, label = _item(session, meeting, item_ref or "")
    if info.file_unique_id is not None:
        twice = repo.by_file(session, meeting.id, info.file_unique_id)
        if twice is not None:
            raise Refusal(
                N_("That file is already attached to this meeting (Bilaga {number})."),
                number=twice.number,
            )
    assert item.id is not None
    attachment = repo.add(
        session,
        Attachment(
            meeting_id=meeting.id,
            agenda_item_id=item.id,
            number=repo.next_number(session, meeting.id),
            file_id=info.file_id,
            file_unique_id=info.file_unique_id,
            file_name=info.file_name[:255] or "bilaga",
            mime_type=info.mime_type,
            size=info.size or 0,
            added_by_person_id=role.person.id if role.person else None,
            added_at=now,
            source_message_id=info.message_id,
        ),
    )
    _audit(session, body, role, "attachment.add", now, attachment_id=attachment.id)
    return Attached(attachment, meeting, item, label)


def remove(
    session: Session, *, body: Body, role: Role, attachment_id: int, now: datetime
) -> tuple[Attachment, Meeting]:
    """The chair (or the administrator) removes a document; its number stays taken."""
    attachment = repo.get(session, attachment_id)
    meeting = session.get(Meeting, attachment.meeting_id) if attachment is not None else None
    if attachment is None or meeting is None or meeting.body_id != body.id:
        raise Refusal(N_("This button is no longer valid."))
    if not (role.is_chair or role.is_administrator):
        raise Refusal(N_("Only the chair or the administrator can remove a document."))
    if attachment.removed_at is not None:
        raise Refusal(N_("That document has already been removed."))
    if meeting.closed_at is not None:
        raise Refusal(N_("The meeting is over: its documents stay with its minutes."))
    attachment.removed_at = now
    attachment.removed_by_person_id = role.person.id if role.person else None
    session.add(attachment)
    session.flush()
    _audit(session, body, role, "attachment.remove", now, attachment_id=attachment.id)
    return attachment, meeting


def of_meeting(session: Session, meeting_id: int) -> list[Attachment]:
    return repo.of_meeting(session, meeting_id)


@dataclass(frozen=True)
class ExportFiles:
    files: list[tuple[str, bytes]]  # (path in the ZIP, the document's bytes)
    missing: list[str]  # paths of documents whose bytes could not be fetched


def export_files(session: Session, meeting_ids: list[int]) -> ExportFiles:
    """Every document still attached to these meetings, for the export ZIP: the bytes fetched
    from Telegram (getFile) when it was attached and kept since."""
    files, missing = [], []
    for a in repo.of_meetings(session, meeting_ids):
        path = f"bilagor/{a.meeting_id}/{a.number}-{_safe(a.file_name)}"
        data = outbox.file_data(session, a.stored_file_id) if a.stored_file_id else None
        if data is None:
            missing.append(path)
        else:
            files.append((path, data))
    return ExportFiles(files, missing)


def keep_bytes(session: Session, attachment_id: int, data: bytes, *, now: datetime) -> None:
    """The document's bytes, fetched from Telegram after it was attached: kept for the export
    (and the archive), as the protokoll's own files are."""
    attachment = repo.get(session, attachment_id)
    if attachment is None or attachment.stored_file_id is not None:
        return
    attachment.stored_file_id = outbox.store_file(
        session, attachment.file_name[:255], data, now=now, mime_type=attachment.mime_type
    )
    session.add(attachment)
    session.flush()


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip()
    return cleaned[:100] or "bilaga"


def _audit(
    session: Session, body: Body, role: Role, action: str, now: datetime, **detail: object
) -> None:
    session.add(
        AuditEntry(
            partnership_id=body.partnership_id,
            at=now,
            actor_user_id=role.person.telegram_user_id if role.person else None,
            action=action,
            detail=dict(detail),
        )
    )
