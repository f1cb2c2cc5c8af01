"""The live meeting: /motesstart, /narvaro, /nasta, /anteckning, /beslut, /uppgift, /andra,
/stryk and the attendance and justerare buttons. Closing and justering: `handlers.justering`.

Every line is committed before it is acknowledged (a reaction, or a one-line reply carrying the
line number `#<id>` so that a reply to the acknowledgement finds the line again).
Callback data, all well under 64 bytes:
  mj:<meeting>:<person>     choose or un-choose a justerare
  na:<meeting>:<person>     toggle a member's attendance
"""

from __future__ import annotations

import re

import handlers.panel_refresh as panel_refresh
from governance.decision_input import split_immediate
from governance.timeparse import AmbiguousDate, Invalid, parse_date_prefix
from handlers.dates import date_error_text, day_first
from handlers.mentions import all_named, first_named
from handlers.wrapper import BodyAct, in_body
from i18n import N_
from services import immediate, sitting
from services import minutes as service
from services.errors import Refusal
from storage.decisions import decision_label
from storage.models import Meeting
from views import justering as justering_view
from views import minutes as view

_LINE_REF = re.compile(r"#(\d+)")
_NAMED_LINE = re.compile(r"\s*#(\d+)\b\s*")


@in_body(admin=True)
def start_meeting(act: BodyAct) -> None:
    act.require_person()
    assert act.message is not None
    opened = sitting.open_sitting(
        act.session,
        body=act.body,
        role=act.role,
        justerare=all_named(act.message),
        now=act.now,
        today=act.today,
    )
    # One message to run the meeting from: the panel, pinned while the meeting lasts.
    meeting_id, thread = opened.meeting.id, act.thread
    assert meeting_id is not None
    act.then(lambda: panel_refresh.post_panel(act.context, act.chat.id, thread, meeting_id))


@in_body(admin=True)
def attendance(act: BodyAct) -> None:
    act.require_person()
    act.reply(*view.attendance_panel(sitting.attendance(act.session, body=act.body, role=act.role)))


@in_body(admin=True, data=rf"{view.ATTENDANCE}:(\d+):(\d+)")
def attendance_button(act: BodyAct) -> None:
    act.require_person()
    meeting_id, person_id = map(int, act.data)
    sheet = sitting.toggle_attendance(
        act.session,
        body=act.body,
        role=act.role,
        meeting_id=meeting_id,
        person_id=person_id,
        now=act.now,
    )
    act.answer()
    act.edit(*view.attendance_panel(sheet))
    warning = sitting.justerare_warning(
        act.session, body=act.body, meeting_id=meeting_id, today=act.today
    )
    if warning is not None:
        act.reply(*view.justerare_panel(warning))
    panel_refresh.refresh_meeting_after(act, meeting_id)


@in_body(admin=True, data=rf"{view.JUSTERARE}:(\d+):(\d+)")
def justerare_button(act: BodyAct) -> None:
    act.require_person()
    meeting_id, person_id = map(int, act.data)
    choice = sitting.toggle_justerare(
        act.session,
        body=act.body,
        role=act.role,
        meeting_id=meeting_id,
        person_id=person_id,
        today=act.today,
    )
    act.answer()
    act.edit(*view.justerare_panel(choice))
    panel_refresh.refresh_meeting_after(act, meeting_id)


@in_body(admin=True)
def next_item(act: BodyAct) -> None:
    act.require_person()
    act.reply(
        view.current_item(sitting.next_item(act.session, body=act.body, role=act.role, now=act.now))
    )
    panel_refresh.refresh_after(act)


# --- recording ---------------------------------------------------------------------------------


def _source_id(act: BodyAct) -> int | None:
    return act.message.message_id if act.message is not None else None


@in_body(admin=True)
def note(act: BodyAct) -> None:
    act.require_person()
    entry = service.record_note(
        act.session,
        body=act.body,
        role=act.role,
        text=act.args,
        source_message_id=_source_id(act),
        now=act.now,
    )
    act.ack(view.noted(entry.id))
    # The meeting in session is the note's: no second look-up for the panel.
    panel_refresh.refresh_meeting_after(act, entry.meeting_id, throttled=True)


