"""Protokoll versions and justering: drafts, approvals, locking, amendments.

A draft version stores the protokoll's canonical content and its SHA-256. The chair and every
justerare approve a version; when all have approved the same content hash, the version becomes
final (locked) and the database itself refuses any later change (migration 0006 triggers). A
later correction is a new version linked to the locked one (`amendment_of_id`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from delivery import outbox
from governance import protokoll as doc
from governance.reminder_times import local_instant
from i18n import N_
from services.errors import Refusal
from services.minutes import (
    Names,
    build_protokoll,
    content_of,
    doc_language,
    meeting_label,
    model_of,
    zone_of,
)
from services.partnerships import spec_of
from services.roles import Role
from storage import minutes as repo
from storage import people, reminders
from storage.models import (
    AuditEntry,
    Body,
    Justering,
    Meeting,
    Partnership,
    Person,
    ProtokollRecord,
)

__all__ = [
    "CHAIR",
    "JUSTERARE",
    "ProtokollState",
    "Verdict",
    "amend",
    "create_draft",
    "current_draft",
    "give_reason",
    "justera",
    "justering_due",
    "protokoll_state",
    "regenerate",
    "role_in_justering",
    "verify_record",
]

CHAIR, JUSTERARE = "chair", "justerare"
_ON_ITS_WAY = ("pending", "claimed", "paused")
_UNDELIVERED = ("failed", "uncertain", "skipped", "cancelled")


def draft_key(protokoll_id: int) -> str:
    """The outbox key of a protokoll version's post (chat text, PDF, DOCX, justering buttons)."""
    return f"protokoll:{protokoll_id}"


def final_key(protokoll_id: int) -> str:
    """The outbox key of the locked protokoll's post; its PDF is the archived file."""
    return f"protokoll:{protokoll_id}:final"


def post_key(session: Session, record: ProtokollRecord, now: datetime) -> str:
    """The key to queue a version's post under: its own, or a fresh one when that post never
    reached the chat (/utkast with nothing changed posts it again)."""
    assert record.id is not None
    key = draft_key(record.id)
    sent = outbox.delivery_of(session, key)
    if sent is not None and sent.state in _UNDELIVERED:
        key = f"{key}:again:{int(now.timestamp())}"
    return key


APPROVE, CHANGE = "approve", "change"


def _audit(
    session: Session, body: Body, actor: Role, action: str, now: datetime, **detail: object
) -> None:
    session.add(
        AuditEntry(
            partnership_id=body.partnership_id,
            at=now,
            actor_user_id=actor.person.telegram_user_id if actor.person else None,
            action=action,
            detail=dict(detail),
        )
    )


def _store(
    session: Session,
    meeting: Meeting,
    p: doc.Protokoll,
    now: datetime,
    amendment_of_id: int | None = None,
) -> ProtokollRecord:
    assert meeting.id is not None
    record = ProtokollRecord(
        meeting_id=meeting.id,
        version=repo.next_version(session, meeting.id),
        amendment_of_id=amendment_of_id,
        status="draft",
        content=content_of(p),
        content_hash=doc.content_hash(p),
        created_at=now,
    )
    session.add(record)
    session.flush()
    sync_justering_reminders(session, meeting, record, now=now)
    return record


def create_draft(
    session: Session, *, meeting: Meeting, names: Names, now: datetime
) -> ProtokollRecord:
    """The first draft at /motesslut, built from the recorded lines."""
    return _store(session, meeting, build_protokoll(session, meeting, names), now)


def current_draft(session: Session, body: Body) -> tuple[Meeting, ProtokollRecord] | None:
    """The newest version awaiting justering in this body (a draft or an amendment), if any."""
    assert body.id is not None
    for meeting in repo.closed_meetings(session, body.id):
        assert meeting.id is not None
        record = repo.latest_protokoll(session, meeting.id)
        if record is not None and record.status == "draft":
            return meeting, record
    return None


