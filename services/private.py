"""The private chat a member starts with the bot: what is waiting for them, and their answers
given there.

`/start <payload>` in private (a deep link from a group message) links the person – Telegram
has just told us their private chat – and moves their reminders there (nudges and vote
reminders that would have named them in the group now come privately). Then they see what is
waiting for them: meetings they have not answered, open votes they have not voted in. They can
answer and vote right there; the group's kallelse and vote message follow (the caller queues
their edits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from i18n import N_
from services import meeting_reminders, meetings, reports, votes
from services.errors import Refusal
from services.roles import Role, role_in_body
from storage import meetings as meeting_repo
from storage import people
from storage import votes as vote_repo
from storage.models import (
    Body,
    Meeting,
    MeetingStatus,
    MembershipStatus,
    Partnership,
    Person,
    Vote,
)
from storage.reports import ActivityReport, ReportEntry

__all__ = [
    "PendingMeeting",
    "PendingVote",
    "Welcome",
    "meeting_answer",
    "start_private",
    "vote_in_private",
    "welcome",
]


@dataclass(frozen=True)
class PendingMeeting:
    meeting: Meeting
    body: Body
    partnership: Partnership


@dataclass(frozen=True)
class PendingVote:
    vote: Vote
    body: Body
    partnership: Partnership


@dataclass(frozen=True)
class Welcome:
    """What the private chat shows someone who arrives (or asks again)."""

    person: Person | None
    came_from: tuple[Body, Partnership] | None  # the body whose message they came from
    bodies: list[tuple[Body, Partnership]] = field(default_factory=list)  # confirmed in
    meetings: list[PendingMeeting] = field(default_factory=list)  # not yet answered
    votes: list[PendingVote] = field(default_factory=list)  # not yet voted
    # Activity report forms this person answers for, not yet submitted.
    forms: list[tuple[ReportEntry, ActivityReport]] = field(default_factory=list)

    @property
    def nothing_waiting(self) -> bool:
        return not self.meetings and not self.votes and not self.forms


def _partnership(session: Session, body: Body) -> Partnership:
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    return partnership


def _confirmed_bodies(session: Session, person: Person) -> list[Body]:
    assert person.id is not None
    return [
        body
        for membership, body in people.body_memberships_of(session, person.id)
        if membership.status == MembershipStatus.CONFIRMED
    ]


def _unanswered(session: Session, person: Person, body: Body, now: datetime) -> list[Meeting]:
    assert body.id is not None and person.id is not None
    return [
        meeting
        for meeting in meeting_repo.upcoming_meetings(session, body.id, now, include_drafts=False)
        if meeting.status == MeetingStatus.PUBLISHED
        and meeting.opened_at is None
        and meeting.id is not None
        and meeting_repo.get_rsvp(session, meeting.id, person.id) is None
    ]


def _not_voted(session: Session, person: Person, body: Body) -> list[Vote]:
    assert body.id is not None and person.id is not None
    found = []
    for vote in vote_repo.open_votes(session, body.id):
        entitled = {int(e["person_id"]) for e in vote.entitled}
        if vote.id is None or person.id not in entitled:
            continue
        if vote_repo.latest_ballot(session, vote.id, person.id) is None:
            found.append(vote)
    return found


def welcome(
    session: Session, *, telegram_user_id: int, body_id: int | None, now: datetime
) -> Welcome:
    """What is waiting for this person, in every body where they are a confirmed member."""
    person = people.get_person_by_telegram_id(session, telegram_user_id)
    came_from = None
    if body_id is not None:
        body = session.get(Body, body_id)
        if body is not None:
            came_from = (body, _partnership(session, body))
    if person is None or person.id is None:
        return Welcome(None, came_from)
    found = Welcome(person, came_from)
    for body in _confirmed_bodies(session, person):
        partnership = _partnership(session, body)
        found.bodies.append((body, partnership))
        found.meetings.extend(
            PendingMeeting(m, body, partnership) for m in _unanswered(session, person, body, now)
        )
        found.votes.extend(
            PendingVote(v, body, partnership) for v in _not_voted(session, person, body)
        )
    found.forms.extend(
        (entry, report)
        for entry, report in reports.my_entries(session, person=person)
        if entry.submitted_at is None or entry.correcting
    )
    found.meetings.sort(key=lambda p: p.meeting.starts_at)
    found.votes.sort(key=lambda p: p.vote.opened_at)
    return found


def start_private(
    session: Session, *, telegram_user_id: int, body_id: int | None, now: datetime
) -> Welcome:
    """`/start` in private: the person's reminders move to this chat (the pre-handler has stored
    its id), then what is waiting for them."""
    found = welcome(session, telegram_user_id=telegram_user_id, body_id=body_id, now=now)
    seen: set[int] = set()
    for pending in found.meetings:
        if pending.meeting.id is not None and pending.meeting.id not in seen:
            seen.add(pending.meeting.id)
            meeting_reminders.sync_meeting_reminders(session, pending.meeting, now=now)
    for waiting in found.votes:
        if waiting.vote.closes_at is not None:
            votes.sync_vote_reminders(session, waiting.vote, body=waiting.body, now=now)
    return found


# --- answering in private -----------------------------------------------------------------


def _role(session: Session, body: Body, telegram_user_id: int, today: date) -> Role:
    return role_in_body(session, body, telegram_user_id, today, is_chat_admin=False)


def _today(partnership: Partnership, now: datetime) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(partnership.timezone)).date()


def meeting_answer(
    session: Session, *, telegram_user_id: int, meeting_id: int, choice: str, now: datetime
) -> tuple[meetings.RsvpOutcome, Body]:
    """An RSVP given in private: the same rules as the button on the kallelse."""
    meeting = meeting_repo.get_meeting(session, meeting_id)
    body = session.get(Body, meeting.body_id) if meeting is not None else None
    if meeting is None or body is None:
        raise Refusal(N_("This button is no longer valid."))
    role = _role(session, body, telegram_user_id, _today(_partnership(session, body), now))
    outcome = meetings.answer(
        session, body=body, role=role, meeting_id=meeting_id, choice=choice, now=now
    )
    return outcome, body


def vote_in_private(
    session: Session, *, telegram_user_id: int, vote_id: int, choice: str, now: datetime
) -> tuple[votes.Cast, Body]:
    """A ballot cast in private: the same rules as the buttons under the vote."""
    vote = vote_repo.get_vote(session, vote_id)
    body = session.get(Body, vote.body_id) if vote is not None else None
    if vote is None or body is None:
        raise Refusal(N_("This button is no longer valid."))
    role = _role(session, body, telegram_user_id, _today(_partnership(session, body), now))
    cast = votes.cast_ballot(
        session, body=body, vote_id=vote_id, role=role, choice=votes.CHOICES[choice], now=now
    )
    return cast, body
