"""Who writes the next minutes (the partnership file's documentation duty), and their reminder.

Chair-led duties (``chair_led_shared``, ``chair``): the person named as minute taker of the
next meeting if the chair has shared the writing out, else the chair. ``rotating_party``: the
party whose turn it is (`governance.documentation.next_holder`), the last holder being the party
of whoever wrote the minutes of the last meeting held.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from governance.documentation import CHAIR_DUTIES, ROTATING, next_holder
from governance.reminder_times import local_instant
from i18n import N_
from services.errors import Refusal
from services.partnerships import spec_of
from services.roles import Role
from storage import bodies, people, reminders
from storage import decisions as repo
from storage.models import Body, Meeting, Partnership, Party, Person

__all__ = [
    "KIND_MINUTES",
    "documentation_source",
    "next_minute_taker",
    "share_out",
    "sync_minute_taker_reminder",
]

KIND_MINUTES = "documentation.next"
REMIND_DAYS_BEFORE = 2
REMINDER_AT = time(9, 0)


def documentation_source(body_id: int) -> str:
    return f"documentation:{body_id}"


def _rotation_order(session: Session, body: Body) -> list[Party]:
    """The parties represented in the body, in the partnership's order."""
    assert body.id is not None
    represented = {party.id for _m, _p, party in people.confirmed_members(session, body.id)}
    return [p for p in bodies.parties_of(session, body.partnership_id) if p.id in represented]


def _party_of(session: Session, body: Body, person_id: int | None) -> Party | None:
    if person_id is None or body.id is None:
        return None
    membership = people.get_membership(session, body.id, person_id)
    if membership is None or membership.party_id is None:
        return None
    return session.get(Party, membership.party_id)


def next_minute_taker(
    session: Session, body: Body, *, today: date
) -> tuple[str, Person | None, Party | None]:
    """(duty kind, person if chair-led, party if rotating)."""
    assert body.id is not None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    rule = spec_of(partnership).body(body.kind).documentation  # type: ignore[arg-type]
    if rule.duty in CHAIR_DUTIES:
        zone = ZoneInfo(partnership.timezone)
        since = local_instant(today, time(0), zone)
        upcoming = repo.upcoming_meeting(session, body.id, since)
        if upcoming is not None and upcoming.minute_taker_person_id is not None:
            return rule.duty, session.get(Person, upcoming.minute_taker_person_id), None
        chair = people.current_chair(session, body.id, today)
        return rule.duty, chair[1] if chair else None, None
    assert rule.duty == ROTATING
    order = _rotation_order(session, body)
    held = repo.closed_meetings(session, body.id)
    last = next((m for m in held if m.minute_taker_person_id is not None), None)
    last_party = _party_of(session, body, last.minute_taker_person_id) if last else None
    key = next_holder(
        [p.key for p in order],
        rotation=rule.rotation,
        last_holder=last_party.key if last_party else None,
        meetings_held=len(held),
    )
    return rule.duty, None, next((p for p in order if p.key == key), None)


def sync_minute_taker_reminder(
    session: Session, body: Body, meeting: Meeting | None, *, now: datetime
) -> int:
    """Remind whoever writes the minutes of `meeting` a couple of days before it: privately when
    that is a person who has started the bot, else in the body's chat. Call it when a meeting is
    published, moved, cancelled or held; None (or a cancelled meeting) clears the reminder."""
    assert body.id is not None
    source = documentation_source(body.id)
    if meeting is None or meeting.status == "cancelled" or meeting.closed_at is not None:
        reminders.cancel_source(session, source, now)
        return 0
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    zone = ZoneInfo(partnership.timezone)
    local_start = meeting.starts_at.astimezone(zone)
    at = local_instant(local_start.date() - timedelta(days=REMIND_DAYS_BEFORE), REMINDER_AT, zone)
    duty, person, party = next_minute_taker(session, body, today=now.astimezone(zone).date())
    private = person is not None and person.private_chat_id is not None and not person.erased
    chat_id = person.private_chat_id if private and person else body.chat_id
    if chat_id is None or at <= now or (person is None and party is None):
        reminders.cancel_source(session, source, now)
        return 0
    payload = {
        "duty": duty,
        "person": (
            (person.formal_name or " ".join(x for x in (person.first_name, person.last_name) if x))
            if person
            else None
        ),
        "person_user_id": person.telegram_user_id if person else None,
        "party": party.name if party else None,
        "private": private,
        "body_name": body.name,
        "diarienummer": partnership.diarienummer,
        "meeting_day": local_start.date().isoformat(),
        # The link back to the kallelse in the group (once sent: services.meetings fills it in).
        "meeting_id": meeting.id,
        "group_chat_id": body.chat_id,
        "kallelse_message_id": meeting.kallelse_message_id,
    }
    spec = reminders.ReminderSpec(
        kind=KIND_MINUTES,
        source=source,
        dedupe_key=f"{source}:{meeting.id}:{local_start.date().isoformat()}",
        chat_id=chat_id,
        thread_id=None if private else body.thread_id,
        person_id=person.id if person else None,
        partnership_id=partnership.id,
        due_at=at,
        expires_at=meeting.starts_at,
        payload=payload,
        language=partnership.language,
    )
    reminders.replace_for_source(session, source, [spec], now=now)
    return 1


def share_out(
    session: Session, *, body: Body, role: Role, person: Person, now: datetime
) -> Meeting:
    """/protokollforare @name: the chair names who writes the next meeting's minutes (where
    the file makes the chair responsible and lets the writing be shared out); the reminder
    follows them."""
    assert body.id is not None and person.id is not None
    if not (role.is_chair or role.is_administrator):
        raise Refusal(N_("Only the chair or the administrator can name who writes the minutes."))
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    rule = spec_of(partnership).body(body.kind).documentation  # type: ignore[arg-type]
    if rule.duty not in CHAIR_DUTIES:
        raise Refusal(
            N_(
                "Here the documentation duty rotates between the parties by the agreement; /protokollforare shows whose turn it is."
            )
        )
    membership = people.get_membership(session, body.id, person.id)
    if membership is None or membership.status != "confirmed":
        raise Refusal(N_("{name} is not a confirmed member of this body."), name=person.first_name)
    zone = ZoneInfo(partnership.timezone)
    since = local_instant(now.astimezone(zone).date(), time(0), zone)
    meeting = repo.upcoming_meeting(session, body.id, since)
    if meeting is None or meeting.opened_at is not None:
        raise Refusal(
            N_(
                "There is no next meeting to write the minutes of yet. Call it with /kallelse, then name who writes them."
            )
        )
    meeting.minute_taker_person_id = person.id
    meeting.updated_at = now
    session.add(meeting)
    session.flush()
    sync_minute_taker_reminder(session, body, meeting, now=now)
    return meeting
