"""Raising a question from the samverkansgrupp to the styrgrupp, and following it back.

proposed (a member asked) → raised (the samverkansgrupp chair confirmed) → on_agenda (delivered
to the styrgrupp chat and put on its next meeting) → decided (the styrgrupp recorded a decision
under that agenda item) → reported (the decision was posted in the samverkansgrupp chat).

Every message is a reminder row, so it survives restarts and goes through the rate limiter; an
escalation whose target chat is not linked yet waits and is delivered by `deliver_pending`.
Functions run in the caller's transaction and raise `Refusal` (nothing changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from delivery import outbox
from governance import agenda as rules
from i18n import N_
from services import events
from services.errors import Refusal
from services.roles import Role
from storage import bodies, people, reminders
from storage import escalations as repo
from storage import meetings as meeting_repo
from storage.decisions import decision_label
from storage.models import (
    AgendaItem,
    AuditEntry,
    Body,
    Decision,
    Escalation,
    Meeting,
    MeetingStatus,
    Partnership,
    Person,
)

__all__ = [
    "KIND_DECIDED",
    "KIND_OVERDUE",
    "KIND_RAISED",
    "MAX_QUESTION_CHARS",
    "OPEN_STATUSES",
    "ConfirmResult",
    "OpenEscalation",
    "confirm",
    "decided_key",
    "deliver",
    "deliver_pending",
    "message_link",
    "on_decision_recorded",
    "on_meeting_changed",
    "open_escalations",
    "overdue_source",
    "propose",
    "raised_key",
    "refresh_reported",
    "sync_overdue",
    "withdraw",
]

KIND_RAISED = "escalation.raised"
KIND_DECIDED = "escalation.decided"
KIND_OVERDUE = "escalation.overdue"

MAX_QUESTION_CHARS = 1000


class Status:
    PROPOSED = "proposed"
    RAISED = "raised"
    ON_AGENDA = "on_agenda"
    DECIDED = "decided"
    REPORTED = "reported"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = (Status.PROPOSED, Status.RAISED, Status.ON_AGENDA, Status.DECIDED)
_UNDECIDED = (Status.RAISED, Status.ON_AGENDA)

FROM_KIND = "samverkansgrupp"
TO_KIND = "styrgrupp"


def raised_key(escalation_id: int) -> str:
    return f"escalation:{escalation_id}:raised"


def decided_key(escalation_id: int) -> str:
    return f"escalation:{escalation_id}:decided"


def overdue_source(escalation_id: int) -> str:
    return f"escalation:{escalation_id}:overdue"


def message_link(chat_id: int | None, message_id: int | None) -> str | None:
    """A t.me link to a message; only supergroups (ids -100…) have one."""
    if chat_id is None or message_id is None:
        return None
    text = str(chat_id)
    if not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


def _partnership(session: Session, partnership_id: int) -> Partnership:
    partnership = session.get(Partnership, partnership_id)
    assert partnership is not None and partnership.id is not None
    return partnership


def _zone(partnership: Partnership) -> ZoneInfo:
    return ZoneInfo(partnership.timezone)


def _audit(
    session: Session, escalation: Escalation, action: str, now: datetime, **detail: Any
) -> None:
    session.add(
        AuditEntry(
            partnership_id=escalation.partnership_id,
            at=now,
            action=action,
            detail={"escalation_id": escalation.id, **detail},
        )
    )


def _name(person: Person | None) -> str:
    if person is None:
        return ""
    if person.erased:
        return "—"
    full = person.formal_name or " ".join(p for p in (person.first_name, person.last_name) if p)
    return full or (person.username or str(person.telegram_user_id))


# --- proposing and confirming ---------------------------------------------------------------


def propose(
    session: Session,
    *,
    body: Body,
    role: Role,
    question: str,
    source_message_id: int | None,
    now: datetime,
) -> Escalation:
    """A member of the samverkansgrupp asks to raise a question; its chair confirms."""
    if body.kind != FROM_KIND:
        raise Refusal(N_("Questions are raised to the styrgrupp from the samverkansgrupp's chat."))
    if not (role.is_member or role.is_chair or role.is_administrator):
        raise Refusal(
            N_("Only members of the samverkansgrupp can raise a question. Use /jag first.")
        )
    text = " ".join(question.split())
    if not text:
        raise Refusal(
            N_(
                "Write the question after the command, for example /lyft Can the opening hours change?"
            )
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise Refusal(
            N_("The question is too long: at most {limit} characters."), limit=MAX_QUESTION_CHARS
        )
    target = bodies.get_body(session, body.partnership_id, TO_KIND)
    if target is None or target.id is None or body.id is None:
        raise Refusal(N_("This partnership has no {body}."), body=TO_KIND)
    escalation = repo.add(
        session,
        Escalation(
            partnership_id=body.partnership_id,
            from_body_id=body.id,
            to_body_id=target.id,
            question=text,
            status=Status.PROPOSED,
            raised_by_person_id=role.person.id if role.person else None,
            source_message_id=source_message_id,
            created_at=now,
        ),
    )
    _audit(session, escalation, "escalation.proposed", now)
    return escalation


@dataclass(frozen=True)
class ConfirmResult:
    escalation: Escalation
    changed: bool  # False: it had already been confirmed or withdrawn (a second press)
    delivered: bool  # it went to the styrgrupp chat; False: waiting for the chat to be linked


def _locked(session: Session, escalation_id: int, body: Body) -> Escalation:
    escalation = repo.get(session, escalation_id, lock=True)
    if escalation is None or escalation.from_body_id != body.id:
        raise Refusal(N_("This request no longer exists."))
    return escalation


def confirm(
    session: Session, *, escalation_id: int, body: Body, role: Role, now: datetime
) -> ConfirmResult:
    """The samverkansgrupp chair confirms: the question is raised and, when the styrgrupp chat
    is linked, delivered there and put on its next meeting's agenda."""
    if not (role.is_chair or role.is_administrator):
        raise Refusal(N_("Only the chair of the samverkansgrupp can confirm raising a question."))
    escalation = _locked(session, escalation_id, body)
    if escalation.status != Status.PROPOSED:
        return ConfirmResult(
            escalation, changed=False, delivered=escalation.agenda_item_id is not None
        )
    escalation.status = Status.RAISED
    escalation.raised_at = now
    escalation.confirmed_by_person_id = role.person.id if role.person else None
    session.add(escalation)
    _audit(session, escalation, "escalation.raised", now)
    session.flush()
    delivered = deliver(session, escalation, now=now)
    return ConfirmResult(escalation, changed=True, delivered=delivered)


