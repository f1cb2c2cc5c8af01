"""The live meeting: opening, attendance, moving through the agenda, recording lines, corrections,
closing, and the protokoll model built from what was recorded.

Every line is written in the caller's transaction and committed before the bot acknowledges it,
so a crash or restart loses nothing and the meeting continues at the stored current item.
Corrections run in their own transactions (`correct_entry`): once the protokoll is locked the
database refuses them; the refusal is rolled back and audited in a new transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from governance import agenda as rules
from governance import protokoll as doc
from i18n import N_, t
from services import actions, decisions
from services.documentation import next_minute_taker, sync_minute_taker_reminder
from services.errors import Refusal
from services.partnerships import spec_of
from services.roles import Role
from storage import attachments as attachment_repo
from storage import bodies, people
from storage import immediate as immediate_repo
from storage import meetings as meeting_repo
from storage import minutes as repo
from storage.attachments import Attachment
from storage.db import SessionFactory, transaction
from storage.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AuditEntry,
    Body,
    Decision,
    Meeting,
    MeetingStatus,
    MinuteEntry,
    MinuteRevision,
    Partnership,
    Person,
    RsvpAnswer,
)

__all__ = [
    "EARLY_START",
    "LOCKED",
    "MAX_LINE_CHARS",
    "EntryKind",
    "LockedRefusal",
    "Names",
    "Position",
    "build_protokoll",
    "correct_entry",
    "current_position",
    "doc_language",
    "end_meeting",
    "go_to_item",
    "guarded",
    "is_locked_error",
    "item_labels",
    "may_lead",
    "meeting_label",
    "next_item",
    "open_meeting_of",
    "pending_minutes",
    "record_action",
    "record_decision",
    "record_note",
    "set_attendance",
    "start_meeting",
    "toggle_justerare",
    "zone_of",
]

LOCKED = "protokoll is locked"  # the message of the database triggers (migration 0006)
MAX_LINE_CHARS = 3000
EARLY_START = timedelta(hours=12)  # a meeting can be opened this long before its start

T = TypeVar("T")


class EntryKind:
    NOTE = "note"
    DECISION = "decision"
    ACTION = "action"
    STANDARD = "standard"  # a standard paragraph the bot wrote (opening, justerare, closing …)


class LockedRefusal(Refusal):
    """The minutes are approved: the database refused the change (and it was audited)."""

    keep = True  # the audit entry of the attempt is committed


@dataclass(frozen=True)
class Names:
    """How the caller names agenda items and people (translations live with the caller)."""

    item_title: Callable[[AgendaItem], str]
    person: Callable[[Person], str]
    unfiled: str = "Övrigt"  # the § for lines recorded without a current item
    # How a document on an item is listed under its §: "Bilaga 1: Budget.pdf (120 kB)".
    attachment: Callable[[Attachment], str] | None = None
    # How attendance lists a person: with the title given with /namn ("Anna Andersson, chef").
    titled: Callable[[Person], str] | None = None
    # The written standard paragraphs in the protokoll's language: `say(msgid, **params)`
    # (gettext ids marked with N_) and a date as the paragraphs read it ("12 februari").
    say: Callable[..., str] | None = None
    day: Callable[[date], str] | None = None


def zone_of(session: Session, body: Body) -> ZoneInfo:
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    return ZoneInfo(partnership.timezone)


MEETING_NOTATION = N_("{prefix} meeting {number}/{year}")


def meeting_label(body: Body, meeting: Meeting, language: str = "sv") -> str:
    """ "SG möte 3/2026": the meeting's one notation (kallelse, /moten, the register, the
    protokoll and its files), distinct from decision numbers ("SG 2026:7")."""
    if meeting.year is None or meeting.number is None:
        return body.decision_prefix
    return t(language, MEETING_NOTATION).format(
        prefix=body.decision_prefix, number=meeting.number, year=meeting.year
    )


def doc_language(partnership: Partnership) -> str:
    """The language the minutes are written in."""
    return partnership.language if partnership.language in ("sv", "en") else "sv"


def _audit(
    session: Session, body: Body, role: Role | None, action: str, now: datetime, **detail: Any
) -> None:
    session.add(
        AuditEntry(
            partnership_id=body.partnership_id,
            at=now,
            actor_user_id=role.person.telegram_user_id if role and role.person else None,
            action=action,
            detail=detail,
        )
    )


# --- permissions ---------------------------------------------------------------------------


def may_lead(role: Role, meeting: Meeting) -> bool:
    """Chair, administrator, or the person holding the documentation duty for this meeting."""
    if role.is_chair or role.is_administrator:
        return True
    return (
        role.person is not None
        and role.is_member
        and role.person.id is not None
        and role.person.id == meeting.minute_taker_person_id
    )


def _require_lead(role: Role, meeting: Meeting) -> None:
    if not may_lead(role, meeting):
        raise Refusal(
            N_("Only the chair or the person writing the minutes can do that during the meeting.")
        )


# --- opening ---------------------------------------------------------------------------------


def open_meeting_of(session: Session, body: Body, *, lock: bool = False) -> Meeting:
    assert body.id is not None
    meeting = repo.open_meeting(session, body.id, lock=lock)
    if meeting is None:
        raise Refusal(N_("No meeting is in session. The chair opens it with /motesstart."))
    return meeting


def _meeting_to_open(session: Session, body: Body, now: datetime) -> Meeting:
    assert body.id is not None
    for meeting in meeting_repo.upcoming_meetings(session, body.id, now, include_drafts=False):
        if meeting.opened_at is None and meeting.starts_at - EARLY_START <= now:
            return meeting
    raise Refusal(
        N_(
            "There is no published meeting of this body to open now. Call one with /kallelse; it can be opened from 12 hours before it starts."
        )
    )


def _check_justerare(session: Session, body: Body, chair_id: int | None, person: Person) -> None:
    assert body.id is not None and person.id is not None
    membership = people.get_membership(session, body.id, person.id)
    if membership is None or membership.status != "confirmed":
        raise Refusal(N_("{name} is not a confirmed member of this body."), name=person.first_name)
    if person.id == chair_id:
        raise Refusal(N_("The chair cannot also be the justerare."))


def start_meeting(
    session: Session,
    *,
    body: Body,
    role: Role,
    justerare: list[Person],
    now: datetime,
    today: date,
) -> Meeting:
    """Open the next published meeting: attendance from the answers, the first item current."""
    assert body.id is not None
    meeting_repo.lock_body(session, body.id)
    if repo.open_meeting(session, body.id) is not None:
        raise Refusal(N_("A meeting is already in session. Close it with /motesslut first."))
    duty_kind, duty_person, duty_party = next_minute_taker(session, body, today=today)
    person = role.person
    holds_duty = (
        person is not None
        and role.is_member
        and (
            (duty_person is not None and duty_person.id == person.id)
            or (
                duty_party is not None
                and role.membership is not None
                and role.membership.party_id == duty_party.id
            )
        )
    )
    if not (role.is_chair or role.is_administrator or holds_duty):
        raise Refusal(
            N_("Only the chair or the person holding the documentation duty can open the meeting.")
        )
    meeting = _meeting_to_open(session, body, now)
    assert meeting.id is not None
    meeting = meeting_repo.get_meeting(session, meeting.id, lock=True) or meeting
    assert meeting.id is not None
    chair = people.current_chair(session, body.id, today)
    chair_id = chair[1].id if chair else None
    for candidate in justerare:
        _check_justerare(session, body, chair_id, candidate)
    if duty_person is not None:
        minute_taker = duty_person.id
    else:
        minute_taker = person.id if person is not None else chair_id
    answers = {r.person_id: r.answer for r, _p in meeting_repo.rsvps_of(session, meeting.id)}
    # Present: who answered yes, who opens the meeting, and the justerare named at the opening
    # (choosing one says they are there).
    named = {p.id for p in justerare}
    for membership, member, _party in people.confirmed_members(session, body.id):
        assert member.id is not None
        present = (
            answers.get(member.id) == RsvpAnswer.YES
            or (person is not None and member.id == person.id)
            or member.id in named
        )
        session.add(
            Attendance(
                meeting_id=meeting.id,
                person_id=member.id,
                party_id=membership.party_id,
                present=present,
                source="rsvp",
                updated_at=now,
            )
        )
    items = [i for i in meeting_repo.agenda_of(session, meeting.id) if not i.dropped]
    meeting.opened_at = now
    # The meeting starts at the first item that needs the chair: what the bot writes itself
    # (opening, justerare, agenda, previous minutes) needs no visit.
    first = _first_visit(session, body, items, 0)
    meeting.current_item_id = first.id if first is not None else (items[0].id if items else None)
    meeting.minute_taker_person_id = minute_taker
    meeting.justerare_person_ids = sorted({p.id for p in justerare if p.id is not None})
    meeting.updated_at = now
    session.add(meeting)
    _audit(session, body, role, "meeting.open", now, meeting_id=meeting.id, duty=duty_kind)
    session.flush()
    return meeting


def _meeting_for_change(session: Session, body: Body, meeting_id: int) -> Meeting:
    meeting = meeting_repo.get_meeting(session, meeting_id, lock=True)
    if meeting is None or meeting.body_id != body.id:
        raise Refusal(N_("This button is no longer valid."))
    if meeting.closed_at is not None:
        raise Refusal(N_("This meeting is already closed."))
    return meeting


def toggle_justerare(
    session: Session, *, body: Body, role: Role, meeting_id: int, person_id: int, today: date
) -> Meeting:
    """Choose (or un-choose) a justerare of the meeting in session."""
    meeting = _meeting_for_change(session, body, meeting_id)
    _require_lead(role, meeting)
    person = session.get(Person, person_id)
    if person is None:
        raise Refusal(N_("This button is no longer valid."))
    chosen = list(meeting.justerare_person_ids or [])
    if person_id in chosen:
        chosen.remove(person_id)
    else:
        assert body.id is not None
        chair = people.current_chair(session, body.id, today)
        _check_justerare(session, body, chair[1].id if chair else None, person)
        chosen.append(person_id)
    meeting.justerare_person_ids = sorted(chosen)
    session.add(meeting)
    session.flush()
    return meeting


def set_attendance(
    session: Session,
    *,
    body: Body,
    role: Role,
    meeting_id: int,
    person_id: int,
    present: bool | None,
    now: datetime,
) -> Attendance:
    """Mark a member present or absent (`present=None` toggles)."""
    meeting = _meeting_for_change(session, body, meeting_id)
    _require_lead(role, meeting)
    row = repo.get_attendance(session, meeting_id, person_id)
    if row is None:
        assert body.id is not None
        membership = people.get_membership(session, body.id, person_id)
        if membership is None or membership.status != "confirmed":
            raise Refusal(N_("Only confirmed members of this body are on the attendance list."))
        row = Attendance(
            meeting_id=meeting_id,
            person_id=person_id,
            party_id=membership.party_id,
            present=False,
            updated_at=now,
        )
    row.present = (not row.present) if present is None else present
    row.source = "manual"
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


# --- the agenda ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    meeting: Meeting
    item: AgendaItem | None
    number: int  # the item's place (1-based among the items shown), 0 without an item
    last: bool  # no later item needs a visit: what remains is closing
    label: str = ""  # how the item is read: "5", or "6.1" for a question under its heading


def _visible_items(session: Session, meeting_id: int) -> list[AgendaItem]:
    return [i for i in meeting_repo.agenda_of(session, meeting_id) if not i.dropped]


def _entries(items: list[AgendaItem]) -> list[rules.AgendaEntry]:
    return [
        rules.AgendaEntry(i.id or 0, i.kind, i.standard_key, i.dropped)
        for i in items
        if i.id is not None
    ]


def item_labels(items: list[AgendaItem]) -> dict[int, str]:
    """Each shown item's number as the kallelse and the panel read it ("5", "6.1")."""
    return rules.labels(_entries(items))


