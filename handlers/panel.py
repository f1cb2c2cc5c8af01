"""The meeting panel's buttons (`pn:<meeting>:<op>[:<arg>]`) and the question written as a reply
to the panel. Each press runs the same use case as the command it stands for (/nasta, /narvaro,
/omrostning, /motesslut, …) and edits the panel in place; only the chair, the administrator or
the person writing the minutes may press them.

ops: n next item · g:<item> go to item · m:<mode> show a mode · t:<person> toggle attendance ·
s:<person> choose/un-choose a justerare · V vote on the current item · E close the meeting.
"""

from __future__ import annotations

from telegram import Update

import handlers.justering as justering
import handlers.panel_refresh as refresh
import handlers.votes as vote_handlers
from handlers.bot_context import BotContext
from handlers.wrapper import BAD_BUTTON, BodyAct, in_body
from i18n import language
from services import minutes, sitting
from services import panel as service
from services.errors import Refusal
from views import minutes as minutes_view
from views import panel as view
from views.agenda import item_title

__all__ = ["panel_button", "question_reply"]


@in_body(data=rf"{view.PREFIX}:(\d{{1,12}}):([{view.OPS}])(?::(\w{{1,12}}))?")
def panel_button(act: BodyAct) -> None:
    act.require_person()
    meeting_id, op, arg = int(act.data[0]), act.data[1], act.data[2] or ""
    meeting = service.in_session(act.session, act.body, meeting_id)
    service.require_lead(act.role, meeting)
    mode, note = view.MAIN, None
    with language(act.partnership.language):
        if op == "n":
            position = minutes.next_item(act.session, body=act.body, role=act.role, now=act.now)
            note = _position_note(position)
        elif op == "g":
            position = minutes.go_to_item(
                act.session,
                body=act.body,
                role=act.role,
                meeting_id=meeting_id,
                item_id=_number(arg),
                now=act.now,
            )
            note = _position_note(position)
        elif op == "m":
            mode = arg if arg in view.MODES else view.MAIN
        elif op == "t":
            sitting.toggle_attendance(
                act.session,
                body=act.body,
                role=act.role,
                meeting_id=meeting_id,
                person_id=_number(arg),
                now=act.now,
            )
            mode = view.ATTENDANCE
            warning = sitting.justerare_warning(
                act.session, body=act.body, meeting_id=meeting_id, today=act.today
            )
            if warning is not None:
                # The justerare was marked absent: the choice of another, with the warning.
                mode, note = view.JUSTERARE, minutes_view.justerare_absent(warning)
        elif op == "s":
            sitting.toggle_justerare(
                act.session,
                body=act.body,
                role=act.role,
                meeting_id=meeting_id,
                person_id=_number(arg),
                today=act.today,
            )
        elif op == "V":
            found = service.panel_of(act.session, meeting, act.now)
            if found.position.item is None:
                raise Refusal(BAD_BUTTON)
            vote_handlers.open_in_meeting(act, view.vote_question(found))
        elif op == "E":
            justering.close_meeting(act)
            return
    refresh.set_mode(act.context, meeting_id, mode)
    act.answer(note)
    refresh.refresh_meeting_after(act, meeting_id)


def _number(raw: str) -> int:
    if not raw.isdigit():
        raise Refusal(BAD_BUTTON)
    return int(raw)


def _position_note(position: minutes.Position) -> str | None:
    item = position.item
    if item is None:
        return None
    return f"§ {position.label} {item_title(item)}"[:200]


async def question_reply(update: Update, context: BotContext) -> None:
    """A reply to the panel while it offers a vote: its text is the question of a vote in the
    meeting. Anything else is left alone (no answer at all)."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if message is None or replied is None or update.effective_chat is None:
        return
    meeting_id = refresh.meeting_of_panel(context, update.effective_chat.id, replied.message_id)
    if meeting_id is None or refresh.mode_of(context, meeting_id) != view.VOTE:
        return
    await _question(update, context)


@in_body()
def _question(act: BodyAct) -> None:
    meeting_id = service.open_meeting_id(act.session, act.body)
    if meeting_id is None:
        raise Refusal(BAD_BUTTON)
    meeting = service.in_session(act.session, act.body, meeting_id)
    act.require_person()
    service.require_lead(act.role, meeting)
    vote_handlers.open_in_meeting(act, act.text)
    refresh.set_mode(act.context, meeting_id, view.MAIN)
    refresh.refresh_meeting_after(act, meeting_id)
