"""/omrostning (/vote), its Ja / Nej / Avstår buttons, /stang_omrostning, and closing on time.

Syntax: ``/omrostning <question> | <deadline>``; the deadline (``fredag 17:00``, ``2026-12-01``
– a day alone means 23:59 that day) may be left out during a meeting in session. The vote is one
message edited in place on every press. Closing at the deadline: a JobQueue job at the
deadline, a sweep at start-up and every few minutes, and a check on every press or command (the
database decides, so a restart loses nothing).

The messages that carry a recorded fact go through the durable outbox, queued in the transaction
that records it: the vote message (its id kept by an on-sent hook), each ballot's edit of it
(coalesced), and `queue_closed` (the result edited in, and a note under it).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session
from telegram import Update
from telegram.ext import Application

import handlers.panel_refresh as panel_refresh
from delivery import outbox
from delivery.parts import Text
from delivery.parts import keyboard as board
from governance.reminder_times import local_instant
from governance.timeparse import Ambiguous, Invalid, Parsed, parse_when
from handlers.bot_context import BotContext
from handlers.dates import date_error_text, day_first
from handlers.wrapper import BodyAct, in_body
from i18n import N_, _, current_language
from services import votes
from services.errors import Refusal
from storage.db import transaction
from storage.models import Partnership, Vote
from storage.runtime import Runtime
from views import vote_reminders as vote_texts
from views import votes as view

log = logging.getLogger(__name__)

SWEEP_SECONDS = 300
_JOB = "vote-close:{}"


def _wording(partnership: Partnership) -> votes.DecisionWording:
    return vote_texts.decision_text(partnership.language)  # type: ignore[no-any-return]


def _deadline(raw: str, now: datetime, zone: ZoneInfo) -> datetime:
    parsed = parse_when(raw, now=now, tz=zone, require_time=True, day_first=day_first())
    if isinstance(parsed, Invalid) and parsed.code == "missing_time":
        day_only = parse_when(raw, now=now, tz=zone, require_time=False, day_first=day_first())
        if isinstance(day_only, Parsed):
            parsed = Parsed(local_instant(day_only.at.date(), time(23, 59), zone))
    if isinstance(parsed, Ambiguous):
        raise Refusal(N_("That deadline can be read in more than one way. Write it as 2026-12-01 17:00."))  # fmt: skip
    if isinstance(parsed, Invalid):
        raise Refusal(date_error_text(parsed.code))
    return parsed.at


# --- closing: at the deadline, on first touch, by the chair ----------------------------------


def _schedule_close(application: Application | None, svc: Runtime, vote: Vote) -> None:  # type: ignore[type-arg]
    """A job at the deadline; the sweep and the first touch are the backstops."""
    if application is None or application.job_queue is None or vote.closes_at is None:
        return
    name = _JOB.format(vote.id)
    if application.job_queue.get_jobs_by_name(name):
        return
    delay = max((vote.closes_at - svc.now()).total_seconds(), 0.0) + 1
    application.job_queue.run_once(close_job, when=delay, data=vote.id, name=name)


def queue_closed(session: Session, closed: votes.Closed, now: datetime) -> None:
    """Queued in the closing transaction: the result edited into the vote message, and a short
    note under it."""
    vote_id = closed.vote.id
    assert vote_id is not None
    state = votes.state_by_id(session, vote_id)
    assert state is not None
    body, vote, language = state.body, state.vote, state.partnership.language
    if body.chat_id is None:
        return
    queue_vote_edit(session, state, now)
    outbox.send(
        session,
        key=votes.closed_key(vote_id),
        chat_id=body.chat_id,
        thread_id=body.thread_id,
        partnership_id=state.partnership.id,
        parts=[Text(view.closed_note(closed, language), reply_to=vote.message_id)],
        now=now,
    )


def queue_vote_edit(session: Session, state: votes.VoteState, now: datetime) -> None:
    """The vote message edited to the state now (coalesced with edits still waiting)."""
    target = votes.message_target(session, state.vote)
    if target is None or state.body.chat_id is None:
        return
    key, message_id = target
    text, markup = view.panel(state)
    outbox.edit(
        session,
        chat_id=state.body.chat_id,
        target=key,
        part=0,
        message_id=message_id,
        html=text,
        keyboard=board(markup),
        now=now,
        partnership_id=state.partnership.id,
    )


async def close_due(bot: object, svc: Runtime, vote_ids: list[int] | None = None) -> int:
    """Close every open vote past its deadline (or those of ``vote_ids``); returns how many."""
    now = svc.now()

    def overdue() -> list[int]:
        with transaction(svc.session_factory) as session:
            return votes.overdue_ids(session, now)

    def settle(vote_id: int) -> votes.Closed | None:
        with transaction(svc.session_factory) as session:
            closed = votes.settle_overdue_by_id(session, vote_id, now=now, wording_for=_wording)
            if closed is not None:
                queue_closed(session, closed, now)
            return closed

    # Jobs run beside update handlers on the event loop: their database work goes to a thread,
    # so waiting for SQLite's write lock never blocks the loop the lock holder needs.
    due = await asyncio.to_thread(overdue)
    if vote_ids is not None:
        due = [i for i in due if i in vote_ids]
    count = 0
    for vote_id in due:
        closed = await asyncio.to_thread(settle, vote_id)
        if closed is not None:
            count += 1
    return count


async def close_job(context: BotContext) -> None:
    job = context.job
    vote_id = job.data if job is not None else None
    await close_due(context.bot, context.runtime, [vote_id] if isinstance(vote_id, int) else None)


async def sweep(context: BotContext) -> None:
    """At start-up and every few minutes: close overdue votes, schedule the others' jobs."""
    svc = context.runtime
    await close_due(context.bot, svc)

    def open_with_deadline() -> list[Vote]:
        with transaction(svc.session_factory) as session:
            return votes.open_with_deadline(session)

    for vote in await asyncio.to_thread(open_with_deadline):
        _schedule_close(context.application, svc, vote)


