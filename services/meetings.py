"""Meetings of a body: calling (draft), the agenda, publishing, RSVPs, rescheduling, cancelling.

Every function runs inside the caller's transaction and raises `Refusal` (nothing changed) for
anything the user may not do. Rows that concurrent updates change are locked first (the body
while a meeting is called or numbered, the meeting while it is answered or changed).
Reminders follow every change through `sync_meeting_reminders` in the same transaction (an
answer touches only the answering member's nudge: `meeting_reminders.on_answer`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from governance import agenda as rules
from governance.deadlines import Facts, agreement_term
from governance.partnership_schema import PartnershipSpec
from i18n import N_
from services import agreement
from services.deadlines import load_facts
from services.documentation import documentation_source
from services.errors import Refusal
from services.meeting_reminders import (
    group_source,
    nudge_source,
    on_answer,
    sync_meeting_reminders,
)
from services.partnerships import spec_of
from services.roles import Role
from storage import meetings as repo
from storage import people, reminders
from storage.models import (
    AgendaItem,
    AuditEntry,
    Body,
    Meeting,
    MeetingStatus,
    Partnership,
    Person,
    Rsvp,
    RsvpAnswer,
)

__all__ = [
    "MAX_ITEM_CHARS",
    "MAX_PLACE_CHARS",
    "AddedItem",
    "AgendaOp",
    "RsvpOutcome",
    "RsvpSummary",
    "add_item",
    "agenda_entries",
    "agreement_window",
    "answer",
    "call_meeting",
    "cancel",
    "check_start",
    "duration_of",
    "edit_agenda",
    "may_call",
    "next_meeting",
    "publish",
    "reschedule",
    "rsvp_summaries",
    "rsvp_summary",
    "set_kallelse_message",
    "zone_of",
]

MAX_ITEM_CHARS = 1000
MAX_PLACE_CHARS = 500


def zone_of(partnership: Partnership) -> ZoneInfo:
    return ZoneInfo(partnership.timezone)


def duration_of(spec: PartnershipSpec, body_kind: str) -> timedelta:
    body = spec.bodies.get(body_kind)  # type: ignore[call-overload]
    minutes = body.meetings.duration_minutes if body is not None else 90
    return timedelta(minutes=minutes)


def agreement_window(spec: PartnershipSpec, facts: Facts | None, today: date) -> tuple[date, date]:
    """First and last day a meeting of the partnership can fall on.

    An extension by agreement is not recorded by the bot, so until notice is given the last
    possible end (the renewal's latest end) is the limit; automatic extensions and notice are
    worked out by the deadline rules.
    """
    term = agreement_term(spec, facts, today)
    renewal = spec.agreement.renewal
    end = term.final_end
    if (
        term.notice_given_on is None
        and renewal is not None
        and renewal.kind == "extension_by_agreement"
    ):
        end = max(end, renewal.latest_end)
    return spec.agreement.start, end


def may_call(role: Role) -> bool:
    return role.is_chair or role.is_administrator


def _require_chair(role: Role) -> None:
    if not may_call(role):
        raise Refusal(N_("Only the chair of this body or the administrator can do that."))


def check_start(
    session: Session, partnership: Partnership, starts_at: datetime, *, now: datetime
) -> None:
    """A meeting time must lie ahead and within the agreement period."""
    if starts_at <= now:
        raise Refusal(N_("That is in the past. Choose a later date and time."))
    tz = zone_of(partnership)
    spec = spec_of(partnership)
    today = now.astimezone(tz).date()
    first, last = agreement_window(spec, load_facts(session, partnership), today)
    day = starts_at.astimezone(tz).date()
    if not first <= day <= last:
        raise Refusal(
            N_(
                "The agreement runs from {start} to {end} at the latest, so no meeting can be held on {day}."
            ),
            start=first.isoformat(),
            end=last.isoformat(),
            day=day.isoformat(),
        )


def _partnership(session: Session, body: Body) -> Partnership:
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    return partnership


def _check_free(session: Session, body: Body, starts_at: datetime, *, exclude: int | None) -> None:
    assert body.id is not None
    clash = repo.meeting_at(session, body.id, starts_at)
    if clash is not None and clash.id != exclude:
        raise Refusal(N_("The body already has a meeting at that time."))


def _audit(session: Session, body: Body, role: Role | None, action: str, **detail: object) -> None:
    session.add(
        AuditEntry(
            partnership_id=body.partnership_id,
            at=detail.pop("now"),  # type: ignore[arg-type]
            actor_user_id=role.person.telegram_user_id if role and role.person else None,
            action=action,
            detail=detail,
        )
    )


def call_meeting(
    session: Session,
    *,
    body: Body,
    role: Role,
    starts_at: datetime,
    place: str | None,
    now: datetime,
    duration: timedelta | None = None,
) -> Meeting:
    """A draft meeting with the standard agenda and the items raised for the next meeting;
    `duration` None is the body's default length."""
    _require_chair(role)
    assert body.id is not None
    if place is not None and len(place) > MAX_PLACE_CHARS:
        raise Refusal(
            N_("The place is too long: at most {limit} characters."), limit=MAX_PLACE_CHARS
        )
    # Two chairs (or the chair and the administrator) calling at once: one waits for the other
    # here and then finds the draft.
    repo.lock_body(session, body.id)
    draft = repo.draft_of(session, body.id)
    if draft is not None:
        raise Refusal(
            N_(
                "A kallelse for this body is already being prepared (meeting {when}). Publish it, or cancel it with /stall_in, first."
            ),
            when=_local_text(session, body, draft.starts_at),
        )
    partnership = _partnership(session, body)
    # Nothing new once the agreement has ended (or its period ran out with nothing recorded).
    agreement.require_open(session, partnership, now)
    check_start(session, partnership, starts_at, now=now)
    _check_free(session, body, starts_at, exclude=None)
    spec = spec_of(partnership)
    meeting = Meeting(
        body_id=body.id,
        uid=f"{uuid.uuid4()}@iop-bot",
        sequence=0,
        status=MeetingStatus.DRAFT,
        starts_at=starts_at,
        ends_at=starts_at + (duration or duration_of(spec, body.kind)),
        place=place or None,
        created_by_person_id=role.person.id if role.person else None,
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    items: list[AgendaItem] = []
    for key in rules.standard_keys(body.kind):
        item = AgendaItem(
            body_id=body.id,
            meeting_id=meeting.id,
            kind=rules.ItemKind.STANDARD,
            standard_key=key,
            title=key.value,
            created_at=now,
        )
        session.add(item)
        items.append(item)
    session.flush()
    for pending in repo.pending_items(session, body.id)[: rules.MAX_ITEMS - len(items)]:
        entries = [_entry(i) for i in items]
        items.insert(rules.insert_index(entries, pending.kind), pending)
        pending.meeting_id = meeting.id
    _save_positions(session, items)
    _audit(session, body, role, "meeting.call", meeting_id=meeting.id, now=now)
    session.flush()
    return meeting


def _local_text(session: Session, body: Body, at: datetime) -> str:
    tz = zone_of(_partnership(session, body))
    return at.astimezone(tz).strftime("%Y-%m-%d %H.%M")


def _entry(item: AgendaItem) -> rules.AgendaEntry:
    assert item.id is not None
    return rules.AgendaEntry(item.id, item.kind, item.standard_key, item.dropped)


def agenda_entries(items: list[AgendaItem]) -> list[rules.AgendaEntry]:
    return [_entry(i) for i in items]


def _save_positions(session: Session, items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            session.add(item)
    session.flush()


def next_meeting(session: Session, body: Body, now: datetime) -> Meeting | None:
    """The meeting commands without an explicit meeting act on: the soonest one not over."""
    assert body.id is not None
    upcoming = repo.upcoming_meetings(session, body.id, now)
    return upcoming[0] if upcoming else None


@dataclass(frozen=True)
class AddedItem:
    item: AgendaItem
    meeting: Meeting | None  # None: kept for the next meeting called


def add_item(session: Session, *, body: Body, role: Role, text: str, now: datetime) -> AddedItem:
    """A member's item: on the draft, else on the next published meeting, else kept."""
    if not (role.is_member or may_call(role)):
        raise Refusal(N_("Only members of this body can add items to the agenda. Use /jag first."))
    title = text.strip()
    if not title:
        raise Refusal(N_("Write the item after the command, for example /punkt Budget 2027."))
    if len(title) > MAX_ITEM_CHARS:
        raise Refusal(
            N_("The item is too long: at most {limit} characters. Shorten it a little."),
            limit=MAX_ITEM_CHARS,
        )
    assert body.id is not None
    repo.lock_body(session, body.id)
    meeting = repo.draft_of(session, body.id)
    if meeting is None:
        meeting = next(
            iter(repo.upcoming_meetings(session, body.id, now, include_drafts=False)), None
        )
    item = AgendaItem(
        body_id=body.id,
        meeting_id=None,
        kind=rules.ItemKind.MEMBER,
        title=title,
        added_by_person_id=role.person.id if role.person else None,
        created_at=now,
    )
    if meeting is None:
        if len(repo.pending_items(session, body.id)) >= rules.MAX_ITEMS:
            raise Refusal(N_("The agenda is full: at most {limit} items."), limit=rules.MAX_ITEMS)
        repo.add_item(session, item)
        return AddedItem(item, None)
    meeting_id = meeting.id
    assert meeting_id is not None
    meeting = repo.get_meeting(session, meeting_id, lock=True) or meeting
    items = repo.agenda_of(session, meeting_id)
    if len(items) >= rules.MAX_ITEMS:
        raise Refusal(N_("The agenda is full: at most {limit} items."), limit=rules.MAX_ITEMS)
    item.meeting_id = meeting_id
    repo.add_item(session, item)
    items.insert(rules.insert_index(agenda_entries(items), item.kind), item)
    _save_positions(session, items)
    meeting.updated_at = now
    session.add(meeting)
    session.flush()
    return AddedItem(item, meeting)


class AgendaOp:
    UP = "u"
    DOWN = "d"
    DROP = "x"
    RESTORE = "r"
    ALL = frozenset({"u", "d", "x", "r"})


def _locked_meeting(session: Session, body: Body, meeting_id: int) -> Meeting:
    meeting = repo.get_meeting(session, meeting_id, lock=True)
    if meeting is None or meeting.body_id != body.id:
        raise Refusal(N_("This button is no longer valid."))
    return meeting


def edit_agenda(
    session: Session,
    *,
    body: Body,
    role: Role,
    meeting_id: int,
    item_id: int,
    op: str,
    now: datetime,
) -> rules.MoveResult:
    """Move, drop or restore an item of a draft agenda (chair or administrator)."""
    _require_chair(role)
    meeting = _locked_meeting(session, body, meeting_id)
    if meeting.status != MeetingStatus.DRAFT:
        raise Refusal(N_("This kallelse has already been published or cancelled."))
    items = repo.agenda_of(session, meeting_id)
    by_id = {i.id: i for i in items}
    if item_id not in by_id or op not in AgendaOp.ALL:
        raise Refusal(N_("This button is no longer valid."))
    entries = agenda_entries(items)
    result = rules.MoveResult.MOVED
    if op in (AgendaOp.UP, AgendaOp.DOWN):
        entries, result = rules.move(entries, item_id, -1 if op == AgendaOp.UP else 1)
    else:
        target = next(e for e in entries if e.ref == item_id)
        if not rules.can_drop(target):
            return rules.MoveResult.LOCKED
        entries = rules.set_dropped(entries, item_id, op == AgendaOp.DROP)
    if result != rules.MoveResult.MOVED:
        return result
    ordered = []
    for entry in entries:
        item = by_id[entry.ref]
        if item.dropped != entry.dropped:
            item.dropped = entry.dropped
            session.add(item)
        ordered.append(item)
    _save_positions(session, ordered)
    meeting.updated_at = now
    session.add(meeting)
    session.flush()
    return result


def publish(session: Session, *, body: Body, role: Role, meeting_id: int, now: datetime) -> Meeting:
    """The draft becomes the kallelse: numbered per body and year, reminders scheduled."""
    _require_chair(role)
    assert body.id is not None
    repo.lock_body(session, body.id)
    meeting = _locked_meeting(session, body, meeting_id)
    if meeting.status != MeetingStatus.DRAFT:
        raise Refusal(N_("This kallelse has already been published or cancelled."))
    partnership = _partnership(session, body)
    check_start(session, partnership, meeting.starts_at, now=now)
    year = meeting.starts_at.astimezone(zone_of(partnership)).year
    meeting.year = year
    meeting.number = repo.next_number(session, body.id, year)
    meeting.status = MeetingStatus.PUBLISHED
    meeting.published_at = now
    meeting.updated_at = now
    session.add(meeting)
    _audit(session, body, role, "meeting.publish", meeting_id=meeting.id, now=now)
    session.flush()
    sync_meeting_reminders(session, meeting, now=now)
    return meeting


def set_kallelse_message(session: Session, meeting_id: int, message_id: int) -> None:
    meeting = repo.get_meeting(session, meeting_id, lock=True)
    if meeting is not None:
        meeting.kallelse_message_id = message_id
        session.add(meeting)
        # Its reminders were scheduled at publishing, before the kallelse was sent: the
        # private nudges link back to it now.
        reminders.update_open_payloads(
            session,
            [group_source(meeting_id), nudge_source(meeting_id)],
            {"kallelse_message_id": message_id},
        )
        reminders.update_open_payloads(
            session,
            [documentation_source(meeting.body_id)],
            {"kallelse_message_id": message_id},
            where={"meeting_id": meeting_id},
        )
        session.flush()


@dataclass(frozen=True)
class RsvpOutcome:
    meeting: Meeting
    answer: str
    changed: bool  # False: the same answer was already recorded (a double press)


def answer(
    session: Session,
    *,
    body: Body,
    role: Role,
    meeting_id: int,
    choice: str,
    now: datetime,
) -> RsvpOutcome:
    """Record a member's answer; one row per member and meeting whatever the presses."""
    if choice not in {a.value for a in RsvpAnswer}:
        raise Refusal(N_("This button is no longer valid."))
    meeting = _locked_meeting(session, body, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Refusal(N_("This meeting has been cancelled."))
    if meeting.status != MeetingStatus.PUBLISHED:
        raise Refusal(N_("This button is no longer valid."))
    if meeting.starts_at <= now:
        raise Refusal(N_("This meeting has already started; answers are closed."))
    # Checked now, not when the kallelse was sent: someone who left cannot answer.
    if not role.is_member or role.person is None or role.person.id is None:
        raise Refusal(
            N_(
                "Only confirmed members of this body can answer. Say which party you represent with /jag."
            )
        )
    assert meeting.id is not None
    existing = repo.get_rsvp(session, meeting.id, role.person.id)
    if existing is not None and existing.answer == choice:
        return RsvpOutcome(meeting, choice, changed=False)
    first = existing is None
    if existing is None:
        existing = Rsvp(
            meeting_id=meeting.id, person_id=role.person.id, answer=choice, answered_at=now
        )
    else:
        existing.answer = choice
        existing.answered_at = now
    session.add(existing)
    session.flush()
    # Only this member's nudge depends on the answer (and only on there being one).
    on_answer(session, meeting, role.person.id, first=first, now=now)
    return RsvpOutcome(meeting, choice, changed=True)


@dataclass(frozen=True)
class RsvpSummary:
    by_answer: dict[str, list[Person]]
    unanswered: list[Person]


def _summary(members: list[Person], answers: list[tuple[Rsvp, Person]]) -> RsvpSummary:
    member_ids = {p.id for p in members}
    by_answer: dict[str, list[Person]] = defaultdict(list)
    answered: set[int | None] = set()
    for rsvp, person in answers:
        if person.id in member_ids:
            by_answer[rsvp.answer].append(person)
            answered.add(person.id)
    unanswered = [p for p in members if p.id not in answered]
    return RsvpSummary(dict(by_answer), unanswered)


def rsvp_summary(session: Session, meeting: Meeting) -> RsvpSummary:
    """Answers of current members only: someone who left no longer counts."""
    assert meeting.id is not None
    members = [p for _m, p, _pa in people.confirmed_members(session, meeting.body_id)]
    return _summary(members, repo.rsvps_of(session, meeting.id))


def rsvp_summaries(
    session: Session, body_id: int, meetings: list[Meeting]
) -> dict[int, RsvpSummary]:
    """`rsvp_summary` of several meetings of one body, in two queries whatever their number."""
    ids = [m.id for m in meetings if m.id is not None]
    if not ids:
        return {}
    assert all(m.body_id == body_id for m in meetings)
    members = [p for _m, p, _pa in people.confirmed_members(session, body_id)]
    answers = repo.rsvps_of_meetings(session, ids)
    return {mid: _summary(members, answers[mid]) for mid in ids}


def _changeable(session: Session, body: Body, role: Role, now: datetime) -> Meeting:
    _require_chair(role)
    meeting = next_meeting(session, body, now)
    if meeting is None:
        raise Refusal(N_("There is no upcoming meeting of this body. Call one with /kallelse."))
    assert meeting.id is not None
    return _locked_meeting(session, body, meeting.id)


def reschedule(
    session: Session,
    *,
    body: Body,
    role: Role,
    starts_at: datetime,
    place: str | None,
    now: datetime,
    meeting_id: int | None = None,
    duration: timedelta | None = None,
) -> tuple[Meeting, datetime]:
    """Move the next meeting (or `meeting_id`); returns it and its old start.

    A published meeting's SEQUENCE is raised and its answers cleared: they were given for
    another time.
    """
    if meeting_id is None:
        meeting = _changeable(session, body, role, now)
    else:
        _require_chair(role)
        meeting = _locked_meeting(session, body, meeting_id)
        if meeting.status == MeetingStatus.CANCELLED or meeting.ends_at <= now:
            raise Refusal(N_("This meeting can no longer be changed."))
    if place is not None and len(place) > MAX_PLACE_CHARS:
        raise Refusal(
            N_("The place is too long: at most {limit} characters."), limit=MAX_PLACE_CHARS
        )
    partnership = _partnership(session, body)
    check_start(session, partnership, starts_at, now=now)
    old = meeting.starts_at
    length = duration or (meeting.ends_at - meeting.starts_at)
    if (
        starts_at == old
        and (not place or place == meeting.place)
        and old + length == meeting.ends_at
    ):
        raise Refusal(N_("The meeting is already at that time."))
    _check_free(session, body, starts_at, exclude=meeting.id)
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + length
    if place:
        meeting.place = place
    meeting.updated_at = now
    if meeting.status == MeetingStatus.PUBLISHED:
        meeting.sequence += 1
        assert meeting.id is not None
        if starts_at != old:
            repo.clear_rsvps(session, meeting.id)
    session.add(meeting)
    _audit(
        session,
        body,
        role,
        "meeting.reschedule",
        meeting_id=meeting.id,
        old=old.isoformat(),
        new=starts_at.isoformat(),
        now=now,
    )
    session.flush()
    if meeting.status == MeetingStatus.PUBLISHED:
        sync_meeting_reminders(session, meeting, now=now)
    return meeting, old


def cancel(
    session: Session, *, body: Body, role: Role, meeting_id: int, now: datetime
) -> tuple[Meeting, bool]:
    """Cancel a meeting; returns it and whether it had been published (then the chat is told
    and a CANCEL invitation sent with a raised SEQUENCE)."""
    _require_chair(role)
    meeting = _locked_meeting(session, body, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Refusal(N_("This meeting has already been cancelled."))
    if meeting.ends_at <= now:
        raise Refusal(N_("This meeting can no longer be changed."))
    was_published = meeting.status == MeetingStatus.PUBLISHED
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.updated_at = now
    assert meeting.id is not None
    if was_published:
        meeting.sequence += 1
    else:
        # A discarded draft gives its members' items back to the next meeting.
        for item in repo.agenda_of(session, meeting.id):
            if item.kind != rules.ItemKind.STANDARD:
                item.meeting_id = None
                session.add(item)
    session.add(meeting)
    _audit(session, body, role, "meeting.cancel", meeting_id=meeting.id, now=now)
    session.flush()
    sync_meeting_reminders(session, meeting, now=now)
    return meeting, was_published
