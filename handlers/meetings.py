"""/kallelse, /punkt, /moten and their buttons (ambiguous time, agenda, publish, RSVP); the
kallelse kept up to date in place. Moving and cancelling: `handlers.meeting_changes`.

Group-facing texts (the kallelse, notices, invitations) are written in the partnership's
language; answers to one person (toasts, the chair's draft) in that person's language.
The messages that carry a recorded fact go through the durable outbox, queued in the transaction
that records the fact: `queue_kallelse` (agenda, panel, invitation) and `queue_panel_edit` (the
panel kept current).
Callback data, all well under 64 bytes:
  rv:<meeting>:<y|n|m>          RSVP
  ma:<meeting>:<item>:<op>      draft agenda: s(elect) u(p) d(own) x (drop) r(estore) o(verview)
  mp:<meeting>                  publish the draft
  mw:<unix time>                the chosen reading of an ambiguous time for /kallelse
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

import handlers.meeting_time as meeting_time
from delivery import outbox
from delivery.parts import Document, Text
from delivery.parts import keyboard as board
from governance import agenda as rules
from governance.textsplit import truncate_plain
from handlers.common import esc
from handlers.wrapper import BAD_BUTTON, BodyAct, in_body
from i18n import N_, _, language
from services import agreement, meetings
from services import kallelse as service
from services.errors import Refusal
from storage.models import Meeting, MeetingStatus
from views import kallelse as view

# --- the fact-bearing messages, queued in the transaction that records the fact ------------


def queue_kallelse(act: BodyAct, k: service.Kallelse) -> None:
    """The published kallelse, queued in the outbox by the publishing transaction: the agenda,
    the panel with the answers and the RSVP buttons, then the invitation (.ics). The panel's
    message id is recorded on the meeting when it is delivered (hook `meeting.kallelse`)."""
    meeting_id = k.meeting.id
    assert meeting_id is not None
    with language(k.partnership.language):
        before, panel = view.kallelse_parts(k)
        keyboard = view.rsvp_keyboard(meeting_id, k.body.id)
        data, name = view.ics(k, now=act.now)
        caption = view.invitation_caption(k.body, k.meeting)
    outbox.send(
        act.session,
        key=service.kallelse_key(meeting_id),
        chat_id=act.chat.id,
        thread_id=act.thread,
        partnership_id=k.partnership.id,
        parts=[
            *(Text(text) for text in before),
            Text(panel, keyboard=board(keyboard)),
            invitation(data, name, caption),
        ],
        now=act.now,
        on_sent=service.KALLELSE_SENT,
        hook={"meeting_id": meeting_id, "panel_part": len(before)},
    )
    # Pinned (quietly, where the bot may pin) until the meeting is over.
    outbox.pin(
        act.session,
        chat_id=act.chat.id,
        target=service.kallelse_key(meeting_id),
        part=len(before),
        now=act.now,
        partnership_id=k.partnership.id,
    )


def queue_unpin_kallelse(session: Session, meeting_id: int, now: datetime) -> None:
    """The meeting is over (held or cancelled): its kallelse is unpinned."""
    target = service.panel_target(session, meeting_id)
    if target is None:
        return
    outbox.pin(
        session,
        chat_id=target.chat_id,
        target=target.key,
        part=target.part,
        message_id=target.message_id,
        unpin=True,
        now=now,
        partnership_id=target.kallelse.partnership.id,
    )


def invitation(data: bytes, name: str, caption: str) -> Document:
    return Document(
        name, data=data, caption=esc(truncate_plain(caption, 900)), mime_type="text/calendar"
    )


def queue_panel_edit(
    session: Session, meeting_id: int, now: datetime, *, locked: Meeting | None = None
) -> None:
    """The kallelse's panel edited to the current state (answers, time, agenda, cancellation),
    queued in the transaction that changed it. Edits of one panel are coalesced: a burst of
    presses gives few edits, each showing the state as committed. `locked`: the meeting as
    this transaction has already locked it (not read and locked again)."""
    target = service.panel_target(session, meeting_id, locked=locked)
    if target is None:
        return
    k = target.kallelse
    with language(k.partnership.language):
        _before, panel = view.kallelse_parts(k)
        markup = view.panel_keyboard(k.meeting)
    outbox.edit(
        session,
        chat_id=target.chat_id,
        target=target.key,
        part=target.part,
        message_id=target.message_id,
        html=panel,
        keyboard=board(markup),
        now=now,
        partnership_id=k.partnership.id,
    )


# --- /kallelse ----------------------------------------------------------------------------


@in_body(admin=True)
def call_meeting(act: BodyAct) -> None:
    if not meetings.may_call(act.role):
        raise Refusal(N_("Only the chair of this body or the administrator can call a meeting."))
    agreement.require_open(act.session, act.partnership, act.now)
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
    done = view.published()
    act.answer(done)
    act.edit(esc(done))
    queue_kallelse(act, k)


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
        queue_panel_edit(act.session, meeting.id, act.now)


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
        queue_panel_edit(act.session, meeting_id, act.now, locked=outcome.meeting)


# --- /moten -------------------------------------------------------------------------------


@in_body()
def list_meetings(act: BodyAct) -> None:
    upcoming, past = service.meetings_of(act.session, act.body, act.now)
    act.reply(view.meeting_list(act.body, act.zone, upcoming, past))