def regenerate(
    session: Session, *, body: Body, role: Role, names: Names, now: datetime
) -> tuple[Meeting, ProtokollRecord]:
    """/utkast: a new draft version after corrections (chair). With nothing changed, the current
    version comes back when its post never reached the chat (to be posted again)."""
    if not (role.is_chair or role.is_administrator):
        raise Refusal(N_("Only the chair can make a new draft of the minutes."))
    found = current_draft(session, body)
    if found is None:
        raise Refusal(N_("There are no minutes waiting for justering in this body."))
    meeting, previous = found
    if previous.amendment_of_id is not None:
        raise Refusal(N_("An amendment is waiting for justering; add to it with /tillagg."))
    p = build_protokoll(session, meeting, names)
    if doc.content_hash(p) == previous.content_hash:
        # Never "nothing changed" about a draft the chat has not got: it is on its way, or
        # (its delivery failed for good) it is posted again.
        assert previous.id is not None
        sent = outbox.delivery_of(session, draft_key(previous.id))
        if sent is not None and sent.state in _ON_ITS_WAY:
            raise Refusal(
                N_(
                    "Draft version {version} is recorded and on its way to this chat; it arrives as soon as Telegram lets the bot send it."
                ),
                version=previous.version,
            )
        if sent is not None and sent.state in _UNDELIVERED:
            return meeting, previous
        raise Refusal(
            N_("Nothing has changed since draft version {version}."), version=previous.version
        )
    record = _store(session, meeting, p, now)
    _audit(session, body, role, "protokoll.draft", now, protokoll_id=record.id)
    return meeting, record


def role_in_justering(role: Role, meeting: Meeting) -> str | None:
    """ "chair", "justerare", or None: only they approve, and only while members."""
    if role.person is None or not role.is_member:
        return None
    if role.is_chair:
        return CHAIR
    if role.person.id in (meeting.justerare_person_ids or []):
        return JUSTERARE
    return None


@dataclass(frozen=True)
class Verdict:
    record: ProtokollRecord
    meeting: Meeting
    verdict: str  # approve | change
    locked: bool  # this approval completed the justering
    waiting: tuple[str, ...]  # roles still to approve ("chair", "justerare")


def _approvals_complete(
    session: Session, record: ProtokollRecord, meeting: Meeting
) -> tuple[str, ...]:
    assert record.id is not None
    approved = {
        (j.role, j.person_id)
        for j in repo.justeringar_of(session, record.id)
        if j.verdict == APPROVE and j.content_hash == record.content_hash
    }
    waiting = []
    if not any(r == CHAIR for r, _p in approved):
        waiting.append(CHAIR)
    if any((JUSTERARE, pid) not in approved for pid in meeting.justerare_person_ids or []):
        waiting.append(JUSTERARE)
    return tuple(waiting)


def justera(
    session: Session,
    *,
    body: Body,
    role: Role,
    protokoll_id: int,
    approve: bool,
    now: datetime,
) -> Verdict:
    """Record the chair's or a justerare's verdict on a draft; lock it when all approved."""
    record = repo.get_protokoll(session, protokoll_id, lock=True)
    meeting = session.get(Meeting, record.meeting_id) if record is not None else None
    if record is None or meeting is None or meeting.body_id != body.id:
        raise Refusal(N_("This button is no longer valid."))
    who = role_in_justering(role, meeting)
    if who is None:
        raise Refusal(N_("Only the chair and the justerare can approve these minutes."))
    if record.status == "final":
        raise Refusal(N_("These minutes are already approved."))
    latest = repo.latest_protokoll(session, record.meeting_id)
    if latest is None or latest.id != record.id:
        raise Refusal(
            N_("This draft has been replaced by version {version}. Use the newest one."),
            version=latest.version if latest else "?",
        )
    assert role.person is not None and role.person.id is not None
    row = repo.get_justering(session, protokoll_id, role.person.id, who)
    verdict = APPROVE if approve else CHANGE
    if row is None:
        row = Justering(
            protokoll_id=protokoll_id,
            person_id=role.person.id,
            role=who,
            verdict=verdict,
            content_hash=record.content_hash,
            at=now,
        )
    else:
        row.verdict = verdict
        row.content_hash = record.content_hash
        row.reason = None
        row.at = now
    session.add(row)
    session.flush()
    _audit(session, body, role, f"protokoll.{verdict}", now, protokoll_id=protokoll_id, role=who)
    waiting = _approvals_complete(session, record, meeting)
    if not approve or waiting:
        sync_justering_reminders(session, meeting, record, now=now)
        return Verdict(record, meeting, verdict, False, waiting)
    final = doc.lock(model_of(record.content), approved_hash=record.content_hash)
    final = replace(final, justering=_stamp(session, body, record, final, now))
    record.content = content_of(final)
    record.status = "final"
    record.locked_at = now
    session.add(record)
    session.flush()
    _audit(session, body, role, "protokoll.lock", now, protokoll_id=protokoll_id)
    sync_justering_reminders(session, meeting, record, now=now)
    return Verdict(record, meeting, verdict, True, ())


