"""Reminders of one meeting: group reminders before it, private nudges to members who have not
answered, and a re-sync of the cadence deadlines that a called meeting satisfies.

Called by the meetings flow in its own transaction whenever a meeting is published,
rescheduled or cancelled. Every call recomputes from the rows as they are (an RSVP changes only
the answering member's nudge: `on_answer`):

* group reminders (kind ``meeting.before``) go to the body's chat (and topic) at each of the
  body's reminder offsets before the start; whole days keep the local wall time of the start
  (``governance.reminder_times.before``), so they stay right across a DST change;
* a private nudge (kind ``meeting.nudge``) goes to each confirmed member of the body who has
  opened a private chat with the bot and not answered, at the one-day offset (or the smallest
  offset of at least a day); an answer, a cancellation or a draft status withdraws it;
* dedupe keys carry the start instant: a moved meeting gets fresh rows (the old pending ones
  are cancelled) while rows already sent stay sent; a changed place only updates the payload of
  pending rows;
* an instant already past when it is computed is not scheduled afresh (publishing a meeting two
  days ahead sends no "in 7 days"), but an existing row is kept, so a bot that was down sends it
  late; each group reminder is superseded by the next one and none outlives the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from governance.partnership_schema import PartnershipSpec
from governance.reminder_times import before
from i18n import pick_language
from services import deadlines
from services.partnerships import spec_of
from storage import reminders as repo
from storage.models import (
    Body,
    Meeting,
    MeetingStatus,
    Membership,
    MembershipStatus,
    Partnership,
    Person,
    Rsvp,
)

__all__ = [
    "KIND_BEFORE",
    "KIND_NUDGE",
    "LATE_GRACE",
    "group_source",
    "nudge_delta",
    "nudge_source",
    "offset_label",
    "on_answer",
    "sync_meeting_reminders",
    "sync_member_nudges",
]

KIND_BEFORE = "meeting.before"
KIND_NUDGE = "meeting.nudge"
# A meeting reminder more than this late says so; minutes matter when the last one is 1 h ahead.
LATE_GRACE = timedelta(minutes=15)
_DAY = timedelta(days=1)


def group_source(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def nudge_source(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:nudges"


def offset_label(delta: timedelta) -> str:
    """The offset as the partnership file writes it: 7 days -> "7d", 1 hour -> "1h"."""
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def nudge_delta(deltas: Sequence[timedelta]) -> timedelta | None:
    """When to nudge: one day before when that is an offset, else the smallest offset of at
    least a day, else the largest offset there is."""
    if not deltas:
        return None
    if _DAY in deltas:
        return _DAY
    long_enough = [d for d in deltas if d >= _DAY]
    return min(long_enough) if long_enough else max(deltas)


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def _existing_keys(session: Session, sources: Sequence[str]) -> set[str]:
    """Keys of rows not withdrawn: a cancelled one whose instant has passed stays cancelled (a
    meeting moved away and back does not replay old reminders)."""
    return set(
        session.exec(
            select(repo.Reminder.dedupe_key).where(
                col(repo.Reminder.source).in_(sources),
                repo.Reminder.state != repo.ReminderState.CANCELLED,
            )
        ).all()
    )


def _wanted(at: datetime, expires: datetime, key: str, existing: set[str], now: datetime) -> bool:
    """New rows only for instants still ahead; existing ones until they expire."""
    if expires <= now:
        return False
    return at >= now or key in existing


def _payload(
    meeting: Meeting,
    body: Body,
    partnership: Partnership,
    zone: ZoneInfo,
    label: str,
) -> dict[str, Any]:
    return {
        "meeting_id": meeting.id,
        "body_id": body.id,
        "body": body.kind,
        "body_name": body.name,
        "diarienummer": partnership.diarienummer,
        "starts_at": meeting.starts_at.astimezone(UTC).isoformat(),
        # Local wall time with its offset: the renderer shows it as the members read it.
        "local_start": meeting.starts_at.astimezone(zone).isoformat(),
        "timezone": partnership.timezone,
        "place": meeting.place,
        "number": meeting.number,
        "year": meeting.year,
        "offset": label,
        "group_chat_id": body.chat_id,
        "kallelse_message_id": meeting.kallelse_message_id,
    }


def _group_specs(
    meeting: Meeting,
    body: Body,
    partnership: Partnership,
    spec: PartnershipSpec,
    zone: ZoneInfo,
    existing: set[str],
    now: datetime,
) -> list[repo.ReminderSpec]:
    assert meeting.id is not None
    if body.chat_id is None:
        return []
    deltas = spec.body(body.kind).meetings.reminder_deltas  # type: ignore[arg-type]
    instants = sorted(
        {(before(meeting.starts_at, d, tz=zone), offset_label(d)) for d in deltas if d}
    )
    source = group_source(meeting.id)
    out: list[repo.ReminderSpec] = []
    for index, (at, label) in enumerate(instants):
        # Superseded by the next reminder: after a pause only the most recent one goes out.
        expires = instants[index + 1][0] if index + 1 < len(instants) else meeting.starts_at
        key = f"{source}:{_stamp(meeting.starts_at)}:{label}"
        if not _wanted(at, expires, key, existing, now):
            continue
        out.append(
            repo.ReminderSpec(
                kind=KIND_BEFORE,
                source=source,
                dedupe_key=key,
                chat_id=body.chat_id,
                thread_id=body.thread_id,
                partnership_id=partnership.id,
                due_at=at,
                expires_at=expires,
                grace_seconds=int(LATE_GRACE.total_seconds()),
                payload=_payload(meeting, body, partnership, zone, label),
                language=partnership.language,
            )
        )
    return out


def _unanswered_reachable(session: Session, meeting: Meeting) -> list[Person]:
    """Confirmed members of the meeting's body with a private chat and no answer yet."""
    answered = select(Rsvp.person_id).where(Rsvp.meeting_id == meeting.id)
    rows = session.exec(
        select(Person)
        .join(Membership, col(Membership.person_id) == Person.id)
        .where(
            Membership.body_id == meeting.body_id,
            Membership.status == MembershipStatus.CONFIRMED,
            col(Person.private_chat_id).is_not(None),
            col(Person.erased).is_(False),
            col(Person.id).not_in(answered),
        )
        .order_by(col(Person.id))
    ).all()
    return list(rows)