def _first_visit(
    session: Session, body: Body, items: list[AgendaItem], start: int
) -> AgendaItem | None:
    """The first item from `start` on that needs the chair (see `rules.needs_visit`)."""
    assert body.id is not None
    open_actions = bool(actions.open_action_items(session, body.id))
    for item in items[start:]:
        entry = rules.AgendaEntry(item.id or 0, item.kind, item.standard_key, item.dropped)
        if rules.needs_visit(entry, open_actions=open_actions):
            return item
    return None


def _position(session: Session, meeting: Meeting, items: list[AgendaItem]) -> Position:
    labels = item_labels(items)
    body = session.get(Body, meeting.body_id)
    assert body is not None
    for index, item in enumerate(items):
        if item.id == meeting.current_item_id:
            last = _first_visit(session, body, items, index + 1) is None
            return Position(meeting, item, index + 1, last, labels.get(item.id or 0, ""))
    return Position(meeting, None, 0, not items)


def current_position(
    session: Session, meeting: Meeting, items: list[AgendaItem] | None = None
) -> Position:
    """Where the meeting is; `items`: its shown (not dropped) agenda items, when the caller
    has read them already."""
    assert meeting.id is not None
    return _position(
        session, meeting, _visible_items(session, meeting.id) if items is None else items
    )