def _stamp(
    session: Session, body: Body, record: ProtokollRecord, p: doc.Protokoll, now: datetime
) -> doc.JusteringStamp:
    """The justering as printed on the locked version: the last approval's local time, the
    names as the protokoll writes them, its paragraphs, its version; wet-signature lines when
    the partnership file asks for them."""
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    spec = spec_of(partnership)
    numbers = [item.number for item in p.items] or [0]
    return doc.JusteringStamp(
        at=now.astimezone(ZoneInfo(partnership.timezone)).strftime("%Y-%m-%dT%H:%M"),
        chair=p.chair,
        justerare=p.justerare,
        version=record.version,
        first=min(numbers),
        last=max(numbers),
        signature_lines=spec.body(body.kind).signature_lines,  # type: ignore[arg-type]
    )


def give_reason(
    session: Session, *, body: Body, role: Role, reason: str, now: datetime
) -> Justering | None:
    """The reason for a requested change: stored on the person's change verdict on the current
    draft (one is recorded if they had not pressed the button). None if nothing awaits it."""
    reason = reason.strip()
    found = current_draft(session, body)
    if found is None or role.person is None or role.person.id is None:
        return None
    meeting, record = found
    who = role_in_justering(role, meeting)
    if who is None:
        return None
    assert record.id is not None
    row = repo.get_justering(session, record.id, role.person.id, who)
    if row is None:
        row = Justering(
            protokoll_id=record.id,
            person_id=role.person.id,
            role=who,
            verdict=CHANGE,
            content_hash=record.content_hash,
            at=now,
        )
    elif row.verdict != CHANGE:
        row.verdict = CHANGE
    row.reason = reason[:2000]
    row.at = now
    session.add(row)
    session.flush()
    return row


def reason_from_reply(
    session: Session, *, body: Body, role: Role, text: str, now: datetime
) -> bool:
    """A plain reply to the bot as the reason for the change its author asked for; False when
    they are not waiting to give one."""
    if not awaiting_reason(session, body, role):
        return False
    give_reason(session, body=body, role=role, reason=text, now=now)
    return True


def awaiting_reason(session: Session, body: Body, role: Role) -> bool:
    """True if this person asked for a change on the current draft and gave no reason yet."""
    found = current_draft(session, body)
    if found is None or role.person is None or role.person.id is None:
        return False
    meeting, record = found
    who = role_in_justering(role, meeting)
    if who is None or record.id is None:
        return False
    row = repo.get_justering(session, record.id, role.person.id, who)
    return row is not None and row.verdict == CHANGE and not row.reason


def amend(
    session: Session, *, body: Body, role: Role, text: str, title: str, now: datetime
) -> tuple[Meeting, ProtokollRecord]:
    """/tillagg: a new version of the latest approved minutes with the addition as a new §,
    linked to the locked original (which never changes)."""
    if not role.is_chair:
        raise Refusal(N_("Only the chair can amend approved minutes."))
    text = text.strip()
    if not text:
        raise Refusal(N_("Write the amendment after the command, for example /tillagg …"))
    assert body.id is not None
    # The most recently held meeting whose minutes are approved.
    found = next(
        (
            (m, final)
            for m in repo.closed_meetings(session, body.id)
            if m.id is not None and (final := repo.latest_final(session, m.id)) is not None
        ),
        None,
    )
    if found is None:
        raise Refusal(N_("There are no approved minutes to amend."))
    meeting, original = found
    assert meeting.id is not None
    latest = repo.latest_protokoll(session, meeting.id)
    assert latest is not None
    base = model_of(latest.content)
    if latest.status == "final":
        base = doc.start_amendment(base)
        link = latest.id
    else:
        link = latest.amendment_of_id or original.id
    number = len(base.items) + 1
    p = replace(base, items=(*base.items, doc.Paragraph(number, title, (text,))))
    record = _store(session, meeting, p, now, amendment_of_id=link)
    _audit(session, body, role, "protokoll.amend", now, protokoll_id=record.id, of=link)
    return meeting, record


def verify_record(record: ProtokollRecord) -> bool:
    """The stored final content still hashes to the stored hash."""
    p = model_of(record.content)
    return doc.verify(p) and doc.content_hash(p) == record.content_hash


__all__ += ["APPROVE", "CHANGE", "awaiting_reason", "draft_key", "final_key", "post_key"]


# --- the protokoll's state, as the next kallelse and /moten state it ------------------------------


@dataclass(frozen=True)
class ProtokollState:
    """A held meeting's protokoll: justerat (when, with its hash) or not yet, and by when."""

    meeting: Meeting
    label: str  # the meeting's notation, "SG möte 3/2026"
    held_on: date
    approved_at: datetime | None  # when it was locked
    content_hash: str | None
    due_on: date  # the justering deadline (the file's justering_days after the meeting)
    overdue: bool