# --- commands and buttons -------------------------------------------------------------------


@in_body()
def open_vote(act: BodyAct) -> None:
    """/omrostning <question> | <deadline>: the chair opens a vote."""
    raw = act.args
    question, bar, when = raw.rpartition("|") if "|" in raw else (raw, "", "")
    closes_at = _deadline(when, act.now, act.zone) if bar and when.strip() else None
    _open(act, question, closes_at)


def open_in_meeting(act: BodyAct, question: str) -> None:
    """A vote during the meeting in session, without a deadline (the panel's "New vote")."""
    _open(act, question, None)


def _open(act: BodyAct, question: str, closes_at: datetime | None) -> None:
    vote = votes.open_vote(act.session, body=act.body, role=act.role, question=question,
                           closes_at=closes_at, now=act.now)  # fmt: skip
    state = votes.state_of(act.session, vote)
    assert vote.id is not None
    text, markup = view.panel(state)
    outbox.send(
        act.session,
        key=votes.vote_key(vote.id),
        chat_id=act.chat.id,
        thread_id=act.thread,
        partnership_id=act.partnership.id,
        parts=[Text(text, keyboard=board(markup))],
        now=act.now,
        on_sent=votes.VOTE_SENT,
        hook={"vote_id": vote.id},
    )
    # Its closing job; the sweep and the first touch are the backstops.
    act.then(lambda: _after_open(act.context, vote))


@in_body(data=rf"{view.PREFIX}:(\d+):([{''.join(votes.CHOICES)}])")
def _press(act: BodyAct) -> None:
    cast = votes.cast_ballot(act.session, body=act.body, vote_id=int(act.data[0]), role=act.role,
                             choice=votes.CHOICES[act.data[1]], now=act.now)  # fmt: skip
    name = vote_texts.choice_name(cast.choice, current_language())
    if cast.changed:
        act.answer(_("Your vote: {choice}").format(choice=name))
        queue_vote_edit(act.session, votes.state_of(act.session, cast.vote), act.now)
    else:
        act.answer(_("Your vote is already {choice}.").format(choice=name))


@in_body()
def _close(act: BodyAct) -> None:
    query = act.query
    if query is not None:
        vote_id = int((query.data or "").split(":")[1])
    else:
        message = act.message
        replied = message.reply_to_message if message is not None else None
        vote_id = votes.vote_to_close(
            act.session, act.body, replied.message_id if replied is not None else None
        )
    closed = votes.close_vote(act.session, body=act.body, vote_id=vote_id, role=act.role,
                              now=act.now, wording=_wording(act.partnership))  # fmt: skip
    if query is not None:
        act.answer(_("The vote is closed."))
    queue_closed(act.session, closed, act.now)
    panel_refresh.refresh_after(act)  # the result is a line under the meeting's current item


async def _after_open(context: BotContext, vote: Vote) -> None:
    _schedule_close(context.application, context.runtime, vote)


async def vote_button(update: Update, context: BotContext) -> None:
    """Ja / Nej / Avstår by an entitled member, or Stäng by the chair."""
    query = update.callback_query
    parts = (query.data or "").split(":") if query is not None else []
    if len(parts) == 3 and parts[1].isdigit() and parts[2] in (*votes.CHOICES, view.CLOSE):
        # A vote past its deadline closes on first touch.
        await close_due(context.bot, context.runtime, [int(parts[1])])
        if parts[2] == view.CLOSE:
            await _close(update, context)
            return
    await _press(update, context)


async def close_command(update: Update, context: BotContext) -> None:
    """/stang_omrostning: the chair closes the vote replied to (or the only open one)."""
    await close_due(context.bot, context.runtime)
    await _close(update, context)


def install(application: Application) -> None:  # type: ignore[type-arg]
    """Start-up sweep (closes what fell due while the bot was down) and the periodic one."""
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            sweep, interval=SWEEP_SECONDS, first=timedelta(seconds=2), name="vote-sweep"
        )
