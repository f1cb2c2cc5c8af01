"""Data protection use cases (GDPR, OSL; PRODUCT §8): export of a partnership (recorded, for
its administrator only), the right of access, erasure, and the privacy notice.

What refers to a person is listed once, in `storage.personal_data`; access and erasure both
walk it, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, and_, cast, delete, not_, or_, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, col, select

from governance.privacy import ERASED_NAME, Identity, PrivacyNotice, notice_of, scrub, scrub_text
from governance.protokoll import Protokoll, from_canonical_json
from i18n import N_
from services import attachments
from services.errors import Refusal
from services.partnerships import spec_of
from storage import people
from storage.agreement_facts import AgreementFact
from storage.attachments import Attachment
from storage.calendar_feeds import CalendarSubscription
from storage.deadline_facts import DeadlineMet
from storage.models import (
    ActionItem,
    Administrator,
    AgendaItem,
    Attendance,
    AuditEntry,
    Ballot,
    Body,
    ChairTerm,
    Decision,
    Escalation,
    ExportRecord,
    Justering,
    Meeting,
    Membership,
    MembershipStatus,
    MinuteEntry,
    MinuteRevision,
    Partnership,
    Party,
    Person,
    ProtokollRecord,
    Rsvp,
    Vote,
)
from storage.personal_data import (
    ARCHIVED_OUTBOX_KEYS,
    CONFIDENTIAL_COLUMNS,
    JSON_COLUMNS,
    PERSON_COLUMNS,
    PLAIN_PERSON_ID_COLUMNS,
    TELEGRAM_ID_COLUMNS,
    TEXT_COLUMNS,
    PersonColumn,
)
from storage.reminders import OutboxFile, Reminder, ReminderState
from storage.reports import ActivityReport, ReportEntry

__all__ = [
    "ERASED_NAME",
    "ExportFile",
    "PersonalData",
    "erase_person",
    "export_partnership",
]

# Reminders and outbox rows for which nothing more will be sent.
FINISHED = (
    ReminderState.SENT,
    ReminderState.SKIPPED,
    ReminderState.CANCELLED,
    ReminderState.FAILED,
    ReminderState.UNCERTAIN,
)

EXPORT_SENT, EXPORT_QUEUED, EXPORT_WAITING, EXPORT_FAILED = "sent", "queued", "waiting", "failed"


# --- rows as JSON ------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_of(obj: SQLModel) -> dict[str, Any]:
    """A row as JSON, without its confidential columns (`CONFIDENTIAL_COLUMNS`)."""
    model = type(obj)
    return {
        attr.key: _value(getattr(obj, attr.key))
        for attr in sa_inspect(model).column_attrs
        if (model, attr.key) not in _CONFIDENTIAL
    }


_CONFIDENTIAL = set(CONFIDENTIAL_COLUMNS)


def _rows(session: Session, model: type[SQLModel], *where: Any) -> list[dict[str, Any]]:
    query = select(model)
    for condition in where:
        query = query.where(condition)
    return [row_of(obj) for obj in session.exec(query.order_by(model.id)).all()]  # type: ignore[attr-defined]


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def locked_meeting_ids(session: Session) -> set[int]:
    """Meetings whose minutes are approved and locked: public records."""
    return set(
        session.exec(
            select(ProtokollRecord.meeting_id).where(ProtokollRecord.status == "final")
        ).all()
    )


# --- export ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    filename: str
    summary: dict[str, Any]


def export_partnership(
    session: Session, partnership: Partnership, render_pdf: Callable[[Protokoll], bytes]
) -> tuple[bytes, str]:
    """A ZIP of everything stored about the partnership: JSON per table, and every final
    protokoll as PDF (the city files them in its records system)."""
    built = build_export(session, partnership, render_pdf)
    return built.data, built.filename


def build_export(
    session: Session, partnership: Partnership, render_pdf: Callable[[Protokoll], bytes]
) -> ExportFile:
    assert partnership.id is not None
    pid = partnership.id
    body_ids = [b.id for b in session.exec(select(Body).where(Body.partnership_id == pid)).all()]
    meeting_ids = [
        m.id for m in session.exec(select(Meeting).where(col(Meeting.body_id).in_(body_ids))).all()
    ]
    member_person_ids = {
        m.person_id
        for m in session.exec(select(Membership).where(col(Membership.body_id).in_(body_ids))).all()
    }
    entry_ids = [
        e.id
        for e in session.exec(
            select(MinuteEntry).where(col(MinuteEntry.meeting_id).in_(meeting_ids))
        ).all()
    ]
    vote_ids = [
        v.id for v in session.exec(select(Vote).where(col(Vote.body_id).in_(body_ids))).all()
    ]
    protokoll_ids = [
        p.id
        for p in session.exec(
            select(ProtokollRecord).where(col(ProtokollRecord.meeting_id).in_(meeting_ids))
        ).all()
    ]
    report_ids = [
        r.id
        for r in session.exec(
            select(ActivityReport).where(ActivityReport.partnership_id == pid)
        ).all()
    ]
    data: dict[str, Any] = {
        "partnership": row_of(partnership),
        "parties": _rows(session, Party, Party.partnership_id == pid),
        "bodies": _rows(session, Body, col(Body.id).in_(body_ids)),
        "people": [
            {k: v for k, v in row.items() if k != "private_chat_id"}
            for row in _rows(session, Person, col(Person.id).in_(member_person_ids))
        ],
        "memberships": _rows(session, Membership, col(Membership.body_id).in_(body_ids)),
        "chair_terms": _rows(session, ChairTerm, col(ChairTerm.body_id).in_(body_ids)),
        "meetings": _rows(session, Meeting, col(Meeting.id).in_(meeting_ids)),
        "agenda_items": _rows(session, AgendaItem, col(AgendaItem.body_id).in_(body_ids)),
        "rsvps": _rows(session, Rsvp, col(Rsvp.meeting_id).in_(meeting_ids)),
        "attendance": _rows(session, Attendance, col(Attendance.meeting_id).in_(meeting_ids)),
        "minute_entries": _rows(session, MinuteEntry, col(MinuteEntry.id).in_(entry_ids)),
        "minute_revisions": _rows(
            session, MinuteRevision, col(MinuteRevision.entry_id).in_(entry_ids)
        ),
        "decisions": _rows(session, Decision, col(Decision.body_id).in_(body_ids)),
        "action_items": _rows(session, ActionItem, col(ActionItem.body_id).in_(body_ids)),
        "protokoll": _rows(session, ProtokollRecord, col(ProtokollRecord.id).in_(protokoll_ids)),
        "justering": _rows(session, Justering, col(Justering.protokoll_id).in_(protokoll_ids)),
        "votes": _rows(session, Vote, col(Vote.id).in_(vote_ids)),
        "ballots": _rows(session, Ballot, col(Ballot.vote_id).in_(vote_ids)),
        "escalations": _rows(session, Escalation, Escalation.partnership_id == pid),
        "attachments": _rows(session, Attachment, col(Attachment.meeting_id).in_(meeting_ids)),
        "audit": _rows(session, AuditEntry, AuditEntry.partnership_id == pid),
        "exports": _rows(session, ExportRecord, ExportRecord.partnership_id == pid),
        "administrators": _rows(session, Administrator, Administrator.partnership_id == pid),
        "calendar_subscriptions": _rows(
            session, CalendarSubscription, col(CalendarSubscription.body_id).in_(body_ids)
        ),
        "deadlines_met": _rows(session, DeadlineMet, DeadlineMet.partnership_id == pid),
        "agreement_facts": _rows(session, AgreementFact, AgreementFact.partnership_id == pid),
        "activity_reports": _rows(session, ActivityReport, col(ActivityReport.id).in_(report_ids)),
        "report_entries": _rows(session, ReportEntry, col(ReportEntry.report_id).in_(report_ids)),
    }
    buffer = io.BytesIO()
    pdfs = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("partnership.json", _json_bytes(data))
        for record in session.exec(
            select(ProtokollRecord)
            .where(
                col(ProtokollRecord.meeting_id).in_(meeting_ids),
                ProtokollRecord.status == "final",
            )
            .order_by(col(ProtokollRecord.id))
        ).all():
            name = f"protokoll/{record.meeting_id}-v{record.version}-{record.content_hash[:12]}.pdf"
            # PDFs are compressed already: stored as they are, not deflated again.
            archive.writestr(name, _final_pdf(session, record, render_pdf), zipfile.ZIP_STORED)
            pdfs += 1
        # The meetings' documents (handlingar), as fetched from Telegram when attached.
        documents = attachments.export_files(session, [m for m in meeting_ids if m is not None])
        for path, content in documents.files:
            archive.writestr(path, content)
        if documents.missing:
            archive.writestr("bilagor/SAKNAS.txt", "\n".join(documents.missing) + "\n")
    payload = buffer.getvalue()
    slug = partnership.diarienummer.replace(" ", "-").replace("/", "-")
    filename = f"export-{slug}.zip"
    summary = {
        "filename": filename,
        "bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "rows": {key: len(value) for key, value in data.items() if isinstance(value, list)},
        "protokoll_pdfs": pdfs,
        "documents": len(documents.files),
    }
    return ExportFile(payload, filename, summary)


def _final_pdf(
    session: Session, record: ProtokollRecord, render_pdf: Callable[[Protokoll], bytes]
) -> bytes:
    """The locked minutes' archived PDF (the bytes sent when they were locked); rendered again
    only for minutes locked before the outbox kept archives. Reading the archive keeps the
    export fast: rendering every PDF again would hold the transaction for seconds each."""
    from delivery import outbox
    from services.justering import final_key

    assert record.id is not None
    for filename, file_id in outbox.files_of(session, final_key(record.id)):
        if filename.lower().endswith(".pdf"):
            stored = outbox.file_data(session, file_id)
            if stored:
                return stored
    return render_pdf(from_canonical_json(json.dumps(record.content)))


def request_export(
    session: Session,
    *,
    partnership: Partnership,
    person: Person,
    in_group: bool,
    now: datetime,
) -> ExportRecord:
    """Record an administrator's export request; refused for anyone else. The file goes to
    their private chat only: `status` says whether it can go now (queued) or waits for them
    to open the private chat (waiting)."""
    assert partnership.id is not None and person.id is not None
    if not people.is_administrator(session, partnership.id, person.telegram_user_id):
        raise Refusal(N_("Only the partnership's administrator can export it."))
    record = ExportRecord(
        partnership_id=partnership.id,
        requested_by_person_id=person.id,
        requested_at=now,
        requested_in="group" if in_group else "private",
        status=EXPORT_QUEUED if person.private_chat_id is not None else EXPORT_WAITING,
    )
    session.add(record)
    session.flush()
    session.add(
        AuditEntry(
            partnership_id=partnership.id,
            at=now,
            actor_user_id=person.telegram_user_id,
            action="partnership.export_requested",
            detail={"export_id": record.id, "in": record.requested_in},
        )
    )
    session.flush()
    return record


def waiting_exports(session: Session, person: Person) -> list[ExportRecord]:
    """Exports the person asked for before they had opened the private chat."""
    assert person.id is not None
    return list(
        session.exec(
            select(ExportRecord)
            .where(
                ExportRecord.requested_by_person_id == person.id,
                ExportRecord.status == EXPORT_WAITING,
            )
            .order_by(col(ExportRecord.id))
        ).all()
    )


def release_waiting_exports(session: Session, person: Person) -> list[ExportRecord]:
    """The person opened the private chat: their waiting exports can go now."""
    released = []
    for record in waiting_exports(session, person):
        assert record.partnership_id is not None
        if not people.is_administrator(session, record.partnership_id, person.telegram_user_id):
            record.status = EXPORT_FAILED
            record.summary = {**record.summary, "reason": "no_longer_administrator"}
        else:
            record.status = EXPORT_QUEUED
            released.append(record)
        session.add(record)
    session.flush()
    return released


def resume_private_chat(session: Session, person: Person, *, now: datetime) -> int:
    """The person opened (or unblocked) the private chat: what was held back for it, such as an
    export the bot could not deliver while blocked, is due again."""
    from storage import reminders

    if person.private_chat_id is None:
        return 0
    return reminders.resume_chat(session, person.private_chat_id, now=now)


def export_targets(
    session: Session, *, chat_id: int, telegram_user_id: int | None, diarienummer: str
) -> list[Partnership]:
    """Which partnership /export means: the linked chat's; in private the one named, else
    every partnership the person administers (the handler asks with buttons when several)."""
    from storage import bodies

    body = bodies.get_body_by_chat(session, chat_id)
    if body is not None:
        partnership = session.get(Partnership, body.partnership_id)
        assert partnership is not None
        return [partnership]
    if diarienummer:
        found = bodies.get_partnership_by_diarienummer(session, diarienummer)
        if found is None:
            raise Refusal(
                N_("No partnership has the diarienummer {diarienummer}."),
                diarienummer=diarienummer,
            )
        return [found]
    administered = (
        people.administrator_partnership_ids(session, telegram_user_id)
        if telegram_user_id is not None
        else []
    )
    if not administered:
        raise Refusal(N_("Only the partnership's administrator can export it."))
    return [p for p in bodies.list_partnerships(session) if p.id in administered]


def export_key(export_id: int) -> str:
    return f"export:{export_id}"


def queue_export(
    session: Session,
    record: ExportRecord,
    render_pdf: Callable[[Protokoll], bytes],
    *,
    caption: str,
    now: datetime,
) -> bool:
    """Build the recorded export's ZIP as the data stand now and queue it, in this transaction,
    to the administrator's private chat through the outbox. False (and the record failed) when
    it cannot go: no private chat, or no longer the administrator."""
    from delivery import outbox

    assert record.id is not None
    person = (
        session.get(Person, record.requested_by_person_id)
        if record.requested_by_person_id
        else None
    )
    partnership = session.get(Partnership, record.partnership_id)
    if (
        person is None
        or person.private_chat_id is None
        or partnership is None
        or partnership.id is None
        or not people.is_administrator(session, partnership.id, person.telegram_user_id)
    ):
        record.status = EXPORT_FAILED
        session.add(record)
        session.flush()
        return False
    built = build_export(session, partnership, render_pdf)
    record.summary = built.summary
    record.built_at = now
    record.status = EXPORT_QUEUED
    session.add(record)
    outbox.send(
        session,
        key=export_key(record.id),
        chat_id=person.private_chat_id,
        parts=[outbox.Document(built.filename, data=built.data, caption=caption, mime_type=ZIP)],
        now=now,
        partnership_id=partnership.id,
        person_id=person.id,
        on_sent=EXPORT_SENT_HOOK,
        hook={"export_id": record.id},
    )
    session.flush()
    return True


ZIP = "application/zip"
EXPORT_SENT_HOOK = "privacy.export"


def _export_sent(session: Session, sent: Any) -> None:
    """The ZIP reached the administrator: recorded, and its bytes not kept (the outbox would
    otherwise hold a copy of the whole partnership)."""
    from delivery import outbox

    record = session.get(ExportRecord, int(sent.data["export_id"]))
    row = session.exec(select(Reminder).where(Reminder.dedupe_key == sent.key)).first()
    if record is not None:
        record.status = EXPORT_SENT
        record.sent_at = row.sent_at if row is not None else None
        session.add(record)
    delete_files(session, [file_id for _name, file_id in outbox.files_of(session, sent.key)])
    session.flush()


def install_hooks() -> None:
    from delivery import hooks

    hooks.register(EXPORT_SENT_HOOK, _export_sent)


install_hooks()


@dataclass(frozen=True)
class ExportListing:
    partnership: Partnership
    record: ExportRecord
    requested_by: Person | None


def export_log(session: Session, telegram_user_id: int, *, limit: int = 20) -> list[ExportListing]:
    """The latest exports of every partnership this person administers, newest first."""
    partnership_ids = people.administrator_partnership_ids(session, telegram_user_id)
    if not partnership_ids:
        raise Refusal(N_("Only the partnership's administrator can see its exports."))
    rows = session.exec(
        select(ExportRecord, Partnership)
        .join(Partnership, col(Partnership.id) == ExportRecord.partnership_id)
        .where(col(ExportRecord.partnership_id).in_(partnership_ids))
        .order_by(col(ExportRecord.requested_at).desc(), col(ExportRecord.id).desc())
        .limit(limit)
    ).all()
    out = []
    for record, partnership in rows:
        by = (
            session.get(Person, record.requested_by_person_id)
            if record.requested_by_person_id
            else None
        )
        out.append(ExportListing(partnership, record, by))
    return out


# --- the right of access ----------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipLine:
    partnership: str  # diarienummer
    body: str
    party: str | None
    status: str


@dataclass
class PersonalData:
    """Everything stored about one person, and a few facts for the readable summary."""

    person: Person
    sections: dict[str, list[dict[str, Any]]]
    labels: dict[str, str]  # section -> N_() label
    memberships: list[MembershipLine] = field(default_factory=list)
    chair_of: list[str] = field(default_factory=list)  # body names where chair now
    administrator_of: list[str] = field(default_factory=list)  # diarienummer

    def counts(self) -> list[tuple[str, int]]:
        return [(self.labels[k], len(v)) for k, v in self.sections.items() if v]

    def to_json(self) -> bytes:
        person = row_of(self.person)
        return _json_bytes({"person": person, **self.sections})


def _person_rows(session: Session, entry: PersonColumn, person_id: int) -> list[dict[str, Any]]:
    return _rows(session, entry.model, entry.attribute == person_id)


def personal_data(session: Session, person: Person, *, today: date) -> PersonalData:
    """The right of access (GDPR art. 15): every row that refers to the person."""
    assert person.id is not None
    sections: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, str] = {}
    for entry in (*PERSON_COLUMNS, *PLAIN_PERSON_ID_COLUMNS):
        sections[entry.key] = _person_rows(session, entry, person.id)
        labels[entry.key] = entry.label
    ids = _telegram_ids(person)
    for tg in TELEGRAM_ID_COLUMNS:
        sections[tg.key] = _rows(session, tg.model, col(tg.attribute).in_(ids))
        labels[tg.key] = tg.label
    # Audit rows about the person that someone else wrote: the row, without the other actor.
    about = [
        {**row_of(entry), "actor_user_id": None}
        for entry in session.exec(
            select(AuditEntry).where(cast(AuditEntry.detail, Text).contains('"person_id"'))
        ).all()
        if _mentions_person_id(entry.detail, person.id) and entry.actor_user_id not in ids
    ]
    sections["audit_about_you"] = about
    labels["audit_about_you"] = N_("entries in the audit trail about you")
    admin_rows = session.exec(
        select(Administrator, Partnership)
        .join(Partnership, col(Partnership.id) == Administrator.partnership_id)
        .where(col(Administrator.telegram_user_id).in_(ids))
    ).all()
    sections["administrator"] = [
        {"partnership": p.diarienummer, "source": a.source} for a, p in admin_rows
    ]
    labels["administrator"] = N_("partnerships you administer")

    memberships = []
    for membership, body in people.body_memberships_of(session, person.id):
        partnership = session.get(Partnership, body.partnership_id)
        party = session.get(Party, membership.party_id or membership.requested_party_id or -1)
        memberships.append(
            MembershipLine(
                partnership=partnership.diarienummer if partnership else "",
                body=body.name,
                party=party.name if party else None,
                status=membership.status,
            )
        )
    chair_of = []
    for _membership, body in people.body_memberships_of(session, person.id):
        assert body.id is not None
        found = people.current_chair(session, body.id, today)
        if found is not None and found[1].id == person.id:
            chair_of.append(body.name)
    return PersonalData(
        person=person,
        sections=sections,
        labels=labels,
        memberships=memberships,
        chair_of=chair_of,
        administrator_of=sorted(p.diarienummer for _a, p in admin_rows),
    )


def _mentions_person_id(value: Any, person_id: int) -> bool:
    if isinstance(value, dict):
        return any(
            (key == "person_id" and item == person_id) or _mentions_person_id(item, person_id)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_mentions_person_id(item, person_id) for item in value)
    return False


def _telegram_ids(person: Person) -> list[int]:
    ids = {person.telegram_user_id}
    if person.private_chat_id is not None:
        ids.add(person.private_chat_id)
    return sorted(i for i in ids if i > 0)


# --- erasure ----------------------------------------------------------------------------------


def identity_of(person: Person) -> Identity:
    return Identity(
        first_name=person.first_name or "",
        last_name=person.last_name,
        username=person.username,
        formal_name=person.formal_name,
        ids=frozenset(_telegram_ids(person)),
    )


def pseudonym_of(person: Person) -> int:
    """What an erased person's Telegram id becomes: negative, so never a real user's."""
    assert person.id is not None
    return -person.id


@dataclass
class ErasureResult:
    memberships_ended: int = 0
    rows_deleted: int = 0
    rows_scrubbed: int = 0


def erase_person(
    session: Session, person: Person, *, now: datetime, reason: str = "request"
) -> int:
    """Erase a person: afterwards nothing identifying them remains outside locked minutes.

    Their person row stays as a pseudonym (decisions, votes and minutes refer to it): names,
    username, language and private chat go, and the Telegram id becomes the pseudonym. Rows
    that only served them (answers to kallelser, reminders) are deleted; names others typed in
    unlocked minutes, agendas, questions and reminders are replaced by a neutral label; audit
    rows keep the pseudonym as actor. Approved, locked minutes keep names: they are public
    records (offentlighetsprincipen), and the database refuses to change them anyway.
    Returns the memberships ended."""
    return erase(session, person, now=now, reason=reason).memberships_ended


def erase(session: Session, person: Person, *, now: datetime, reason: str) -> ErasureResult:
    if person.erased:
        raise Refusal(N_("Your personal data has already been erased."))
    assert person.id is not None
    result = ErasureResult()
    identity = identity_of(person)
    pseudonym = pseudonym_of(person)
    ids = sorted(identity.ids)

    for membership, _body in people.body_memberships_of(session, person.id):
        if membership.status in (MembershipStatus.PENDING, MembershipStatus.CONFIRMED):
            membership.status = MembershipStatus.LEFT
            membership.ended_at = now
            result.memberships_ended += 1
        membership.requested_party_id = None
        membership.request_message_id = None
        session.add(membership)
    session.flush()

    for entry in (*PERSON_COLUMNS, *PLAIN_PERSON_ID_COLUMNS):
        if entry.erase == "delete":
            deleted = session.execute(
                delete(entry.model)
                .where(entry.attribute == person.id)
                .execution_options(synchronize_session=False)
            )
            result.rows_deleted += int(deleted.rowcount or 0)  # type: ignore[attr-defined]

    if ids:
        for tg in TELEGRAM_ID_COLUMNS:
            session.execute(
                update(tg.model)
                .where(col(tg.attribute).in_(ids))
                .values({tg.column: pseudonym})
                .execution_options(synchronize_session=False)
            )

    # Documents already delivered (exports, invitations) may name the person: not kept.
    result.rows_deleted += purge_delivered_files(session)
    locked = locked_meeting_ids(session)
    result.rows_scrubbed += _scrub_texts(session, identity, locked)
    result.rows_scrubbed += _scrub_json(session, identity)

    person.first_name = ERASED_NAME
    person.last_name = None
    person.username = None
    person.language_code = None
    person.private_chat_id = None
    person.notice_shown_at = None
    person.formal_name = None
    person.formal_title = None
    person.telegram_user_id = pseudonym
    person.erased = True
    session.add(person)
    session.add(
        AuditEntry(
            at=now,
            actor_user_id=pseudonym if reason == "request" else None,
            action="person.erased",
            detail={"person_id": person.id, "reason": reason},
        )
    )
    session.flush()
    return result


def _scrub_texts(session: Session, identity: Identity, locked: set[int]) -> int:
    changed = 0
    for text_column in TEXT_COLUMNS:
        model = text_column.model
        attribute = getattr(model, text_column.column)
        terms = identity.search_terms()
        if not terms:
            continue
        query = select(model).where(
            or_(*(col(attribute).icontains(term, autoescape=True) for term in terms))
        )
        for row in session.exec(query).all():
            if text_column.meeting_column is not None:
                meeting_id = getattr(row, text_column.meeting_column)
                if meeting_id is not None and meeting_id in locked:
                    continue
            before = getattr(row, text_column.column)
            if before is None:
                continue
            after = scrub_text(before, identity)
            if after != before and _change_unless_locked(session, row, text_column.column, after):
                changed += 1
    session.flush()
    return changed


def _change_unless_locked(session: Session, row: SQLModel, column: str, value: Any) -> bool:
    """Write one scrubbed value in a savepoint. A row the database itself refuses to change (a
    paragraph approved at the meeting, locked minutes: its triggers) is a public record and is
    left as it is; the rest of the erasure goes on."""
    try:
        with session.begin_nested():
            setattr(row, column, value)
            session.add(row)
            session.flush()
    except DBAPIError:
        session.refresh(row)
        return False
    return True


def _json_terms(identity: Identity) -> list[str]:
    """Search terms as they appear inside stored JSON (non-ASCII letters escaped)."""
    terms = set()
    for term in identity.search_terms():
        terms.add(term)
        terms.add(json.dumps(term)[1:-1])
    return sorted(terms)


def _scrub_json(session: Session, identity: Identity) -> int:
    changed = 0
    terms = _json_terms(identity)
    if not terms:
        return 0
    for json_column in JSON_COLUMNS:
        model = json_column.model
        attribute = getattr(model, json_column.column)
        text = cast(attribute, Text)
        query = select(model).where(or_(*(text.icontains(term, autoescape=True) for term in terms)))
        if json_column.unless is not None:
            name, value = json_column.unless
            query = query.where(getattr(model, name) != value)
        if json_column.only_if_set is not None:
            query = query.where(col(getattr(model, json_column.only_if_set)).is_not(None))
        for row in session.exec(query).all():
            before = getattr(row, json_column.column)
            after = scrub(before, identity)
            if after != before and _change_unless_locked(session, row, json_column.column, after):
                changed += 1
    session.flush()
    return changed


# --- documents kept by the outbox -------------------------------------------------------------


def not_archived() -> Any:
    """Outbox rows that are not archives (the locked protokoll's PDF is kept for good)."""
    return and_(*(not_(col(Reminder.dedupe_key).like(p)) for p in ARCHIVED_OUTBOX_KEYS))


def file_ids(payload: Any) -> list[int]:
    """The documents an outbox row stored (its parts of type "doc")."""
    parts = payload.get("parts") if isinstance(payload, dict) else None
    return [
        int(part["file"])
        for part in parts or []
        if isinstance(part, dict) and part.get("t") == "doc" and isinstance(part.get("file"), int)
    ]


def delete_files(session: Session, ids: list[int]) -> int:
    if not ids:
        return 0
    result = session.execute(
        delete(OutboxFile)
        .where(col(OutboxFile.id).in_(sorted(set(ids))))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_delivered_files(session: Session) -> int:
    """Documents the outbox has finished with (sent, or given up on) are not kept: an export,
    an invitation. Archives stay."""
    rows = session.exec(
        select(Reminder.payload).where(
            col(Reminder.state).in_(FINISHED),
            not_archived(),
            cast(Reminder.payload, Text).contains('"doc"'),
        )
    ).all()
    return delete_files(session, [f for payload in rows for f in file_ids(payload)])


# --- the privacy notice -----------------------------------------------------------------------


def notice_for_partnership(partnership: Partnership) -> PrivacyNotice:
    return notice_of(spec_of(partnership))


def notices_for(session: Session, *, chat_id: int, telegram_user_id: int) -> list[PrivacyNotice]:
    """The notice of the chat's partnership; in private, of the person's partnerships (or of
    every partnership the bot serves, for someone who belongs to none yet)."""
    from storage import bodies

    body = bodies.get_body_by_chat(session, chat_id)
    if body is not None:
        partnership = session.get(Partnership, body.partnership_id)
        assert partnership is not None
        return [notice_for_partnership(partnership)]
    ids: set[int] = set(people.administrator_partnership_ids(session, telegram_user_id))
    person = people.get_person_by_telegram_id(session, telegram_user_id)
    if person is not None and person.id is not None:
        ids |= {b.partnership_id for _m, b in people.body_memberships_of(session, person.id)}
    chosen = [p for p in bodies.list_partnerships(session) if not ids or p.id in ids]
    return [notice_for_partnership(p) for p in chosen]


def notice_on_first_registration(
    session: Session, person: Person, partnership: Partnership, *, now: datetime
) -> PrivacyNotice | None:
    """The notice to show a person who registers (/jag) for the first time; None afterwards."""
    if person.notice_shown_at is not None or person.erased:
        return None
    person.notice_shown_at = now
    session.add(person)
    session.flush()
    return notice_for_partnership(partnership)


def forget(session: Session, telegram_user_id: int, *, now: datetime) -> int:
    """/glomma_mig, confirmed: the person's own data erased."""
    person = people.get_person_by_telegram_id(session, telegram_user_id)
    if person is None:
        raise Refusal(N_("This request no longer exists."))
    return erase_person(session, person, now=now)