def withdraw(
    session: Session, *, escalation_id: int, body: Body, role: Role, now: datetime
) -> ConfirmResult:
    """Withdrawn before it is confirmed: by whoever proposed it, the chair or the administrator."""
    escalation = _locked(session, escalation_id, body)
    own = role.person is not None and role.person.id == escalation.raised_by_person_id
    if not (own or role.is_chair or role.is_administrator):
        raise Refusal(N_("Only the person who proposed it or the chair can withdraw it."))
    if escalation.status != Status.PROPOSED:
        return ConfirmResult(
            escalation, changed=False, delivered=escalation.agenda_item_id is not None
        )
    escalation.status = Status.WITHDRAWN
    session.add(escalation)
    _audit(session, escalation, "escalation.withdrawn", now)
    session.flush()
    return ConfirmResult(escalation, changed=True, delivered=False)


# --- delivering to the styrgrupp ------------------------------------------------------------


def _place_item(session: Session, target: Body, item: AgendaItem, now: datetime) -> Meeting | None:
    """As a member's /punkt: on the draft, else the next published meeting, else kept for the
    next meeting called. A full agenda keeps it waiting rather than losing it."""
    assert target.id is not None
    meeting_repo.lock_body(session, target.id)
    meeting = meeting_repo.draft_of(session, target.id) or next(
        iter(meeting_repo.upcoming_meetings(session, target.id, now, include_drafts=False)), None
    )
    if meeting is not None and meeting.id is not None:
        meeting_id = meeting.id
        meeting = meeting_repo.get_meeting(session, meeting_id, lock=True) or meeting
        items = meeting_repo.agenda_of(session, meeting_id)
        if len(items) < rules.MAX_ITEMS:
            item.meeting_id = meeting_id
            meeting_repo.add_item(session, item)
            entries = [
                rules.AgendaEntry(i.id or 0, i.kind, i.standard_key, i.dropped) for i in items
            ]
            items.insert(rules.insert_index(entries, item.kind), item)
            for position, each in enumerate(items, start=1):
                if each.position != position:
                    each.position = position
                    session.add(each)
            meeting.updated_at = now
            session.add(meeting)
            session.flush()
            return meeting
    meeting_repo.add_item(session, item)
    return None


