"""The meetings' use cases as the chat sees them: each returns the `Kallelse` (everything the
kallelse, its draft and its invitation show) or the lists, read in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from delivery import hooks, outbox
from governance import agenda as rules
from i18n import N_
from services import actions, justering
from services import meetings as service
from services import minutes as minutes_service
from services.errors import Refusal
from services.roles import Role
from storage import attachments as attachment_repo
from storage import meetings as repo
from storage import minutes as minutes_repo
from storage.attachments import Attachment
from storage.models import (
    ActionItem,
    AgendaItem,
    Body,
    Meeting,
    MeetingStatus,
    Partnership,
    Person,
)

PAST_SHOWN = 10
CANCELLABLE_SHOWN = 10
KALLELSE_SENT = "meeting.kallelse"  # the on-sent hook that keeps the panel's message id


def kallelse_key(meeting_id: int) -> str:
    """The outbox key of a meeting's published kallelse (agenda, panel, invitation)."""
    return f"kallelse:{meeting_id}"


def change_key(meeting_id: int, what: str, sequence: int) -> str:
    """The outbox key of a notice about a published meeting: moved or cancelled, per version of
    its invitation (the .ics SEQUENCE)."""
    return f"kallelse:{meeting_id}:{what}:{sequence}"


@hooks.on_sent(KALLELSE_SENT)
def _kallelse_sent(session: Session, sent: hooks.Sent) -> None:
    """Recorded with the kallelse's delivery: the panel's message id, for pinning and replies."""
    message_id = sent.last_id_of(int(sent.data.get("panel_part", -1)))
    if message_id is not None:
        service.set_kallelse_message(session, int(sent.data["meeting_id"]), message_id)


@dataclass(frozen=True)
class Kallelse:
    partnership: Partnership
    body: Body
    meeting: Meeting
    items: list[AgendaItem]
    raisers: dict[int, Person]  # who raised the members' items
    pending_minutes: list[str]  # earlier closed meetings whose minutes are not yet approved
    open_items: list[tuple[ActionItem, Person]]  # under "follow-up"
    rsvp: service.RsvpSummary | None  # None for a draft
    attachments: list[Attachment] = field(default_factory=list)  # documents, under their items
    # The previous meeting's protokoll (None: there is none), stated under "previous minutes".
    previous: justering.ProtokollState | None = None


def kallelse_of(session: Session, meeting: Meeting) -> Kallelse:
    assert meeting.id is not None
    body = session.get(Body, meeting.body_id)
    assert body is not None and body.id is not None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    items = repo.agenda_of(session, meeting.id)
    ids = {i.added_by_person_id for i in items if i.added_by_person_id is not None}
    found = {pid: session.get(Person, pid) for pid in ids}
    previous = minutes_repo.previous_closed_meeting(session, body.id, before_id=meeting.id)
    return Kallelse(
        previous=justering.protokoll_state(session, body, previous) if previous else None,
        partnership=partnership,
        body=body,
        meeting=meeting,
        items=items,
        raisers={pid: p for pid, p in found.items() if p is not None},
        pending_minutes=[
            minutes_service.meeting_label(body, m, minutes_service.doc_language(partnership))
            for m in minutes_service.pending_minutes(session, body.id)
            if previous is None or m.id != previous.id
        ],
        open_items=actions.open_action_items(session, body.id),
        rsvp=None
        if meeting.status == MeetingStatus.DRAFT
        else service.rsvp_summary(session, meeting),
        attachments=attachment_repo.of_meeting(session, meeting.id),
    )


def _require_caller(role: Role, message: str) -> None:
    if not service.may_call(role):
        raise Refusal(message)


def call(
    session: Session,
    *,
    body: Body,
    role: Role,
    starts_at: datetime,
    place: str | None,
    duration: timedelta | None,
    now: datetime,
) -> Kallelse:
    """/kallelse: a draft meeting, shown to the chair with its agenda."""
    meeting = service.call_meeting(
        session,
        body=body,
        role=role,
        starts_at=starts_at,
        place=place,
        now=now,
        duration=duration,
    )
    return kallelse_of(session, meeting)


@dataclass(frozen=True)
class AgendaStep:
    kallelse: Kallelse
    selected: int | None
    result: rules.MoveResult | None  # AT_EDGE, LOCKED: the toast says why nothing moved


def agenda_step(
    session: Session,
    *,
    body: Body,
    role: Role,
    meeting_id: int,
    item_id: int,
    op: str,
    now: datetime,
) -> AgendaStep:
    """A press on the draft's buttons: select an item (s), back to the overview (o), or move,
    drop or restore the selected one."""
    _require_caller(
        role, N_("Only the chair of this body or the administrator can change the agenda.")
    )
    meeting = repo.get_meeting(session, meeting_id)
    if meeting is None or meeting.body_id != body.id:
        raise Refusal(N_("This button is no longer valid."))
    if meeting.status != MeetingStatus.DRAFT:
        raise Refusal(N_("This kallelse has already been published or cancelled."))
    selected: int | None = item_id
    result = None
    if op == "o":
        selected = None
    elif op != "s":
        result = service.edit_agenda(
            session,
            body=body,
            role=role,
            meeting_id=meeting_id,
            item_id=item_id,
            op=op,
            now=now,
        )
    elif item_id not in {i.id for i in repo.agenda_of(session, meeting_id)}:
        raise Refusal(N_("This button is no longer valid."))
    return AgendaStep(kallelse_of(session, meeting), selected, result)


