"""What /hjalp suggests first: the handful of things this person most likely wants now, from
their role and the body's state (a meeting in session, one to answer or to open, minutes
waiting, their own open action items)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services import actions
from services.minutes import EARLY_START, may_lead
from services.roles import Role
from storage import meetings as meeting_repo
from storage import minutes as minutes_repo
from storage import people
from storage.models import Body, Meeting, MeetingStatus, MembershipStatus, Partnership, Party

__all__ = ["HelpState", "help_state"]


@dataclass(frozen=True)
class HelpState:
    role: Role
    body: Body
    in_meeting: bool  # a meeting of the body is in session
    leads_meeting: bool  # … and this person may run it
    next_meeting: Meeting | None  # the next published meeting not yet opened
    draft: Meeting | None  # a kallelse being prepared
    answered: bool  # this person has answered the next meeting
    opens_soon: bool  # the next meeting can be opened now
    own_actions: int  # open action items this person owns
    minutes_waiting: bool  # closed meetings whose minutes are not yet approved
    pending_party: Party | None  # a /jag waiting for confirmation
    has_chair: bool


def help_state(
    session: Session,
    *,
    body: Body,
    role: Role,
    pending_party: Party | None,
    has_chair: bool,
    now: datetime,
) -> HelpState:
    assert body.id is not None
    in_session = minutes_repo.open_meeting(session, body.id)
    upcoming = [
        m
        for m in meeting_repo.upcoming_meetings(session, body.id, now - EARLY_START)
        if m.opened_at is None
    ]
    published = next((m for m in upcoming if m.status == MeetingStatus.PUBLISHED), None)
    draft = next((m for m in upcoming if m.status == MeetingStatus.DRAFT), None)
    person = role.person
    answered = False
    if published is not None and published.id is not None and person is not None and person.id:
        answered = meeting_repo.get_rsvp(session, published.id, person.id) is not None
    own = 0
    if person is not None:
        own = sum(
            1
            for _item, owner in actions.open_action_items(session, body.id)
            if owner.id == person.id
        )
    return HelpState(
        role=role,
        body=body,
        in_meeting=in_session is not None,
        leads_meeting=in_session is not None and may_lead(role, in_session),
        next_meeting=published,
        draft=draft,
        answered=answered,
        opens_soon=published is not None and published.starts_at - EARLY_START <= now,
        own_actions=own,
        minutes_waiting=bool(minutes_repo.unlocked_closed_meetings(session, body.id)),
        pending_party=pending_party,
        has_chair=has_chair,
    )


def state_for(session: Session, *, body: Body, role: Role, now: datetime) -> HelpState:
    """The help state of a person in a body's chat (their pending /jag, whether a chair is)."""
    assert body.id is not None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    today = now.astimezone(ZoneInfo(partnership.timezone)).date()
    membership = role.membership
    pending = (
        session.get(Party, membership.party_id)
        if membership is not None and membership.status == MembershipStatus.PENDING
        else None
    )
    return help_state(
        session,
        body=body,
        role=role,
        pending_party=pending,
        has_chair=people.current_chair(session, body.id, today) is not None,
        now=now,
    )


__all__ += ["state_for"]