def _common_payload(session: Session, escalation: Escalation) -> dict[str, Any]:
    partnership = _partnership(session, escalation.partnership_id)
    source = session.get(Body, escalation.from_body_id)
    target = session.get(Body, escalation.to_body_id)
    raised_by = (
        session.get(Person, escalation.raised_by_person_id)
        if escalation.raised_by_person_id
        else None
    )
    raised_at = escalation.raised_at or escalation.created_at
    return {
        "escalation_id": escalation.id,
        "diarienummer": partnership.diarienummer,
        "from_body": source.name if source else FROM_KIND,
        "to_body": target.name if target else TO_KIND,
        "question": escalation.question,
        "raised_by": _name(raised_by),
        "raised_on": raised_at.astimezone(_zone(partnership)).date().isoformat(),
    }


def _meeting_payload(session: Session, meeting: Meeting | None) -> dict[str, Any]:
    if meeting is None:
        return {}
    body = session.get(Body, meeting.body_id)
    partnership = _partnership(session, body.partnership_id) if body else None
    zone = _zone(partnership) if partnership else ZoneInfo("UTC")
    return {"meeting_starts": meeting.starts_at.astimezone(zone).isoformat()}


def deliver(session: Session, escalation: Escalation, *, now: datetime) -> bool:
    """Put a raised escalation on the styrgrupp's agenda and post it there; False (nothing
    changed) while the styrgrupp chat is not linked."""
    if escalation.status != Status.RAISED or escalation.agenda_item_id is not None:
        return escalation.agenda_item_id is not None
    target = session.get(Body, escalation.to_body_id)
    if target is None or target.chat_id is None:
        return False
    item = AgendaItem(
        body_id=escalation.to_body_id,
        meeting_id=None,
        kind=rules.ItemKind.ESCALATION,
        title=escalation.question,
        added_by_person_id=escalation.raised_by_person_id,
        created_at=now,
    )
    meeting = _place_item(session, target, item, now)
    escalation.agenda_item_id = item.id
    escalation.status = Status.ON_AGENDA
    session.add(escalation)
    partnership = _partnership(session, escalation.partnership_id)
    assert escalation.id is not None
    payload = _common_payload(session, escalation) | _meeting_payload(session, meeting)
    reminders.schedule(
        session,
        [
            reminders.ReminderSpec(
                kind=KIND_RAISED,
                source=f"escalation:{escalation.id}",
                dedupe_key=raised_key(escalation.id),
                chat_id=target.chat_id,
                thread_id=target.thread_id,
                partnership_id=partnership.id,
                due_at=now,
                payload=payload,
                language=partnership.language,
                # A fact's message: urgent, and resent (marked) rather than lost on a timeout.
                priority=outbox.NOW,
                on_timeout="resend",
                max_attempts=outbox.FACT_MAX_ATTEMPTS,
            )
        ],
        now=now,
    )
    _audit(session, escalation, "escalation.delivered", now, agenda_item_id=item.id)
    session.flush()
    sync_overdue(session, escalation, now=now)
    return True


def _post_decision(session: Session, escalation: Escalation, *, now: datetime) -> bool:
    """Schedule the decision's message to the samverkansgrupp; False while it has no chat."""
    source = session.get(Body, escalation.from_body_id)
    decision = session.get(Decision, escalation.decision_id) if escalation.decision_id else None
    if source is None or source.chat_id is None or decision is None or escalation.id is None:
        return False
    decided_by = session.get(Body, decision.body_id)
    partnership = _partnership(session, escalation.partnership_id)
    payload = _common_payload(session, escalation) | {
        "label": decision_label(decided_by, decision) if decided_by else "",
        "decision": decision.text,
        "decided_on": decision.decided_on.isoformat(),
        "link": message_link(source.chat_id, escalation.source_message_id),
    }
    reminders.schedule(
        session,
        [
            reminders.ReminderSpec(
                kind=KIND_DECIDED,
                source=f"escalation:{escalation.id}",
                dedupe_key=decided_key(escalation.id),
                chat_id=source.chat_id,
                thread_id=source.thread_id,
                partnership_id=partnership.id,
                due_at=now,
                payload=payload,
                language=partnership.language,
                # A fact's message: urgent, and resent (marked) rather than lost on a timeout.
                priority=outbox.NOW,
                on_timeout="resend",
                max_attempts=outbox.FACT_MAX_ATTEMPTS,
            )
        ],
        now=now,
    )
    return True


