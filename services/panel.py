"""The chair's meeting panel: one message, pinned for the meeting and edited in place, from
which the whole meeting can be run (next item, jump, attendance, justerare, a vote, close).

This module reads what the panel shows (`Panel`) and carries out the presses that are not
already use cases of `services.minutes` / `services.sitting` (which the panel calls as the
commands do). The panel message itself is interactive, not a fact: it is sent and edited
directly, and only its message id is kept on the meeting.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from i18n import N_
from services import minutes, sitting
from services.errors import Refusal
from services.roles import Role
from storage import attachments as attachment_repo
from storage import meetings as meeting_repo
from storage import minutes as repo
from storage import people
from storage import votes as vote_repo
from storage.models import AgendaItem, Body, Meeting, Partnership, Person, Vote

__all__ = [
    "Panel",
    "PanelItem",
    "forget_message",
    "in_session",
    "panel_of",
    "panel_target",
    "require_lead",
    "set_message",
]


@dataclass(frozen=True)
class PanelItem:
    item: AgendaItem
    label: str  # "5", "6.1"


@dataclass(frozen=True)
class Panel:
    meeting: Meeting
    body: Body
    partnership: Partnership
    items: list[PanelItem]  # the agenda, as shown
    position: minutes.Position
    counts: Counter[str] = field(default_factory=Counter)  # kind -> lines under the current item
    attachments: int = 0  # documents on the current item
    present: int = 0
    expected: int = 0
    justerare: list[Person] = field(default_factory=list)
    minute_taker: Person | None = None
    chair: Person | None = None
    open_votes: list[Vote] = field(default_factory=list)
    sheet: sitting.AttendanceSheet | None = None
    choice: sitting.JusterareChoice | None = None
    details: sitting.CurrentItem | None = None  # open action items, the previous minutes

    @property
    def closed(self) -> bool:
        return self.meeting.closed_at is not None

    @property
    def current(self) -> AgendaItem | None:
        return self.position.item


def panel_of(session: Session, meeting: Meeting, now: datetime) -> Panel:
    """Everything the panel shows of a meeting (in session, or just closed): each table read
    once (a refresh follows every recorded line)."""
    assert meeting.id is not None
    body = session.get(Body, meeting.body_id)
    assert body is not None and body.id is not None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    today = now.astimezone(ZoneInfo(partnership.timezone)).date()
    shown = [i for i in meeting_repo.agenda_of(session, meeting.id) if not i.dropped]
    labels = minutes.item_labels(shown)
    position = minutes.current_position(session, meeting, shown)
    current_id = position.item.id if position.item is not None else None
    counts: Counter[str] = Counter(repo.entry_counts(session, meeting.id, current_id))
    attached = sum(
        1 for a in attachment_repo.of_meeting(session, meeting.id) if a.agenda_item_id == current_id
    )
    sheet = sitting.attendance_sheet(session, meeting)
    chair = people.current_chair(session, body.id, today)
    # The people shown are members, already loaded with the attendance: no query each.
    taker = (
        session.get(Person, meeting.minute_taker_person_id)
        if meeting.minute_taker_person_id is not None
        else None
    )
    return Panel(
        meeting=meeting,
        body=body,
        partnership=partnership,
        items=[PanelItem(i, labels.get(i.id or 0, "")) for i in shown],
        position=position,
        counts=counts,
        attachments=attached,
        present=sum(1 for row, _p, _pa in sheet.rows if row.present),
        expected=len(sheet.rows),
        justerare=[
            p
            for p in (session.get(Person, pid) for pid in meeting.justerare_person_ids or [])
            if p is not None
        ],
        minute_taker=taker,
        chair=chair[1] if chair else None,
        open_votes=[
            v for v in vote_repo.open_votes(session, body.id) if v.meeting_id == meeting.id
        ],
        sheet=sheet,
        choice=sitting.justerare_choice(session, body, meeting, today, sheet=sheet, chair=chair),
        details=sitting.current_item(session, body, position),
    )


def in_session(session: Session, body: Body, meeting_id: int) -> Meeting:
    """The meeting a panel button names: this body's, and still in session."""
    meeting = meeting_repo.get_meeting(session, meeting_id)
    if meeting is None or meeting.body_id != body.id or meeting.opened_at is None:
        raise Refusal(N_("This button is no longer valid."))
    if meeting.closed_at is not None:
        raise Refusal(N_("This meeting is already closed."))
    return meeting


def require_lead(role: Role, meeting: Meeting) -> None:
    if not minutes.may_lead(role, meeting):
        raise Refusal(
            N_("Only the chair or the person writing the minutes can do that during the meeting.")
        )


def set_message(session: Session, meeting_id: int, message_id: int) -> None:
    meeting = meeting_repo.get_meeting(session, meeting_id, lock=True)
    if meeting is not None:
        meeting.panel_message_id = message_id
        session.add(meeting)
        session.flush()


def forget_message(session: Session, meeting_id: int) -> int | None:
    """The panel's message id, cleared (the meeting closed: its panel is unpinned)."""
    meeting = meeting_repo.get_meeting(session, meeting_id, lock=True)
    if meeting is None or meeting.panel_message_id is None:
        return None
    found = meeting.panel_message_id
    meeting.panel_message_id = None
    session.add(meeting)
    session.flush()
    return found


def panel_target(session: Session, meeting_id: int, now: datetime) -> tuple[Panel, int, int] | None:
    """The panel to refresh: (what it shows, chat id, message id), or None without one."""
    # The meeting with its body and partnership in one read (panel_of finds them loaded).
    row = session.exec(
        select(Meeting, Body, Partnership)
        .join(Body, col(Body.id) == Meeting.body_id)
        .join(Partnership, col(Partnership.id) == Body.partnership_id)
        .where(Meeting.id == meeting_id)
    ).first()
    if row is None or row[0].panel_message_id is None:
        return None
    meeting = row[0]
    assert meeting.panel_message_id is not None
    found = panel_of(session, meeting, now)
    if found.body.chat_id is None:
        return None
    return found, found.body.chat_id, meeting.panel_message_id


def open_meeting_id(session: Session, body: Body) -> int | None:
    """The id of the body's meeting in session, if any (for refreshing its panel)."""
    assert body.id is not None
    meeting = repo.open_meeting(session, body.id)
    return meeting.id if meeting is not None else None


__all__ += ["open_meeting_id"]


def panel_of_id(session: Session, meeting_id: int, now: datetime) -> Panel | None:
    meeting = meeting_repo.get_meeting(session, meeting_id)
    return panel_of(session, meeting, now) if meeting is not None else None


__all__ += ["panel_of_id"]
