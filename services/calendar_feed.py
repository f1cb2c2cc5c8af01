"""Calendar subscriptions: a member's personal, revocable address for their body's meetings.

The address carries a random secret and nothing else; the feed behind it shows what the body's
chat already shows (published and cancelled meetings with their agendas), never who answered
what. `/kalender ny` revokes the old secret and issues a new one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from i18n import N_
from services.errors import Refusal
from services.roles import Role, role_in_body
from storage import calendar_feeds
from storage import meetings as meeting_repo
from storage.models import AgendaItem, Body, Meeting, MeetingStatus, Partnership, Person

# Meetings that ended longer ago than this drop out of the feed (calendars keep what they had).
HISTORY = timedelta(days=400)
SECRET_BYTES = 24  # 32 URL-safe characters


@dataclass(frozen=True)
class Subscription:
    secret: str
    renewed: bool  # a new secret replaced an old one
    body: Body
    partnership: Partnership


def subscribe(
    session: Session,
    *,
    body: Body,
    partnership: Partnership,
    role: Role,
    renew: bool,
    now: datetime,
) -> Subscription:
    """The member's address for this body (made on first use); `renew` revokes and replaces it."""
    person = role.person
    if person is None or person.id is None:
        raise Refusal(N_("Write /kalender from your own account, not anonymously."))
    if not (role.is_member or role.is_chair or role.is_administrator):
        raise Refusal(
            N_(
                "The calendar is for the members of this group. Say which party you represent with /jag first."
            )
        )
    assert body.id is not None
    current = calendar_feeds.active(session, person.id, body.id)
    if current is not None and not renew:
        return Subscription(current.secret, False, body, partnership)
    if current is not None:
        calendar_feeds.revoke(session, current, now)
    row = calendar_feeds.create(
        session, person.id, body.id, secrets.token_urlsafe(SECRET_BYTES), now
    )
    return Subscription(row.secret, current is not None, body, partnership)


@dataclass(frozen=True)
class FeedMeeting:
    meeting: Meeting
    agenda: list[AgendaItem]


@dataclass(frozen=True)
class Feed:
    body: Body
    partnership: Partnership
    meetings: list[FeedMeeting]


def feed(session: Session, secret: str, now: datetime) -> Feed | None:
    """The body's meetings for a live secret; None for an unknown or revoked one."""
    if not secret or len(secret) > 64:
        return None
    subscription = calendar_feeds.by_secret(session, secret)
    if subscription is None:
        return None
    body = session.get(Body, subscription.body_id)
    if body is None or body.id is None:
        return None
    partnership = session.get(Partnership, body.partnership_id)
    if partnership is None:
        return None
    # A member who left the body, or erased their data, no longer gets its meetings.
    person = session.get(Person, subscription.person_id)
    if person is None or person.erased:
        return None
    today = now.astimezone(ZoneInfo(partnership.timezone)).date()
    role = role_in_body(session, body, person.telegram_user_id, today, is_chat_admin=False)
    if not (role.is_member or role.is_chair or role.is_administrator):
        return None
    rows = session.exec(
        select(Meeting)
        .where(
            Meeting.body_id == body.id,
            col(Meeting.status).in_([MeetingStatus.PUBLISHED, MeetingStatus.CANCELLED]),
            col(Meeting.ends_at) >= now - HISTORY,
        )
        .order_by(col(Meeting.starts_at))
    ).all()
    meetings = []
    for meeting in rows:
        assert meeting.id is not None
        agenda = [i for i in meeting_repo.agenda_of(session, meeting.id) if not i.dropped]
        meetings.append(FeedMeeting(meeting, agenda))
    return Feed(body, partnership, meetings)