def deliver_pending(session: Session, partnership: Partnership, *, now: datetime) -> int:
    """After a chat is linked: raised escalations go to the styrgrupp, decisions not yet posted
    go to the samverkansgrupp. Returns how many messages were scheduled."""
    assert partnership.id is not None
    done = 0
    for escalation in repo.of_partnership(session, partnership.id, (Status.RAISED,)):
        if escalation.agenda_item_id is None and deliver(session, escalation, now=now):
            done += 1
    for escalation in repo.of_partnership(session, partnership.id, (Status.DECIDED,)):
        assert escalation.id is not None
        if reminders.get_by_key(session, decided_key(escalation.id)) is None and _post_decision(
            session, escalation, now=now
        ):
            done += 1
    return done


# --- decided, overdue, reported -------------------------------------------------------------


@events.subscribe(events.ChatLinked)
def _chat_linked(session: Session, event: events.ChatLinked, now: datetime) -> None:
    """Items raised to a styrgrupp that had no chat yet are delivered now."""
    partnership = session.get(Partnership, event.partnership_id)
    if partnership is not None:
        deliver_pending(session, partnership, now=now)


@events.subscribe(events.DecisionRecorded)
def _decided(session: Session, event: events.DecisionRecorded, now: datetime) -> None:
    decision = session.get(Decision, event.decision_id)
    if decision is not None:
        on_decision_recorded(session, decision, now=now)


def on_decision_recorded(
    session: Session, decision: Decision, *, now: datetime
) -> Escalation | None:
    """A decision under an escalation's agenda item decides it: the overdue flag is cancelled
    and the decision is posted back in the samverkansgrupp chat. Other decisions: None."""
    if decision.agenda_item_id is None or decision.id is None:
        return None
    escalation = repo.of_agenda_item(session, decision.agenda_item_id, lock=True)
    if escalation is None or escalation.id is None or escalation.status not in _UNDECIDED:
        return None
    if escalation.to_body_id != decision.body_id:
        return None
    escalation.status = Status.DECIDED
    escalation.decision_id = decision.id
    escalation.decided_at = now
    session.add(escalation)
    _audit(session, escalation, "escalation.decided", now, decision_id=decision.id)
    session.flush()
    reminders.cancel_source(session, overdue_source(escalation.id), now)
    _post_decision(session, escalation, now=now)
    return escalation


def _chair_payload(session: Session, body: Body | None, today: date) -> dict[str, Any]:
    if body is None or body.id is None:
        return {}
    found = people.current_chair(session, body.id, today)
    if found is None:
        return {}
    person = found[1]
    return {"chair": _name(person), "chair_user_id": person.telegram_user_id}


def sync_overdue(session: Session, escalation: Escalation, *, now: datetime) -> None:
    """Flag to both chairs' chats at the end of the meeting the question is on, unless decided
    by then; recomputed whenever the escalation or its meeting changes."""
    assert escalation.id is not None
    source_key = overdue_source(escalation.id)
    item = session.get(AgendaItem, escalation.agenda_item_id) if escalation.agenda_item_id else None
    meeting = session.get(Meeting, item.meeting_id) if item and item.meeting_id else None
    if (
        escalation.status not in _UNDECIDED
        or item is None
        or item.dropped
        or meeting is None
        or meeting.status == MeetingStatus.CANCELLED
    ):
        reminders.replace_for_source(session, source_key, [], now=now)
        return
    partnership = _partnership(session, escalation.partnership_id)
    today = now.astimezone(_zone(partnership)).date()
    payload = _common_payload(session, escalation) | _meeting_payload(session, meeting)
    specs = []
    for body_id in (escalation.from_body_id, escalation.to_body_id):
        body = session.get(Body, body_id)
        if body is None or body.chat_id is None:
            continue
        specs.append(
            reminders.ReminderSpec(
                kind=KIND_OVERDUE,
                source=source_key,
                dedupe_key=f"{source_key}:{meeting.id}:{body_id}",
                chat_id=body.chat_id,
                thread_id=body.thread_id,
                partnership_id=partnership.id,
                due_at=meeting.ends_at,
                payload=payload | _chair_payload(session, body, today),
                language=partnership.language,
            )
        )
    reminders.replace_for_source(session, source_key, specs, now=now)


def on_meeting_changed(session: Session, meeting: Meeting, *, now: datetime) -> None:
    """A styrgrupp meeting was called, published, moved or cancelled: the overdue flags of the
    questions on it follow; a cancelled meeting gives its questions back to the next one."""
    assert meeting.id is not None
    on_it = repo.of_meeting(session, meeting.id)
    if meeting.status == MeetingStatus.CANCELLED:
        for escalation, item in on_it:
            if escalation.status in _UNDECIDED:
                item.meeting_id = None
                session.add(item)
        session.flush()
    for escalation, _item in on_it:
        sync_overdue(session, escalation, now=now)