def next_item(session: Session, *, body: Body, role: Role, now: datetime) -> Position:
    """Move the meeting in session to the next item that needs the chair (past what the bot
    writes itself)."""
    meeting = open_meeting_of(session, body, lock=True)
    _require_lead(role, meeting)
    position = current_position(session, meeting)
    assert meeting.id is not None
    items = _visible_items(session, meeting.id)
    target = _first_visit(session, body, items, position.number)
    if target is None:
        raise Refusal(N_("This is the last item. Close the meeting with /motesslut."))
    return _move(session, meeting, items, target, now)


def go_to_item(
    session: Session, *, body: Body, role: Role, meeting_id: int, item_id: int, now: datetime
) -> Position:
    """Jump to any item of the agenda (the panel's list)."""
    meeting = _meeting_for_change(session, body, meeting_id)
    if meeting.opened_at is None:
        raise Refusal(N_("This button is no longer valid."))
    _require_lead(role, meeting)
    items = _visible_items(session, meeting_id)
    target = next((i for i in items if i.id == item_id), None)
    if target is None:
        raise Refusal(N_("That item is no longer on the agenda."))
    return _move(session, meeting, items, target, now)


def _move(
    session: Session, meeting: Meeting, items: list[AgendaItem], target: AgendaItem, now: datetime
) -> Position:
    meeting.current_item_id = target.id
    meeting.updated_at = now
    session.add(meeting)
    session.flush()
    return _position(session, meeting, items)


