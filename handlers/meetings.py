"""/kallelse, /punkt, /moten and their buttons (ambiguous time, agenda, publish, RSVP); the
kallelse kept up to date in place. Moving and cancelling: `handlers.meeting_changes`.

Group-facing texts (the kallelse, notices, invitations) are written in the partnership's
language; answers to one person (toasts, the chair's draft) in that person's language.
The sends that carry a recorded fact: `send_kallelse` and `refresh_kallelse`.
Callback data, all well under 64 bytes:
  rv:<meeting>:<y|n|m>          RSVP
  ma:<meeting>:<item>:<op>      draft agenda: s(elect) u(p) d(own) x (drop) r(estore) o(verview)
  mp:<meeting>                  publish the draft
  mw:<unix time>                the chosen reading of an ambiguous time for /kallelse
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, InputFile, Message

import handlers.meeting_time as meeting_time
from governance import agenda as rules
from governance.textsplit import split_html, truncate_plain
from handlers.bot_context import BotContext
from handlers.common import edit_message, esc
from handlers.wrapper import BAD_BUTTON, BodyAct, in_body
from i18n import N_, _, language
from services import kallelse as service
from services import meetings
from services.errors import Refusal
from storage.db import transaction
from storage.models import MeetingStatus
from views import kallelse as view

# Edits of one kallelse are made one at a time, each from the state read after taking the lock,
# so the count shown is never older than the newest answer. A refresh that finds another one
# already waiting leaves it to that one: a burst of presses gives few edits, not one per press
# (Telegram allows about 20 requests a minute per group).
# Kept per Application (bot_data): asyncio locks belong to one event loop.
_LOCKS_KEY, _WAITING_KEY = "meetings.edit_locks", "meetings.edit_waiting"


# --- sending ------------------------------------------------------------------------------


async def send_texts(
    context: BotContext,
    chat_id: int,
    thread_id: int | None,
    texts: Sequence[str],
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Each text split safely; the keyboard goes on the very last message."""
    chunks = [chunk for text in texts for chunk in split_html(text)]
    sent: Message | None = None
    for index, chunk in enumerate(chunks):
        markup = reply_markup if index == len(chunks) - 1 else None
        sent = await context.bot.send_message(
            chat_id, chunk, message_thread_id=thread_id, reply_markup=markup
        )
    return sent


async def send_ics(
    context: BotContext, chat_id: int, thread_id: int | None, data: bytes, name: str, caption: str
) -> None:
    await context.bot.send_document(
        chat_id,
        InputFile(data, filename=name),
        caption=esc(truncate_plain(caption, 900)),
        message_thread_id=thread_id,
    )


async def send_kallelse(
    context: BotContext,
    chat_id: int,
    thread_id: int | None,
    k: service.Kallelse,
    invitation: tuple[bytes, str, str],
) -> None:
    """The published kallelse: agenda, the panel with the RSVP buttons (its message id kept for
    the edits), then the invitation."""
    assert k.meeting.id is not None
    with language(k.partnership.language):
        before, panel = view.kallelse_parts(k)
        keyboard = view.rsvp_keyboard(k.meeting.id)
    sent = await send_texts(context, chat_id, thread_id, [*before, panel], keyboard)
    if sent is not None:
        with transaction(context.runtime.session_factory) as session:
            meetings.set_kallelse_message(session, k.meeting.id, sent.message_id)
    data, name, caption = invitation
    await send_ics(context, chat_id, thread_id, data, name, caption)


async def refresh_kallelse(context: BotContext, meeting_id: int) -> None:
    """Edit the kallelse in place from the current state (answers, time, cancellation)."""
    locks: defaultdict[int, asyncio.Lock] = context.bot_data.setdefault(
        _LOCKS_KEY, defaultdict(asyncio.Lock)
    )
    waiting: set[int] = context.bot_data.setdefault(_WAITING_KEY, set())
    if meeting_id in waiting:
        return
    waiting.add(meeting_id)
    try:
        await locks[meeting_id].acquire()
    finally:
        waiting.discard(meeting_id)
    try:
        with transaction(context.runtime.session_factory) as session:
            found = service.panel_of(session, meeting_id)
        if found is None:
            return
        k, chat_id, message_id = found
        with language(k.partnership.language):
            _before, panel = view.kallelse_parts(k)
            markup = view.panel_keyboard(k.meeting)
        await edit_message(context.bot, chat_id, message_id, panel, markup)
    finally:
        locks[meeting_id].release()


def refresh_after(act: BodyAct, meeting_id: int) -> None:
    act.then(lambda: refresh_kallelse(act.context, meeting_id))