def justering_due(session: Session, body: Body, meeting: Meeting) -> date:
    """The day by which the chair and the justerare approve the protokoll."""
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    days = spec_of(partnership).body(body.kind).justering_days  # type: ignore[arg-type]
    held = (meeting.opened_at or meeting.starts_at).astimezone(zone_of(session, body)).date()
    return held + timedelta(days=days)


def protokoll_state(
    session: Session, body: Body, meeting: Meeting, *, today: date | None = None
) -> ProtokollState:
    assert meeting.id is not None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    final = repo.latest_final(session, meeting.id)
    held = (meeting.opened_at or meeting.starts_at).astimezone(zone_of(session, body)).date()
    due = justering_due(session, body, meeting)
    return ProtokollState(
        meeting=meeting,
        label=meeting_label(body, meeting, doc_language(partnership)),
        held_on=held,
        approved_at=final.locked_at if final is not None else None,
        content_hash=final.content_hash if final is not None else None,
        due_on=due,
        overdue=final is None and today is not None and today > due,
    )


# --- the justering deadline: reminders until both have approved -------------------------------

KIND_JUSTERING = "justering.due"
REMIND_DAYS_BEFORE = 2
OVERDUE_DAYS = 7  # daily after the deadline, for a week at most
REMINDER_AT = time(9, 0)


def justering_source(meeting_id: int) -> str:
    return f"justering:{meeting_id}"


def _waiting_people(
    session: Session, body: Body, meeting: Meeting, record: ProtokollRecord, today: date
) -> list[tuple[str, Person]]:
    """Who has still to approve this version: the chair and each justerare."""
    assert record.id is not None and body.id is not None
    approved = {
        (j.role, j.person_id)
        for j in repo.justeringar_of(session, record.id)
        if j.verdict == APPROVE and j.content_hash == record.content_hash
    }
    waiting: list[tuple[str, Person]] = []
    chair = people.current_chair(session, body.id, today)
    if chair is not None and not any(r == CHAIR for r, _p in approved):
        waiting.append((CHAIR, chair[1]))
    for pid in meeting.justerare_person_ids or []:
        person = session.get(Person, pid)
        if person is not None and (JUSTERARE, pid) not in approved:
            waiting.append((JUSTERARE, person))
    return waiting


def sync_justering_reminders(
    session: Session, meeting: Meeting, record: ProtokollRecord, *, now: datetime
) -> int:
    """Remind the chair and each justerare who has not approved the version awaiting justering:
    two days before the file's deadline, on it, and daily for a week after; privately where they
    have started the bot, else in the body's chat. None once it is locked."""
    assert meeting.id is not None and record.id is not None
    source = justering_source(meeting.id)
    body = session.get(Body, meeting.body_id)
    if body is None or record.status == "final":
        reminders.cancel_source(session, source, now)
        return 0
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    zone = zone_of(session, body)
    due = justering_due(session, body, meeting)
    days = [due - timedelta(days=REMIND_DAYS_BEFORE), due]
    days += [due + timedelta(days=n) for n in range(1, OVERDUE_DAYS + 1)]
    label = meeting_label(body, meeting, doc_language(partnership))
    specs = []
    for who, person in _waiting_people(session, body, meeting, record, now.astimezone(zone).date()):
        if person.erased or person.id is None:
            continue
        private = person.private_chat_id is not None
        chat_id = person.private_chat_id if private else body.chat_id
        if chat_id is None:
            continue
        for day in days:
            at = local_instant(day, REMINDER_AT, zone)
            if at <= now:
                continue
            specs.append(
                reminders.ReminderSpec(
                    kind=KIND_JUSTERING,
                    source=source,
                    dedupe_key=f"{source}:{record.id}:{person.id}:{day.isoformat()}",
                    chat_id=chat_id,
                    thread_id=None if private else body.thread_id,
                    person_id=person.id,
                    partnership_id=partnership.id,
                    due_at=at,
                    payload={
                        "role": who,
                        "person": person.formal_name
                        or " ".join(x for x in (person.first_name, person.last_name) if x),
                        "person_user_id": person.telegram_user_id,
                        "private": private,
                        "meeting": label,
                        "body_name": body.name,
                        "diarienummer": partnership.diarienummer,
                        "due": due.isoformat(),
                        "overdue": day > due,
                        "group_chat_id": body.chat_id,
                    },
                    language=partnership.language,
                )
            )
    reminders.replace_for_source(session, source, specs, now=now)
    return len(specs)
