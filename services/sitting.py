"""What the chat shows of a meeting in session: the attendance sheet, the choice of justerare,
and the current item with what it carries (open action items, the previous minutes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlmodel import Session

from governance import agenda as rules
from i18n import N_
from services import actions, justering
from services import minutes as service
from services.errors import Refusal
from services.people import Named, find, find_all
from services.roles import Role
from storage import meetings as meeting_repo
from storage import minutes as repo
from storage import people
from storage.models import (
    ActionItem,
    Attendance,
    Body,
    ChairTerm,
    Meeting,
    MinuteEntry,
    Party,
    Person,
    ProtokollRecord,
)


@dataclass(frozen=True)
class AttendanceSheet:
    meeting_id: int
    rows: list[tuple[Attendance, Person, Party | None]]


@dataclass(frozen=True)
class JusterareChoice:
    meeting_id: int
    chosen: list[Person]
    chosen_ids: list[int]
    candidates: list[Person]  # present, and not the chair (and a chosen one marked absent)
    absent: list[Person] = field(default_factory=list)  # chosen, but marked absent


@dataclass(frozen=True)
class PreviousMinutes:
    label: str
    approved: bool
    content_hash: str | None = None
    intact: bool = True


@dataclass(frozen=True)
class CurrentItem:
    position: service.Position
    open_items: list[tuple[ActionItem, Person]] | None = None  # under "follow-up"
    previous: PreviousMinutes | None = None  # under "previous minutes"
    no_previous: bool = False


def attendance_sheet(session: Session, meeting: Meeting) -> AttendanceSheet:
    assert meeting.id is not None
    return AttendanceSheet(meeting.id, list(repo.attendance_of(session, meeting.id)))


def justerare_choice(
    session: Session,
    body: Body,
    meeting: Meeting,
    today: date,
    *,
    sheet: AttendanceSheet | None = None,
    chair: tuple[ChairTerm, Person] | Literal["unread"] | None = "unread",
) -> JusterareChoice:
    """Who may be chosen; `sheet` and `chair`: the meeting's attendance and the body's chair
    today, when the caller has read them already (the meeting panel)."""
    assert meeting.id is not None and body.id is not None
    ids = list(meeting.justerare_person_ids or [])
    chosen = [p for p in (session.get(Person, pid) for pid in ids) if p is not None]
    if chair == "unread":
        chair = people.current_chair(session, body.id, today)
    chair_id = chair[1].id if chair else None
    rows = sheet.rows if sheet is not None else repo.attendance_of(session, meeting.id)
    absent = [person for row, person, _party in rows if person.id in ids and not row.present]
    candidates = [
        person
        for row, person, _party in rows
        if (row.present or person.id in ids) and person.id != chair_id
    ]
    return JusterareChoice(meeting.id, chosen, ids, candidates, absent)


def current_item(session: Session, body: Body, position: service.Position) -> CurrentItem:
    key = position.item.standard_key if position.item is not None else None
    assert body.id is not None
    if key == rules.StandardKey.FOLLOWUP:
        return CurrentItem(position, open_items=actions.open_action_items(session, body.id))
    if key == rules.StandardKey.PREVIOUS_MINUTES:
        previous = repo.previous_closed_meeting(session, body.id, before_id=position.meeting.id)
        if previous is None or previous.id is None:
            return CurrentItem(position, no_previous=True)
        label = service.meeting_label(body, previous)
        final = repo.latest_final(session, previous.id)
        if final is None:
            return CurrentItem(position, previous=PreviousMinutes(label, approved=False))
        return CurrentItem(
            position,
            previous=PreviousMinutes(
                label,
                approved=True,
                content_hash=final.content_hash,
                intact=justering.verify_record(final),
            ),
        )
    return CurrentItem(position)


# --- use cases of the live meeting -------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    meeting: Meeting
    label: str
    minute_taker: Person | None
    sheet: AttendanceSheet
    choice: JusterareChoice
    current: CurrentItem


def open_sitting(
    session: Session,
    *,
    body: Body,
    role: Role,
    justerare: list[Named],
    now: datetime,
    today: date,
) -> Opened:
    """/motesstart [@justerare …]: the next published meeting opens."""
    chosen, unknown = find_all(session, justerare)
    if unknown:
        raise Refusal(
            N_("I do not know {name} yet: they need to write in this chat first."),
            name=unknown[0],
        )
    meeting = service.start_meeting(
        session, body=body, role=role, justerare=chosen, now=now, today=today
    )
    taker = (
        session.get(Person, meeting.minute_taker_person_id)
        if meeting.minute_taker_person_id
        else None
    )
    return Opened(
        meeting,
        service.meeting_label(body, meeting),
        taker,
        attendance_sheet(session, meeting),
        justerare_choice(session, body, meeting, today),
        current_item(session, body, service.current_position(session, meeting)),
    )


def attendance(session: Session, *, body: Body, role: Role) -> AttendanceSheet:
    """/narvaro: the sheet of the meeting in session, for whoever leads it."""
    meeting = service.open_meeting_of(session, body)
    if not service.may_lead(role, meeting):
        raise Refusal(
            N_("Only the chair or the person writing the minutes can do that during the meeting.")
        )
    return attendance_sheet(session, meeting)


def toggle_attendance(
    session: Session, *, body: Body, role: Role, meeting_id: int, person_id: int, now: datetime
) -> AttendanceSheet:
    service.set_attendance(
        session,
        body=body,
        role=role,
        meeting_id=meeting_id,
        person_id=person_id,
        present=None,
        now=now,
    )
    meeting = session.get(Meeting, meeting_id)
    assert meeting is not None
    return attendance_sheet(session, meeting)


def justerare_warning(
    session: Session, *, body: Body, meeting_id: int, today: date
) -> JusterareChoice | None:
    """The choice of justerare when one chosen is marked absent (else None)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not meeting.justerare_person_ids:
        return None
    choice = justerare_choice(session, body, meeting, today)
    return choice if choice.absent else None


