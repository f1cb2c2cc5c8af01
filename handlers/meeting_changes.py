"""/flytta (move the next meeting) and /stall_in (cancel one), with their buttons.

The messages that carry a recorded fact, queued in the outbox by the transaction that moves or
cancels: `queue_moved` and `queue_cancelled` (the kallelse edited in place, then the notice and
the updated invitation).
Callback data:
  mf:<meeting>:<unix time>      the chosen reading of an ambiguous time for /flytta
  mx:<meeting>                  cancel this meeting
"""

from __future__ import annotations

from datetime import datetime

import handlers.meeting_time as meeting_time
from delivery import outbox
from delivery.parts import Document, Text
from handlers.common import esc
from handlers.meetings import invitation, queue_panel_edit, queue_unpin_kallelse
from handlers.wrapper import BodyAct, in_body
from i18n import N_, language
from services import kallelse as service
from services.errors import Refusal
from storage.models import MeetingStatus
from views import kallelse as view
from views.agenda import short_when


def queue_moved(act: BodyAct, moved: service.Moved) -> None:
    """Queued with the move: the kallelse's panel edited, then the notice and the updated
    invitation (same UID, higher SEQUENCE)."""
    k = moved.kallelse
    assert k.meeting.id is not None
    with language(k.partnership.language):
        notice = view.moved_notice(k, moved.old_start)
        data, name = view.ics(k, now=act.now)
        caption = view.moved_caption(k.body, k.meeting)
    _queue_change(act, k, "moved", notice, invitation(data, name, caption))


def queue_cancelled(act: BodyAct, cancelled: service.Cancelled) -> None:
    """Queued with the cancellation: the kallelse marked cancelled (no buttons), then the notice
    and the CANCEL invitation."""
    k = cancelled.kallelse
    assert k.meeting.id is not None
    with language(k.partnership.language):
        notice = view.cancelled_notice(k)
        data, name = view.ics(k, now=act.now)
        caption = view.cancelled_caption(k.body, k.meeting)
    _queue_change(act, k, "cancelled", notice, invitation(data, name, caption))


def _queue_change(act: BodyAct, k: service.Kallelse, what: str, notice: str, ics: Document) -> None:
    meeting_id = k.meeting.id
    assert meeting_id is not None
    queue_panel_edit(act.session, meeting_id, act.now)
    outbox.send(
        act.session,
        key=service.change_key(meeting_id, what, k.meeting.sequence),
        chat_id=act.chat.id,
        thread_id=act.thread,
        partnership_id=k.partnership.id,
        parts=[Text(notice), ics],
        now=act.now,
    )


# --- /flytta ------------------------------------------------------------------------------


@in_body(admin=True)
def reschedule(act: BodyAct) -> None:
    meeting = service.meeting_to_move(act.session, body=act.body, role=act.role, now=act.now)
    if not act.args:
        raise Refusal(N_("Say the new time, for example /flytta 2026-12-12 10:00."))
    command = meeting_time.parse(act.args, act.zone, act.now)
    assert meeting.id is not None
    if isinstance(command.when, list):
        prefix = f"{view.WHEN_MOVE}:{meeting.id}"
        act.reply(*view.which_time(command.when, act.zone, prefix), quote=True)
        return
    _move(act, meeting.id, command.when, command)


@in_body(admin=True, data=rf"{view.WHEN_MOVE}:(\d+):(\d{{1,12}})")
def choose_move_time(act: BodyAct) -> None:
    when = meeting_time.instant(act.data[1])
    command = meeting_time.original(act.message, act.zone, act.now)
    _move(act, int(act.data[0]), when, command)


def _move(act: BodyAct, meeting_id: int, when: datetime, command: meeting_time.When) -> None:
    moved = service.move(
        act.session,
        body=act.body,
        role=act.role,
        meeting_id=meeting_id,
        starts_at=when,
        place=command.place or None,
        duration=meeting_time.duration(when, command.length, act.zone),
        now=act.now,
    )
    if act.query is not None:
        act.answer()
        act.edit(esc(short_when(when, act.zone)))
    if moved.kallelse.meeting.status != MeetingStatus.PUBLISHED:
        # A draft: the chair's own view, a plain reply.
        act.reply(*view.draft(moved.kallelse))
        return
    queue_moved(act, moved)


# --- /stall_in ----------------------------------------------------------------------------


@in_body(admin=True)
def cancel_meeting(act: BodyAct) -> None:
    upcoming = service.cancellable(act.session, body=act.body, role=act.role, now=act.now)
    act.reply(*view.cancel_choice(upcoming, act.zone))


@in_body(admin=True, data=rf"{view.CANCEL}:(\d+)")
def cancel_button(act: BodyAct) -> None:
    cancelled = service.cancel(
        act.session, body=act.body, role=act.role, meeting_id=int(act.data[0]), now=act.now
    )
    act.answer()
    act.edit(esc(view.cancelled_done(cancelled.kallelse.meeting, act.zone)))
    if cancelled.was_published:
        queue_cancelled(act, cancelled)
        assert cancelled.kallelse.meeting.id is not None
        queue_unpin_kallelse(act.session, cancelled.kallelse.meeting.id, act.now)
