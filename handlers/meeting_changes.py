"""/flytta (move the next meeting) and /stall_in (cancel one), with their buttons.

The sends that carry a recorded fact: `send_moved` and `send_cancelled` (the notice and the
updated invitation), after the kallelse itself is edited in place.
Callback data:
  mf:<meeting>:<unix time>      the chosen reading of an ambiguous time for /flytta
  mx:<meeting>                  cancel this meeting
"""

from __future__ import annotations

from datetime import datetime

import handlers.meeting_time as meeting_time
from handlers.bot_context import BotContext
from handlers.common import esc
from handlers.meetings import refresh_kallelse, send_ics, send_texts
from handlers.wrapper import BodyAct, in_body
from i18n import N_, language
from services import kallelse as service
from services.errors import Refusal
from storage.models import MeetingStatus
from views import kallelse as view
from views.agenda import short_when


async def send_moved(
    context: BotContext, chat_id: int, thread_id: int | None, moved: service.Moved, now: datetime
) -> None:
    """The kallelse edited, then the notice and the updated invitation (same UID, higher
    SEQUENCE)."""
    k = moved.kallelse
    with language(k.partnership.language):
        notice = view.moved_notice(k, moved.old_start)
        data, name = view.ics(k, now=now)
        caption = view.moved_caption(k.body, k.meeting)
    assert k.meeting.id is not None
    await refresh_kallelse(context, k.meeting.id)
    await send_texts(context, chat_id, thread_id, [notice])
    await send_ics(context, chat_id, thread_id, data, name, caption)


async def send_cancelled(
    context: BotContext,
    chat_id: int,
    thread_id: int | None,
    cancelled: service.Cancelled,
    now: datetime,
) -> None:
    """The kallelse marked cancelled, then the notice and the CANCEL invitation."""
    k = cancelled.kallelse
    with language(k.partnership.language):
        notice = view.cancelled_notice(k)
        data, name = view.ics(k, now=now)
        caption = view.cancelled_caption(k.body, k.meeting)
    assert k.meeting.id is not None
    await refresh_kallelse(context, k.meeting.id)
    await send_texts(context, chat_id, thread_id, [notice])
    await send_ics(context, chat_id, thread_id, data, name, caption)


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
    thread, now = act.thread, act.now
    if moved.kallelse.meeting.status != MeetingStatus.PUBLISHED:
        text, keyboard = view.draft(moved.kallelse)
        act.then(lambda: send_texts(act.context, act.chat.id, thread, [text], keyboard))
        return
    act.then(lambda: send_moved(act.context, act.chat.id, thread, moved, now))


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
        thread, now = act.thread, act.now
        act.then(lambda: send_cancelled(act.context, act.chat.id, thread, cancelled, now))