def toggle_justerare(
    session: Session, *, body: Body, role: Role, meeting_id: int, person_id: int, today: date
) -> JusterareChoice:
    meeting = service.toggle_justerare(
        session, body=body, role=role, meeting_id=meeting_id, person_id=person_id, today=today
    )
    return justerare_choice(session, body, meeting, today)


def next_item(session: Session, *, body: Body, role: Role, now: datetime) -> CurrentItem:
    """/nasta: the meeting moves on to the next item."""
    return current_item(session, body, service.next_item(session, body=body, role=role, now=now))


def record_action(
    session: Session,
    *,
    body: Body,
    role: Role,
    owner: Named | None,
    due_on: date,
    text: str,
    source_message_id: int | None,
    now: datetime,
    today: date,
) -> tuple[MinuteEntry, ActionItem, Person]:
    """/uppgift @name date text: an action item of the meeting in session."""
    person = find(session, owner) if owner is not None else None
    if person is None:
        raise Refusal(OWNER_HELP)
    entry, item = service.record_action(
        session,
        body=body,
        role=role,
        owner=person,
        due_on=due_on,
        text=text,
        source_message_id=source_message_id,
        now=now,
        today=today,
    )
    return entry, item, person


OWNER_HELP = N_(
    "Name the owner and the due date: /uppgift @name 10/12 what is to be done. The owner must have written in this chat."
)


def line_replied_to(session: Session, body: Body, replied_message_id: int) -> int | None:
    """The recorded line whose source message was replied to, if it is this body's."""
    assert body.id is not None
    entry = repo.entry_by_source(
        session, meeting_repo.meeting_ids_of(session, body.id), replied_message_id
    )
    return entry.id if entry is not None else None


@dataclass(frozen=True)
class Closing:
    """/motesslut: the draft minutes (`record`), or, while no justerare is chosen, the choice
    to make first (`choice`; nothing is closed then)."""

    record: ProtokollRecord | None
    choice: JusterareChoice | None
    written: list[MinuteEntry] = field(default_factory=list)  # the standard paragraphs


def close_sitting(
    session: Session, *, body: Body, role: Role, names: service.Names, now: datetime, today: date
) -> Closing:
    meeting = service.open_meeting_of(session, body)
    if service.may_lead(role, meeting):
        choice = justerare_choice(session, body, meeting, today)
        # No justerare, or one marked absent: the choice first, and nothing is closed.
        if not meeting.justerare_person_ids or choice.absent:
            return Closing(None, choice)
    closed = service.end_meeting(session, body=body, role=role, now=now)
    written = service.write_standard_paragraphs(
        session, body=body, meeting=closed, names=names, now=now
    )
    record = justering.create_draft(session, meeting=closed, names=names, now=now)
    return Closing(record, None, written)