def publish(
    session: Session, *, body: Body, role: Role, meeting_id: int, now: datetime
) -> Kallelse:
    return kallelse_of(
        session, service.publish(session, body=body, role=role, meeting_id=meeting_id, now=now)
    )


@dataclass(frozen=True)
class MeetingLine:
    meeting: Meeting
    rsvp: service.RsvpSummary | None  # None for a draft
    protokoll: justering.ProtokollState | None = None  # a held meeting's protokoll


def meetings_of(
    session: Session, body: Body, now: datetime
) -> tuple[list[MeetingLine], list[MeetingLine]]:
    """/moten: the upcoming meetings and the last few past ones."""
    assert body.id is not None

    today = now.astimezone(minutes_service.zone_of(session, body)).date()

    # A meeting held (closed) before its planned end is past, not upcoming.
    ahead = repo.upcoming_meetings(session, body.id, now)
    upcoming = [m for m in ahead if m.closed_at is None]
    held_early = sorted(
        (m for m in ahead if m.closed_at is not None), key=lambda m: m.starts_at, reverse=True
    )
    past = (held_early + repo.past_meetings(session, body.id, now, limit=PAST_SHOWN))[:PAST_SHOWN]
    # Every listed meeting's answers in one read, not one per meeting.
    answers = service.rsvp_summaries(
        session, body.id, [m for m in upcoming + past if m.status != MeetingStatus.DRAFT]
    )

    def line(meeting: Meeting) -> MeetingLine:
        held = (
            justering.protokoll_state(session, body, meeting, today=today)
            if meeting.closed_at is not None
            else None
        )
        return MeetingLine(meeting, answers.get(meeting.id or 0), held)

    return [line(m) for m in upcoming], [line(m) for m in past]


def meeting_to_move(session: Session, *, body: Body, role: Role, now: datetime) -> Meeting:
    """/flytta: the next meeting, for the chair or administrator."""
    _require_caller(
        role, N_("Only the chair of this body or the administrator can move a meeting.")
    )
    meeting = service.next_meeting(session, body, now)
    if meeting is None:
        raise Refusal(N_("There is no upcoming meeting of this body. Call one with /kallelse."))
    return meeting


@dataclass(frozen=True)
class Moved:
    kallelse: Kallelse
    old_start: datetime


def move(
    session: Session,
    *,
    body: Body,
    role: Role,
    meeting_id: int,
    starts_at: datetime,
    place: str | None,
    duration: timedelta | None,
    now: datetime,
) -> Moved:
    meeting, old = service.reschedule(
        session,
        body=body,
        role=role,
        starts_at=starts_at,
        place=place,
        now=now,
        meeting_id=meeting_id,
        duration=duration,
    )
    return Moved(kallelse_of(session, meeting), old)


def cancellable(session: Session, *, body: Body, role: Role, now: datetime) -> list[Meeting]:
    """/stall_in: the upcoming meetings to choose from."""
    _require_caller(
        role, N_("Only the chair of this body or the administrator can cancel a meeting.")
    )
    assert body.id is not None
    upcoming = repo.upcoming_meetings(session, body.id, now)[:CANCELLABLE_SHOWN]
    if not upcoming:
        raise Refusal(N_("There is no upcoming meeting of this body to cancel."))
    return upcoming


@dataclass(frozen=True)
class Cancelled:
    kallelse: Kallelse
    was_published: bool


def cancel(
    session: Session, *, body: Body, role: Role, meeting_id: int, now: datetime
) -> Cancelled:
    meeting, was_published = service.cancel(
        session, body=body, role=role, meeting_id=meeting_id, now=now
    )
    return Cancelled(kallelse_of(session, meeting), was_published)


@dataclass(frozen=True)
class PanelTarget:
    """Where a kallelse's panel is, for an edit: its outbox row (`key`, `part`) or, for a
    kallelse sent before the outbox carried it, its message id."""

    kallelse: Kallelse
    chat_id: int
    key: str | None
    part: int
    message_id: int | None


def panel_target(
    session: Session, meeting_id: int, *, locked: Meeting | None = None
) -> PanelTarget | None:
    """The published (or cancelled) kallelse whose panel shows the current state, or None where
    none was queued or sent. The meeting row is locked (PostgreSQL), so edits queued by
    concurrent transactions are computed, and queued, in the order they commit; `locked`: the
    meeting as this transaction already locked and changed it (an RSVP press)."""
    if locked is not None and locked.id == meeting_id:
        meeting: Meeting | None = locked
    else:
        meeting = repo.get_meeting(session, meeting_id, lock=True)
    if meeting is None or meeting.status == MeetingStatus.DRAFT:
        return None
    key = kallelse_key(meeting_id)
    queued = outbox.delivery_of(session, key)
    if queued is None and meeting.kallelse_message_id is None:
        return None
    k = kallelse_of(session, meeting)
    if k.body.chat_id is None:
        return None
    if queued is None:
        return PanelTarget(k, k.body.chat_id, None, -1, meeting.kallelse_message_id)
    part = int(queued.payload.get("hook", {}).get("panel_part", -1))
    return PanelTarget(k, k.body.chat_id, key, part, None)