# --- /kallelse ----------------------------------------------------------------------------


@in_body(admin=True)
def call_meeting(act: BodyAct) -> None:
    if not meetings.may_call(act.role):
        raise Refusal(N_("Only the chair of this body or the administrator can call a meeting."))
    if not act.args:
        raise Refusal(N_("Say when, for example /kallelse 2026-12-10 14:00 Stadshuset, rum 3."))
    command = meeting_time.parse(act.args, act.zone, act.now)
    if isinstance(command.when, list):
        # Quoting the command keeps the place for the answer to the question.
        act.reply(*view.which_time(command.when, act.zone, view.WHEN_NEW), quote=True)
        return
    k = service.call(
        act.session,
        body=act.body,
        role=act.role,
        starts_at=command.when,
        place=command.place or None,
        duration=meeting_time.duration(command.when, command.length, act.zone),
        now=act.now,
    )
    act.reply(*view.draft(k))


@in_body(admin=True, data=rf"{view.WHEN_NEW}:(\d{{1,12}})")
def choose_new_time(act: BodyAct) -> None:
    """The chair picked one reading of an ambiguous /kallelse time."""
    when = meeting_time.instant(act.data[0])
    question = act.message
    command = meeting_time.original(question, act.zone, act.now)
    k = service.call(
        act.session,
        body=act.body,
        role=act.role,
        starts_at=when,
        place=command.place or None,
        duration=meeting_time.duration(when, command.length, act.zone),
        now=act.now,
    )
    act.answer()
    act.edit(*view.draft(k))


# --- the draft agenda ---------------------------------------------------------------------


@in_body(admin=True, data=rf"{view.AGENDA}:(\d+):(\d+):([^:]*)")
def agenda_button(act: BodyAct) -> None:
    meeting_id, item_id, op = int(act.data[0]), int(act.data[1]), act.data[2]
    step = service.agenda_step(
        act.session,
        body=act.body,
        role=act.role,
        meeting_id=meeting_id,
        item_id=item_id,
        op=op,
        now=act.now,
    )
    toast = None
    if step.result == rules.MoveResult.AT_EDGE:
        toast = _("The item cannot move further that way.")
    elif step.result == rules.MoveResult.LOCKED:
        toast = _("This item always stays in its place.")
    act.answer(toast)
    act.edit(*view.draft(step.kallelse, step.selected))


@in_body(admin=True, data=rf"{view.PUBLISH}:(\d+)")
def publish_button(act: BodyAct) -> None:
    k = service.publish(
        act.session, body=act.body, role=act.role, meeting_id=int(act.data[0]), now=act.now
    )
    with language(k.partnership.language):
        data, name = view.ics(k, now=act.now)
        caption = view.invitation_caption(k.body, k.meeting)
    done = view.published()
    act.answer(done)
    act.edit(esc(done))
    thread = act.thread
    act.then(lambda: send_kallelse(act.context, act.chat.id, thread, k, (data, name, caption)))


# --- /punkt -------------------------------------------------------------------------------


@in_body()
def add_item(act: BodyAct) -> None:
    act.require_person(N_("Write /punkt from your own account, so the others know who raised it."))
    parts = act.text.split(maxsplit=1)
    added = meetings.add_item(
        act.session,
        body=act.body,
        role=act.role,
        text=parts[1] if len(parts) > 1 else "",
        now=act.now,
    )
    act.reply(view.item_added(added.item.title, added.meeting, act.zone))
    meeting = added.meeting
    if meeting is not None and meeting.status != MeetingStatus.DRAFT and meeting.id is not None:
        refresh_after(act, meeting.id)


# --- RSVP ---------------------------------------------------------------------------------


@in_body(data=rf"{view.RSVP}:(\d+):([ynm])")
def rsvp_button(act: BodyAct) -> None:
    if act.user is None:
        raise Refusal(BAD_BUTTON)
    meeting_id = int(act.data[0])
    outcome = meetings.answer(
        act.session,
        body=act.body,
        role=act.role,
        meeting_id=meeting_id,
        choice=view.ANSWER_CODES[act.data[1]],
        now=act.now,
    )
    act.answer(view.rsvp_answered(outcome.answer, changed=outcome.changed))
    if outcome.changed:
        refresh_after(act, meeting_id)


# --- /moten -------------------------------------------------------------------------------


@in_body()
def list_meetings(act: BodyAct) -> None:
    upcoming, past = service.meetings_of(act.session, act.body, act.now)
    act.reply(view.meeting_list(act.body, act.zone, upcoming, past))