def _nudge_specs(
    session: Session,
    meeting: Meeting,
    body: Body,
    partnership: Partnership,
    spec: PartnershipSpec,
    zone: ZoneInfo,
    existing: set[str],
    now: datetime,
) -> list[repo.ReminderSpec]:
    assert meeting.id is not None
    delta = nudge_delta(spec.body(body.kind).meetings.reminder_deltas)  # type: ignore[arg-type]
    if delta is None:
        return []
    at = before(meeting.starts_at, delta, tz=zone)
    label = offset_label(delta)
    source = nudge_source(meeting.id)
    out: list[repo.ReminderSpec] = []
    for person in _unanswered_reachable(session, meeting):
        assert person.id is not None and person.private_chat_id is not None
        key = f"{source}:{_stamp(meeting.starts_at)}:{person.id}"
        if not _wanted(at, meeting.starts_at, key, existing, now):
            continue
        out.append(
            repo.ReminderSpec(
                kind=KIND_NUDGE,
                source=source,
                dedupe_key=key,
                chat_id=person.private_chat_id,
                person_id=person.id,
                partnership_id=partnership.id,
                due_at=at,
                expires_at=meeting.starts_at,
                grace_seconds=int(LATE_GRACE.total_seconds()),
                payload=_payload(meeting, body, partnership, zone, label),
                language=pick_language(
                    person.language_code, partnership.language, tuple(spec.languages)
                ),
            )
        )
    return out


def sync_meeting_reminders(session: Session, meeting: Meeting, *, now: datetime) -> None:
    """Bring every reminder row of ``meeting`` in line with it, then re-sync the partnership's
    deadline reminders (the cadence guard depends on meetings). Runs in the caller's
    transaction; idempotent."""
    if meeting.id is None:
        session.flush()
    assert meeting.id is not None
    body = session.get(Body, meeting.body_id)
    if body is None:
        raise ValueError(f"meeting {meeting.id} has no body")
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    groups, nudges = group_source(meeting.id), nudge_source(meeting.id)
    if meeting.status != MeetingStatus.PUBLISHED:
        repo.cancel_source(session, groups, now)
        repo.cancel_source(session, nudges, now)
    else:
        spec = spec_of(partnership)
        zone = ZoneInfo(partnership.timezone)
        existing = _existing_keys(session, [groups, nudges])
        repo.replace_for_source(
            session,
            groups,
            _group_specs(meeting, body, partnership, spec, zone, existing, now),
            now=now,
        )
        repo.replace_for_source(
            session,
            nudges,
            _nudge_specs(session, meeting, body, partnership, spec, zone, existing, now),
            now=now,
        )
    session.flush()
    deadlines.sync_reminders(session, partnership, now=now)
    # Items raised from the samverkansgrupp follow the styrgrupp meeting they are on.
    from services import escalations

    escalations.on_meeting_changed(session, meeting, now=now)
    # Whoever writes the minutes of the body's next meeting is reminded before it.
    from services import documentation
    from storage.meetings import upcoming_meetings

    assert body.id is not None
    following = upcoming_meetings(session, body.id, now, include_drafts=False)
    documentation.sync_minute_taker_reminder(
        session, body, following[0] if following else None, now=now
    )


def on_answer(
    session: Session, meeting: Meeting, person_id: int, *, first: bool, now: datetime
) -> int:
    """An answer to the kallelse was recorded. Of everything `sync_meeting_reminders` computes,
    only the nudges depend on answers, and only on whether a member has answered (any answer
    counts): a first answer withdraws that member's open nudge for the meeting, a changed
    answer changes no reminder at all. The group reminders, the cadence deadlines, the
    escalations and the minute taker's reminder follow the meeting, not its answers, so an
    RSVP press leaves them alone. Returns the number of rows withdrawn."""
    if not first or meeting.id is None:
        return 0
    return repo.cancel_source(session, nudge_source(meeting.id), now, person_id=person_id)


def sync_member_nudges(session: Session, body: Body, *, now: datetime) -> None:
    """The body's membership changed (a member confirmed, or gone): the nudges of its upcoming
    published meetings follow, exactly as `sync_meeting_reminders` would compute them; the
    group reminders and deadlines do not depend on who the members are."""
    from storage.meetings import upcoming_meetings

    assert body.id is not None
    meetings = [
        m
        for m in upcoming_meetings(session, body.id, now, include_drafts=False)
        if m.status == MeetingStatus.PUBLISHED and m.id is not None
    ]
    if not meetings:
        return
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    spec = spec_of(partnership)
    zone = ZoneInfo(partnership.timezone)
    for meeting in meetings:
        assert meeting.id is not None
        nudges = nudge_source(meeting.id)
        existing = _existing_keys(session, [nudges])
        repo.replace_for_source(
            session,
            nudges,
            _nudge_specs(session, meeting, body, partnership, spec, zone, existing, now),
            now=now,
        )