def refresh_reported(session: Session, partnership_id: int, *, now: datetime) -> int:
    """Decided escalations whose decision message was sent become reported."""
    changed = 0
    for escalation in repo.of_partnership(session, partnership_id, (Status.DECIDED,)):
        assert escalation.id is not None
        row = reminders.get_by_key(session, decided_key(escalation.id))
        if row is not None and row.state == reminders.ReminderState.SENT:
            escalation.status = Status.REPORTED
            escalation.reported_at = row.sent_at or now
            session.add(escalation)
            _audit(session, escalation, "escalation.reported", now)
            changed += 1
    session.flush()
    return changed


@dataclass(frozen=True)
class OpenEscalation:
    escalation: Escalation
    age_days: int  # whole days since it was raised (proposed: since it was asked)
    meeting: Meeting | None  # the meeting whose agenda it is on, if any


def open_escalations(
    session: Session, partnership: Partnership, *, now: datetime
) -> list[OpenEscalation]:
    """Questions not yet reported back, oldest first."""
    assert partnership.id is not None
    refresh_reported(session, partnership.id, now=now)
    zone = _zone(partnership)
    today = now.astimezone(zone).date()
    found = []
    for escalation in repo.of_partnership(session, partnership.id, OPEN_STATUSES):
        since = (escalation.raised_at or escalation.created_at).astimezone(zone).date()
        item = (
            session.get(AgendaItem, escalation.agenda_item_id)
            if escalation.agenda_item_id
            else None
        )
        meeting = session.get(Meeting, item.meeting_id) if item and item.meeting_id else None
        found.append(OpenEscalation(escalation, max(0, (today - since).days), meeting))
    return found


# --- what the chat shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    escalation: Escalation
    proposer: Person | None


@dataclass(frozen=True)
class Handled:
    """A press on the proposal's buttons: its outcome, and the published styrgrupp meeting whose
    kallelse now lists the question (to be edited)."""

    escalation: Escalation
    changed: bool
    proposer: Person | None
    published_meeting_id: int | None


def _published_meeting_of(session: Session, escalation: Escalation) -> int | None:
    if escalation.agenda_item_id is None:
        return None
    item = session.get(AgendaItem, escalation.agenda_item_id)
    if item is None or item.meeting_id is None:
        return None
    meeting = session.get(Meeting, item.meeting_id)
    if meeting is None or meeting.status != MeetingStatus.PUBLISHED:
        return None
    return meeting.id


def raise_question(
    session: Session,
    *,
    body: Body,
    role: Role,
    question: str,
    source_message_id: int | None,
    now: datetime,
) -> Proposal:
    """/lyft: a member proposes; the samverkansgrupp chair confirms with a button."""
    escalation = propose(session, body=body, role=role, question=question,
                         source_message_id=source_message_id, now=now)  # fmt: skip
    return Proposal(escalation, role.person)


def handle_proposal(
    session: Session, *, escalation_id: int, body: Body, role: Role, confirmed: bool,
    now: datetime,
) -> Handled:  # fmt: skip
    action = confirm if confirmed else withdraw
    result = action(session, escalation_id=escalation_id, body=body, role=role, now=now)
    escalation = result.escalation
    proposer = (
        session.get(Person, escalation.raised_by_person_id)
        if escalation.raised_by_person_id
        else None
    )
    published = _published_meeting_of(session, escalation)
    return Handled(escalation, result.changed, proposer, published)


@dataclass(frozen=True)
class PastEscalation:
    escalation: Escalation
    decision: Decision | None
    label: str | None  # the decision's register number, "SG 2026:4"


HISTORY_SHOWN = 30


def escalation_history(
    session: Session, partnership: Partnership, *, now: datetime
) -> list[PastEscalation]:
    """/lyfta alla: every question raised, newest first, with the decision it got."""
    assert partnership.id is not None
    refresh_reported(session, partnership.id, now=now)
    found = []
    every = repo.of_partnership(
        session, partnership.id, (*OPEN_STATUSES, Status.REPORTED, Status.WITHDRAWN)
    )
    for escalation in reversed(every[-HISTORY_SHOWN:]):
        decision = session.get(Decision, escalation.decision_id) if escalation.decision_id else None
        body = session.get(Body, decision.body_id) if decision is not None else None
        label = decision_label(body, decision) if decision and body else None
        found.append(PastEscalation(escalation, decision, label))
    return found


__all__ += ["PastEscalation", "escalation_history"]
