"""Export of a whole partnership, and erasure of a member's personal data (GDPR)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, col, select

from governance.protokoll import Protokoll, from_canonical_json
from i18n import N_
from services.errors import Refusal
from storage import bodies, people, reminders
from storage.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AuditEntry,
    Ballot,
    Body,
    ChairTerm,
    Decision,
    Escalation,
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

ERASED_NAME = "Raderad ledamot"


def _row(obj: SQLModel) -> dict[str, Any]:
    values = {}
    for attr in sa_inspect(type(obj)).column_attrs:
        value = getattr(obj, attr.key)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        values[attr.key] = value
    return values


def _rows(session: Session, model: type[SQLModel], *where: Any) -> list[dict[str, Any]]:
    query = select(model)
    for condition in where:
        query = query.where(condition)
    return [_row(obj) for obj in session.exec(query.order_by(model.id)).all()]  # type: ignore[attr-defined]


def export_partnership(
    session: Session, partnership: Partnership, render_pdf: Callable[[Protokoll], bytes]
) -> tuple[bytes, str]:
    """A ZIP of everything stored about the partnership: JSON per table, and every final
    protokoll as PDF (the city files them in its records system)."""
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
    data = {
        "partnership": _row(partnership),
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
        "protokoll": _rows(
            session, ProtokollRecord, col(ProtokollRecord.meeting_id).in_(meeting_ids)
        ),
        "votes": _rows(session, Vote, col(Vote.id).in_(vote_ids)),
        "ballots": _rows(session, Ballot, col(Ballot.vote_id).in_(vote_ids)),
        "escalations": _rows(session, Escalation, Escalation.partnership_id == pid),
        "audit": _rows(session, AuditEntry, AuditEntry.partnership_id == pid),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "partnership.json", json.dumps(data, ensure_ascii=False, indent=2, default=str)
        )
        for record in session.exec(
            select(ProtokollRecord).where(
                col(ProtokollRecord.meeting_id).in_(meeting_ids),
                ProtokollRecord.status == "final",
            )
        ).all():
            model = from_canonical_json(json.dumps(record.content))
            name = f"protokoll/{record.meeting_id}-v{record.version}-{record.content_hash[:12]}.pdf"
            archive.writestr(name, render_pdf(model))
    slug = partnership.diarienummer.replace(" ", "-").replace("/", "-")
    return buffer.getvalue(), f"export-{slug}.zip"


def export_for(
    session: Session,
    *,
    chat_id: int,
    diarienummer: str,
    user_id: int | None,
    render_pdf: Callable[[Protokoll], bytes],
) -> tuple[bytes, str]:
    """/export: the partnership of this chat (or named by its diarienummer in a private chat),
    for its administrator only."""
    partnership = None
    body = bodies.get_body_by_chat(session, chat_id)
    if body is not None:
        partnership = session.get(Partnership, body.partnership_id)
    elif diarienummer:
        partnership = bodies.get_partnership_by_diarienummer(session, diarienummer)
    if partnership is None or partnership.id is None:
        raise Refusal(N_("Write /export in a linked group, or /export <diarienummer> here."))
    if user_id is None or not people.is_administrator(session, partnership.id, user_id):
        raise Refusal(N_("Only the partnership's administrator can export it."))
    return export_partnership(session, partnership, render_pdf)


def forget(session: Session, telegram_user_id: int, *, now: datetime) -> int:
    """/glomma_mig, confirmed: the person's own data erased."""
    person = people.get_person_by_telegram_id(session, telegram_user_id)
    if person is None:
        raise Refusal(N_("This request no longer exists."))
    return erase_person(session, person, now=now)


def erase_person(session: Session, person: Person, *, now: datetime) -> int:
    """Erase what the workflow no longer needs about a member; returns the memberships ended.

    Names in approved (locked) minutes stay: they are public records (offentlighetsprincipen),
    and the database refuses to change them anyway. Decisions, votes and minutes keep the
    pseudonymous person row they refer to."""
    if person.erased:
        raise Refusal(N_("Your personal data has already been erased."))
    assert person.id is not None
    ended = 0
    for membership, _body in people.body_memberships_of(session, person.id):
        if membership.status != MembershipStatus.LEFT:
            membership.status = MembershipStatus.LEFT
            membership.requested_party_id = None
            session.add(membership)
            ended += 1
    for rsvp in session.exec(select(Rsvp).where(Rsvp.person_id == person.id)).all():
        session.delete(rsvp)
    reminders.cancel_person(session, person.id, now=now)
    person.first_name = ERASED_NAME
    person.last_name = None
    person.username = None
    person.language_code = None
    person.private_chat_id = None
    person.erased = True
    session.add(person)
    session.add(AuditEntry(at=now, action="person.erased", detail={"person_id": person.id}))
    session.flush()
    return ended