@in_body(admin=True)
def decision(act: BodyAct) -> None:
    act.require_person()
    at_once, raw = split_immediate(act.args)
    entry, recorded = service.record_decision(
        act.session,
        body=act.body,
        role=act.role,
        raw=raw,
        source_message_id=_source_id(act),
        now=act.now,
        today=act.today,
    )
    # An escalated question's answer goes back at once: the DecisionRecorded event wakes the
    # dispatcher after the commit.
    act.reply(view.decision_recorded(act.body, recorded, entry.id))
    if at_once:  # [omedelbar justering]: the chair and the justerare approve it now
        meeting = act.session.get(Meeting, recorded.meeting_id)
        assert meeting is not None
        row = immediate.mark(act.session, meeting=meeting, decision=recorded, now=act.now)
        assert row.id is not None
        label = decision_label(act.body, recorded)
        act.reply(*justering_view.immediate_prompt(row.id, label))
    panel_refresh.refresh_meeting_after(act, entry.meeting_id, throttled=True)


@in_body(admin=True)
def action(act: BodyAct) -> None:
    act.require_person()
    assert act.message is not None
    owner, rest = first_named(act.message)
    if owner is None:
        raise Refusal(sitting.OWNER_HELP)
    result, text = parse_date_prefix(rest, today=act.today, day_first=day_first())
    if isinstance(result, Invalid):
        raise Refusal(date_error_text(result.code))
    if isinstance(result, AmbiguousDate):
        raise Refusal(
            N_("Which date do you mean: {candidates}? Write it as year-month-day."),
            candidates=" / ".join(day.isoformat() for day in result.candidates),
        )
    entry, item, person = sitting.record_action(
        act.session,
        body=act.body,
        role=act.role,
        owner=owner,
        due_on=result.day,
        text=text,
        source_message_id=_source_id(act),
        now=act.now,
        today=act.today,
    )
    act.reply(view.action_recorded(person, item.due_on.isoformat(), entry.id))
    panel_refresh.refresh_meeting_after(act, entry.meeting_id, throttled=True)


# --- corrections -------------------------------------------------------------------------------


def _line_replied_to(act: BodyAct) -> int | None:
    message = act.message
    replied = message.reply_to_message if message is not None else None
    if replied is None:
        return None
    if replied.from_user is not None and replied.from_user.id == act.context.bot.id:
        # Our own acknowledgement: it names the line; user text never reaches that message.
        found = _LINE_REF.findall(replied.text or "")
        return int(found[-1]) if found else None
    return sitting.line_replied_to(act.session, act.body, replied.message_id)


def _correct(act: BodyAct, *, strike: bool) -> None:
    act.require_person()
    new_text = None if strike else act.args
    entry_id = _line_replied_to(act)
    named = _NAMED_LINE.match(act.args)
    if named is not None:
        # "/andra #12 new text" or "/stryk #12": the line named by its number.
        entry_id = int(named.group(1))
        new_text = None if strike else act.args[named.end() :]
    if entry_id is None:
        raise Refusal(
            N_(
                "Reply to the recorded line (or to my acknowledgement of it) with /andra new text, or /stryk to strike it."
            )
        )
    if new_text is not None and not new_text.strip():
        raise Refusal(N_("Write the corrected text after /andra."))
    # Once the minutes are locked the database refuses the change: the attempt is audited and
    # kept (a `Refusal.keep`), and the refusal answered.
    service.correct_line(
        act.session,
        body=act.body,
        role=act.role,
        entry_id=entry_id,
        new_text=new_text,
        now=act.now,
        today=act.today,
    )
    if strike:
        act.reply(view.struck(entry_id))
    else:
        act.ack(view.corrected(entry_id))
    panel_refresh.refresh_after(act)


@in_body(admin=True)
def edit_line(act: BodyAct) -> None:
    _correct(act, strike=False)


@in_body(admin=True)
def strike_line(act: BodyAct) -> None:
    _correct(act, strike=True)