# --- recording -------------------------------------------------------------------------------


def _clean(text: str, example: str) -> str:
    text = text.strip()
    if not text:
        raise Refusal(
            N_("Write the text after the command, for example {example}."), example=example
        )
    if len(text) > MAX_LINE_CHARS:
        raise Refusal(
            N_("That line is too long: at most {limit} characters. Split it in two."),
            limit=MAX_LINE_CHARS,
        )
    return text


def _new_entry(
    session: Session,
    meeting: Meeting,
    role: Role,
    kind: str,
    text: str,
    source_message_id: int | None,
    now: datetime,
) -> MinuteEntry:
    assert meeting.id is not None
    entry = MinuteEntry(
        meeting_id=meeting.id,
        agenda_item_id=meeting.current_item_id,
        kind=kind,
        text=text,
        author_person_id=role.person.id if role.person else None,
        source_message_id=source_message_id,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def record_note(
    session: Session,
    *,
    body: Body,
    role: Role,
    text: str,
    source_message_id: int | None,
    now: datetime,
) -> MinuteEntry:
    """A note under the current item; members may add notes too."""
    meeting = open_meeting_of(session, body)
    if not (role.is_member or may_lead(role, meeting)):
        raise Refusal(N_("Only members of this body can add to the minutes. Use /jag first."))
    return _new_entry(
        session,
        meeting,
        role,
        EntryKind.NOTE,
        _clean(text, "/anteckning …"),
        source_message_id,
        now,
    )


def record_decision(
    session: Session,
    *,
    body: Body,
    role: Role,
    raw: str,
    source_message_id: int | None,
    now: datetime,
    today: date,
) -> tuple[MinuteEntry, Decision]:
    """A decision under the current item, numbered in the register."""
    meeting = open_meeting_of(session, body)
    _require_lead(role, meeting)
    parsed = decisions.parse_decision_input(
        session, body.partnership_id, _clean(raw, "/beslut …"), today=today
    )
    text = _clean(parsed.text, "/beslut …")
    entry = _new_entry(session, meeting, role, EntryKind.DECISION, text, source_message_id, now)
    decided_on = (meeting.opened_at or now).astimezone(zone_of(session, body)).date()
    decision = decisions.record_decision(
        session,
        body=body,
        decision=parsed,
        decided_on=decided_on,
        now=now,
        meeting_id=meeting.id,
        agenda_item_id=meeting.current_item_id,
        entry_id=entry.id,
    )
    return entry, decision


def record_action(
    session: Session,
    *,
    body: Body,
    role: Role,
    owner: Person,
    due_on: date,
    text: str,
    source_message_id: int | None,
    now: datetime,
    today: date,
) -> tuple[MinuteEntry, ActionItem]:
    """An action item with its owner and due date, under the current item."""
    meeting = open_meeting_of(session, body)
    _require_lead(role, meeting)
    text = _clean(text, "/uppgift @namn 10/12 …")
    if due_on < today:
        raise Refusal(N_("That is in the past. Choose a later date and time."))
    assert body.id is not None and owner.id is not None
    membership = people.get_membership(session, body.id, owner.id)
    if membership is None or membership.status != "confirmed":
        raise Refusal(N_("{name} is not a confirmed member of this body."), name=owner.first_name)
    entry = _new_entry(session, meeting, role, EntryKind.ACTION, text, source_message_id, now)
    item = actions.record_action_item(
        session,
        body=body,
        owner=owner,
        due_on=due_on,
        text=text,
        now=now,
        meeting_id=meeting.id,
        entry_id=entry.id,
    )
    return entry, item


# --- corrections (guarded by the database) ---------------------------------------------------


def is_locked_error(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and LOCKED in str(exc.orig)


def guarded(
    factory: SessionFactory,
    *,
    partnership_id: int | None,
    actor_user_id: int | None,
    action: str,
    detail: dict[str, Any],
    now: datetime,
    work: Callable[[Session], T],
) -> T:
    """`guarded_in` in a transaction of its own, committed even when the change is refused
    (so the audit entry of the attempt stays)."""
    with transaction(factory) as session:
        try:
            return guarded_in(
                session,
                partnership_id=partnership_id,
                actor_user_id=actor_user_id,
                action=action,
                detail=detail,
                now=now,
                work=work,
            )
        except LockedRefusal as refusal:
            kept = refusal
    raise kept


def guarded_in(
    session: Session,
    *,
    partnership_id: int | None,
    actor_user_id: int | None,
    action: str,
    detail: dict[str, Any],
    now: datetime,
    work: Callable[[Session], T],
) -> T:
    """Run `work` under a savepoint. If the database refuses it because the protokoll is
    locked, roll back to the savepoint, add an audit entry of the attempt, and refuse with a
    `LockedRefusal` (whose `keep` tells the caller to commit that entry)."""
    try:
        with session.begin_nested():
            return work(session)
    except DBAPIError as exc:
        if not is_locked_error(exc):
            raise
    session.add(
        AuditEntry(
            partnership_id=partnership_id,
            at=now,
            actor_user_id=actor_user_id,
            action="protokoll.locked_change_refused",
            detail={"attempt": action, **detail},
        )
    )
    session.flush()
    raise LockedRefusal(
        N_(
            "These minutes are approved and locked; they cannot be changed. The chair can add an amendment with /tillagg."
        )
    )


def _justerad_at_once(session: Session, entry_id: int) -> bool:
    """True if the line is a decision whose paragraph was locked by omedelbar justering."""
    decision = repo.decision_of_entry(session, entry_id)
    if decision is None or decision.id is None:
        return False
    found = immediate_repo.for_decision(session, decision.id)
    return found is not None and found.status == "final"


def _correct(
    session: Session,
    *,
    body: Body,
    role: Role,
    entry_id: int,
    new_text: str | None,
    now: datetime,
    today: date,
) -> MinuteEntry:
    entry = repo.get_entry(session, entry_id, lock=True)
    meeting = session.get(Meeting, entry.meeting_id) if entry is not None else None
    if entry is None or meeting is None or meeting.body_id != body.id:
        raise Refusal(N_("That is not a recorded line of this body's minutes."))
    author = role.person is not None and role.person.id == entry.author_person_id
    if not (author or role.is_chair):
        raise Refusal(N_("Only the author of the line or the chair can correct it."))
    if entry.struck:
        raise Refusal(N_("That line is already struck."))
    if _justerad_at_once(session, entry_id):
        raise Refusal(
            N_("This decision was justerad at once during the meeting; it cannot be changed.")
        )
    revision = MinuteRevision(
        entry_id=entry_id,
        old_text=entry.text,
        new_text=new_text,
        struck=new_text is None,
        by_person_id=role.person.id if role.person else None,
        at=now,
    )
    if new_text is None:
        entry.struck = True
    else:
        new_text = _clean(new_text, "/andra …")
        if entry.kind == EntryKind.DECISION:
            parsed = decisions.parse_decision_input(
                session, body.partnership_id, new_text, today=today
            )
            new_text = _clean(parsed.text, "/andra …")
        entry.text = new_text
        revision.new_text = new_text
    entry.updated_at = now
    # The line first: once the minutes are locked the database refuses exactly this write.
    session.add(entry)
    session.flush()
    repo.add_revision(session, revision)
    _follow_register(session, entry, new_text, now)
    return entry


def _follow_register(
    session: Session, entry: MinuteEntry, new_text: str | None, now: datetime
) -> None:
    """The decision register and the action items follow the corrected line."""
    assert entry.id is not None
    from services import actions, decisions

    if entry.kind == EntryKind.DECISION:
        decision = repo.decision_of_entry(session, entry.id)
        if decision is not None:
            if new_text is None:
                decision.status = "struck"
            else:
                decision.text = new_text
            session.add(decision)
            session.flush()
            body = session.get(Body, decision.body_id)
            partnership = session.get(Partnership, body.partnership_id) if body else None
            if body is not None and partnership is not None:
                # A struck decision waits for no approval: its reminders stop with it.
                decisions.sync_approval_reminders(session, decision, body, partnership, now=now)
    elif entry.kind == EntryKind.ACTION:
        item = repo.action_of_entry(session, entry.id)
        if item is not None:
            if new_text is None:
                item.status = "cancelled"
            else:
                item.text = new_text
            session.add(item)
            session.flush()
            body = session.get(Body, item.body_id)
            owner = session.get(Person, item.owner_person_id)
            if body is not None and owner is not None:
                actions.sync_action_reminders(session, item, body=body, owner=owner, now=now)
    session.flush()


def correct_line(
    session: Session,
    *,
    body: Body,
    role: Role,
    entry_id: int,
    new_text: str | None,
    now: datetime,
    today: date,
) -> MinuteEntry:
    """`correct_entry` inside the caller's transaction (a savepoint guards the change)."""
    return guarded_in(
        session,
        partnership_id=body.partnership_id,
        actor_user_id=role.person.telegram_user_id if role.person else None,
        action="minutes.strike" if new_text is None else "minutes.correct",
        detail={"entry_id": entry_id},
        now=now,
        work=lambda s: _correct(
            s, body=body, role=role, entry_id=entry_id, new_text=new_text, now=now, today=today
        ),
    )


def correct_entry(
    factory: SessionFactory,
    *,
    body: Body,
    role: Role,
    entry_id: int,
    new_text: str | None,
    now: datetime,
    today: date,
) -> MinuteEntry:
    """Correct (`new_text`) or strike (`None`) a recorded line; history kept in MinuteRevision.
    After the protokoll is locked the database refuses, and the attempt is audited."""
    return guarded(
        factory,
        partnership_id=body.partnership_id,
        actor_user_id=role.person.telegram_user_id if role.person else None,
        action="minutes.strike" if new_text is None else "minutes.correct",
        detail={"entry_id": entry_id},
        now=now,
        work=lambda session: _correct(
            session,
            body=body,
            role=role,
            entry_id=entry_id,
            new_text=new_text,
            now=now,
            today=today,
        ),
    )


# --- closing and the protokoll model ---------------------------------------------------------


def end_meeting(session: Session, *, body: Body, role: Role, now: datetime) -> Meeting:
    meeting = open_meeting_of(session, body, lock=True)
    _require_lead(role, meeting)
    if not meeting.justerare_person_ids:
        raise Refusal(N_("Choose the justerare before closing the meeting."))
    _settle_minute_taker(
        session, body, meeting, today=now.astimezone(zone_of(session, body)).date()
    )
    meeting.closed_at = now
    meeting.updated_at = now
    session.add(meeting)
    _audit(session, body, role, "meeting.close", now, meeting_id=meeting.id)
    session.flush()
    # The documentation duty moves on: remind whoever writes the next meeting's minutes.
    assert body.id is not None
    following = next(
        (
            m
            for m in meeting_repo.upcoming_meetings(session, body.id, now, include_drafts=False)
            if m.opened_at is None
        ),
        None,
    )
    sync_minute_taker_reminder(session, body, following, now=now)
    return meeting


def _settle_minute_taker(session: Session, body: Body, meeting: Meeting, *, today: date) -> None:
    """Under a rotating duty the protokollförare is the member of the party holding it who wrote
    the most lines (whoever opened the meeting, when none of them wrote)."""
    assert body.id is not None and meeting.id is not None
    _kind, _person, duty_party = next_minute_taker(session, body, today=today)
    if duty_party is None:
        return
    party_of = {
        member.id: membership.party_id
        for membership, member, _party in people.confirmed_members(session, body.id)
    }
    written: dict[int, int] = defaultdict(int)
    for entry in repo.entries_of(session, meeting.id):
        author = entry.author_person_id
        if author is not None and not entry.struck and party_of.get(author) == duty_party.id:
            written[author] += 1
    if written:
        meeting.minute_taker_person_id = max(written, key=lambda pid: written[pid])


# --- the standard paragraphs the bot writes ------------------------------------------------------

_CLOSING = N_("The chair declared the meeting closed at {time}.")


def _and(say: Callable[..., str], names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return say(N_("{first} and {last}"), first=", ".join(names[:-1]), last=names[-1])


def write_standard_paragraphs(
    session: Session, *, body: Body, meeting: Meeting, names: Names, now: datetime
) -> list[MinuteEntry]:
    """At the close: the standard paragraphs in protokoll language from what the bot knows (the
    meeting opened, the justerare chosen, the agenda approved, the previous protokoll's state,
    the open action items followed up, the meeting closed and when). Each is a recorded line
    (kind "standard"), corrected or struck like any other until the protokoll is approved."""
    if names.say is None:
        return []
    say = names.say
    assert meeting.id is not None and body.id is not None
    zone = zone_of(session, body)
    written: list[MinuteEntry] = []

    def write(item: AgendaItem, text: str) -> None:
        entry = MinuteEntry(
            meeting_id=meeting.id,  # type: ignore[arg-type]
            agenda_item_id=item.id,
            kind=EntryKind.STANDARD,
            text=text,
            author_person_id=None,
            created_at=now,
            updated_at=now,
        )
        session.add(entry)
        written.append(entry)

    def person(person_id: int | None) -> str:
        found = session.get(Person, person_id) if person_id is not None else None
        return names.person(found) if found is not None else ""

    items = _visible_items(session, meeting.id)
    recorded: dict[int | None, int] = defaultdict(int)
    for entry in repo.entries_of(session, meeting.id):
        if not entry.struck:
            recorded[entry.agenda_item_id] += 1
    for item in items:
        key = item.standard_key
        if key == rules.StandardKey.OPENING:
            write(item, say(N_("The chair declared the meeting open.")))
            write(item, quorum_line(session, body, meeting, say))
        elif key == rules.StandardKey.JUSTERARE:
            chosen = [person(pid) for pid in meeting.justerare_person_ids or []]
            write(
                item,
                say(
                    N_("{names} was chosen to check the minutes (justerare)."),
                    names=_and(say, chosen),
                ),
            )
        elif key == rules.StandardKey.APPROVE_AGENDA:
            write(item, say(N_("The agenda was approved.")))
        elif key == rules.StandardKey.PREVIOUS_MINUTES:
            write(item, _previous_minutes_line(session, body, meeting, names))
        elif key == rules.StandardKey.FOLLOWUP:
            followed = [
                (action, owner)
                for action, owner in actions.open_action_items(session, body.id)
                if action.meeting_id != meeting.id
            ]
            if not followed:
                write(item, say(N_("There were no open action items to follow up.")))
                continue
            write(item, say(N_("The open action items were followed up:")))
            for action, owner in followed:
                write(
                    item,
                    say(
                        N_("{owner}: {text} (due {due})."),
                        owner=names.person(owner),
                        text=action.text.rstrip("."),
                        due=names.day(action.due_on) if names.day else action.due_on.isoformat(),
                    ),
                )
        elif key == rules.StandardKey.OTHER_BUSINESS and not recorded.get(item.id):
            write(item, say(N_("No other business was raised.")))
        elif key == rules.StandardKey.ESCALATIONS and not any(
            i.kind == rules.ItemKind.ESCALATION for i in items
        ):
            write(item, say(N_("No questions had been raised from the samverkansgrupp.")))
        elif key == rules.StandardKey.CLOSING:
            write(item, say(_CLOSING, time=_hhmm(meeting.closed_at or now, zone)))
    session.flush()
    return written


def quorum_line(session: Session, body: Body, meeting: Meeting, say: Callable[..., str]) -> str:
    """The beslutförhet line from the file's voting rule: voting units present (parties with a
    member present, or members present) against the quorum, or, where the file sets none, how
    many of the entitled were present."""
    assert meeting.id is not None and body.id is not None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    voting = spec_of(partnership).body(body.kind).voting  # type: ignore[arg-type]
    rows = repo.attendance_of(session, meeting.id)
    if voting.rule == "per_party":
        entitled = len(bodies.parties_of(session, body.partnership_id))
        present = len({row.party_id for row, _p, _party in rows if row.present})
        if voting.quorum is None:
            text = N_(
                "{present} of {entitled} parties were present (the agreement sets no quorum)."
            )
        elif present >= voting.quorum:
            text = N_("{present} of {entitled} parties were present: quorate (at least {quorum}).")
        else:
            text = N_(
                "{present} of {entitled} parties were present: not quorate (at least {quorum}); "
                "nothing can be decided."
            )
    else:
        entitled = len(rows)
        present = sum(1 for row, _p, _party in rows if row.present)
        if voting.quorum is None:
            text = N_(
                "{present} of {entitled} members were present (the agreement sets no quorum)."
            )
        elif present >= voting.quorum:
            text = N_("{present} of {entitled} members were present: quorate (at least {quorum}).")
        else:
            text = N_(
                "{present} of {entitled} members were present: not quorate (at least {quorum}); "
                "nothing can be decided."
            )
    return say(text, present=str(present), entitled=str(entitled), quorum=str(voting.quorum))


def _previous_minutes_line(session: Session, body: Body, meeting: Meeting, names: Names) -> str:
    assert names.say is not None and body.id is not None
    say = names.say
    previous = repo.previous_closed_meeting(session, body.id, before_id=meeting.id)
    if previous is None or previous.id is None:
        return say(N_("There are no previous minutes."))
    zone = zone_of(session, body)
    held = (previous.opened_at or previous.starts_at).astimezone(zone).date()
    day = names.day(held) if names.day else held.isoformat()
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    label = meeting_label(body, previous, doc_language(partnership))
    if repo.latest_final(session, previous.id) is None:
        return say(
            N_("The minutes of {label} of {day} are not yet approved."), label=label, day=day
        )
    return say(N_("The minutes of {label} of {day} are approved."), label=label, day=day)


def pending_minutes(session: Session, body_id: int) -> list[Meeting]:
    """Closed meetings whose minutes are not approved yet: they stay on the next agenda."""
    return repo.unlocked_closed_meetings(session, body_id)


def _hhmm(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H.%M") if at else ""


def build_protokoll(session: Session, meeting: Meeting, names: Names) -> doc.Protokoll:
    """The protokoll of a meeting, from what was recorded (struck lines left out)."""
    assert meeting.id is not None
    body = session.get(Body, meeting.body_id)
    assert body is not None and body.id is not None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    zone = ZoneInfo(partnership.timezone)
    held = (meeting.opened_at or meeting.starts_at).astimezone(zone)
    chair = people.current_chair(session, body.id, held.date())

    def name_of(person_id: int | None) -> str:
        person = session.get(Person, person_id) if person_id is not None else None
        return names.person(person) if person is not None else ""

    present: dict[str, list[str]] = defaultdict(list)
    absent: dict[str, list[str]] = defaultdict(list)
    for row, person, party in repo.attendance_of(session, meeting.id):
        party_name = party.name if party is not None else ""
        (present if row.present else absent)[party_name].append(
            (names.titled or names.person)(person)
        )
    # Every party of the partnership appears: one with no registered member in the body is
    # listed with the absent, with no names ("ej representerad").
    for party in bodies.parties_of(session, body.partnership_id):
        if party.name not in present and party.name not in absent:
            absent[party.name] = []

    entries = [e for e in repo.entries_of(session, meeting.id) if not e.struck]
    decision_of = {
        d.entry_id: d
        for d in (repo.decision_of_entry(session, e.id) for e in entries if e.id is not None)
        if d is not None
    }
    by_item: dict[int | None, list[MinuteEntry]] = defaultdict(list)
    for entry in entries:
        by_item[entry.agenda_item_id].append(entry)

    paragraphs: list[doc.Paragraph] = []

    def paragraph(title: str, rows: list[MinuteEntry]) -> doc.Paragraph:
        # What the bot wrote stands first, what was recorded after it.
        notes = [e.text for e in rows if e.kind == EntryKind.STANDARD]
        notes += [e.text for e in rows if e.kind == EntryKind.NOTE]
        lines = []
        for e in rows:
            decision = decision_of.get(e.id)
            if e.kind == EntryKind.DECISION and decision is not None:
                label = decisions.decision_label(body, decision)
                lines.append(doc.DecisionLine(label, e.text, decision.kind))
        return doc.Paragraph(len(paragraphs) + 1, title, tuple(notes), tuple(lines))

    documents = attachment_repo.of_meeting(session, meeting.id)
    for item in _visible_items(session, meeting.id):
        found = paragraph(names.item_title(item), by_item.pop(item.id, []))
        listed = (
            [names.attachment(d) for d in documents if d.agenda_item_id == item.id]
            if names.attachment is not None
            else []
        )
        if listed:
            found = doc.Paragraph(
                found.number, found.title, (*found.notes, *listed), found.decisions
            )
        paragraphs.append(found)
    leftover = [e for rows in by_item.values() for e in rows]
    if leftover:
        paragraphs.append(paragraph(names.unfiled, leftover))

    action_rows = [
        doc.ActionItem(names.person(owner), item.due_on, item.text, item.status)
        for item, owner in repo.actions_of_meeting(session, meeting.id)
        if item.status != "cancelled"
    ]
    return doc.Protokoll(
        body_name=body.name,
        partnership_name=partnership.name,
        diarienummer=partnership.diarienummer,
        meeting_number=meeting_label(body, meeting, doc_language(partnership)),
        date=held.date(),
        start_time=_hhmm(meeting.opened_at, zone),
        end_time=_hhmm(meeting.closed_at, zone),
        place=meeting.place or "",
        chair=names.person(chair[1]) if chair else "",
        minute_taker=name_of(meeting.minute_taker_person_id),
        justerare=tuple(name_of(pid) for pid in meeting.justerare_person_ids or []),
        present_by_party=tuple(doc.Attendance(k, tuple(v)) for k, v in present.items()),
        absent_by_party=tuple(doc.Attendance(k, tuple(v)) for k, v in absent.items()),
        items=tuple(paragraphs),
        action_items=tuple(action_rows),
    )


def content_of(p: doc.Protokoll) -> dict[str, Any]:
    """What is stored in `ProtokollRecord.content`: the canonical JSON as a mapping."""
    return json.loads(doc.canonical_json(p))  # type: ignore[no-any-return]


def model_of(content: dict[str, Any]) -> doc.Protokoll:
    return doc.from_canonical_json(json.dumps(content, ensure_ascii=False))


def is_cancelled(meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.CANCELLED


__all__ += ["content_of", "is_cancelled", "model_of"]
