"""/omrostning (/vote), its Ja / Nej / Avstår buttons, /stang_omrostning, and closing on time.

Syntax: ``/omrostning <question> | <deadline>``; the deadline (``fredag 17:00``, ``2026-12-01``
– a day alone means 23:59 that day) may be left out during a meeting in session. The vote is one
message edited in place on every press. Closing at the deadline: a JobQueue job at the
deadline, a sweep at start-up and every few minutes, and a check on every press or command (the
database decides, so a restart loses nothing).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from governance.reminder_times import local_instant
from governance.timeparse import Ambiguous, Invalid, Parsed, parse_when
from handlers.common import Context, acting_user, command_args, refuse, reply
from handlers.dates import date_error_text
from i18n import N_, _, current_language, t
from services import decisions, votes
from services.chats import linked_body
from services.errors import Refusal
from services.roles import role_in_body
from storage import votes as repo
from storage.db import transaction
from storage.models import Body, Decision, Partnership, Vote
from storage.runtime import Runtime
from views import vote_reminders as vote_texts

log = logging.getLogger(__name__)

PREFIX = "vt"  # callback data "vt:<vote id>:<y|n|a|c>" – at most 3 + 1 + 19 + 2 bytes
CLOSE = "c"
SWEEP_SECONDS = 300
_JOB = "vote-close:{}"


def _partnership(session: Session, body: Body) -> Partnership:
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    return partnership


def keyboard(vote: Vote, language: str) -> InlineKeyboardMarkup | None:
    if vote.status != "open":
        return None
    row = [
        InlineKeyboardButton(vote_texts.choice_name(choice, language),
                             callback_data=f"{PREFIX}:{vote.id}:{code}")
        for code, choice in votes.CHOICES.items()
    ]  # fmt: skip
    close = InlineKeyboardButton(t(language, "Close"), callback_data=f"{PREFIX}:{vote.id}:{CLOSE}")
    return InlineKeyboardMarkup([row, [close]])


def view(session: Session, vote: Vote) -> tuple[str, InlineKeyboardMarkup | None]:
    """The vote message as it stands now, in the partnership's language."""
    body = session.get(Body, vote.body_id)
    assert body is not None
    partnership = _partnership(session, body)
    result = votes.tally_of(session, vote)
    label = None
    if vote.decision_id is not None:
        decision = session.get(Decision, vote.decision_id)
        if decision is not None:
            label = decisions.decision_label(body, decision)
    text = vote_texts.vote_message(
        vote,
        result,
        votes.roll_call(session, vote, result),
        body_name=body.name,
        zone=ZoneInfo(partnership.timezone),
        language=partnership.language,
        decision_label=label,
    )
    return text, keyboard(vote, partnership.language)


def _wording(session: Session, body: Body) -> votes.DecisionWording:
    return vote_texts.decision_text(_partnership(session, body).language)  # type: ignore[no-any-return]


def _deadline(raw: str, now: datetime, zone: ZoneInfo) -> datetime:
    parsed = parse_when(raw, now=now, tz=zone, require_time=True)
    if isinstance(parsed, Invalid) and parsed.code == "missing_time":
        day_only = parse_when(raw, now=now, tz=zone, require_time=False)
        if isinstance(day_only, Parsed):
            parsed = Parsed(local_instant(day_only.at.date(), time(23, 59), zone))
    if isinstance(parsed, Ambiguous):
        raise Refusal(N_("That deadline can be read in more than one way. Write it as 2026-12-01 17:00."))  # fmt: skip
    if isinstance(parsed, Invalid):
        raise Refusal(date_error_text(parsed.code))
    return parsed.at


def _schedule_close(application: Application | None, svc: Runtime, vote: Vote) -> None:  # type: ignore[type-arg]
    """A job at the deadline; the sweep and the first touch are the backstops."""
    if application is None or application.job_queue is None or vote.closes_at is None:
        return
    name = _JOB.format(vote.id)
    if application.job_queue.get_jobs_by_name(name):
        return
    delay = max((vote.closes_at - svc.now()).total_seconds(), 0.0) + 1
    application.job_queue.run_once(close_job, when=delay, data=vote.id, name=name)


async def _edit(
    bot: object, body: Body, vote: Vote, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    if vote.message_id is None or body.chat_id is None:
        return
    try:
        await bot.edit_message_text(  # type: ignore[attr-defined]
            text, chat_id=body.chat_id, message_id=vote.message_id, reply_markup=markup
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("could not update vote %s: %s", vote.id, type(exc).__name__)
    except TelegramError as exc:
        log.warning("could not update vote %s: %s", vote.id, type(exc).__name__)


async def _announce(bot: object, body: Body, closed: votes.Closed, language: str) -> None:
    """A short message under the vote, so members see that it closed and how."""
    if body.chat_id is None:
        return
    outcome = t(language, vote_texts.OUTCOME_NAMES[closed.tally.outcome])
    text = t(language, "The vote is closed: {outcome}.").format(outcome=outcome)
    if closed.decision_label:
        text += " " + t(language, "Recorded as decision {label}.").format(
            label=closed.decision_label
        )
    try:
        await bot.send_message(  # type: ignore[attr-defined]
            body.chat_id,
            vote_texts.escape(text),
            message_thread_id=body.thread_id,
            reply_to_message_id=closed.vote.message_id,
            allow_sending_without_reply=True,
        )
    except TelegramError as exc:
        log.warning("could not announce vote %s: %s", closed.vote.id, type(exc).__name__)


async def _after_close(bot: object, svc: Runtime, closed: votes.Closed) -> None:
    with transaction(svc.session_factory) as session:
        vote = repo.get_vote(session, closed.vote.id or 0)
        assert vote is not None
        body = session.get(Body, vote.body_id)
        assert body is not None
        text, markup = view(session, vote)
        language = _partnership(session, body).language
    await _edit(bot, body, vote, text, markup)
    await _announce(bot, body, closed, language)


async def close_due(bot: object, svc: Runtime, vote_ids: list[int] | None = None) -> int:
    """Close every open vote past its deadline (or those of ``vote_ids``); returns how many."""
    now = svc.now()

    def overdue() -> list[int]:
        with transaction(svc.session_factory) as session:
            return [v.id for v in repo.overdue_votes(session, now) if v.id is not None]

    def settle(vote_id: int) -> votes.Closed | None:
        with transaction(svc.session_factory) as session:
            vote = repo.get_vote(session, vote_id)
            body = session.get(Body, vote.body_id) if vote is not None else None
            if body is None:
                return None
            return votes.settle_overdue(session, body=body, vote_id=vote_id, now=now,
                                        wording=_wording(session, body))  # fmt: skip

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
            await _after_close(bot, svc, closed)
    return count


async def close_job(context: Context) -> None:
    job = context.job
    vote_id = job.data if job is not None else None
    await close_due(context.bot, context.runtime, [vote_id] if isinstance(vote_id, int) else None)


async def sweep(context: Context) -> None:
    """At start-up and every few minutes: close overdue votes, schedule the others' jobs."""
    svc = context.runtime
    await close_due(context.bot, svc)

    def open_with_deadline() -> list[Vote]:
        with transaction(svc.session_factory) as session:
            return [v for v in repo.open_votes(session) if v.closes_at is not None]

    for vote in await asyncio.to_thread(open_with_deadline):
        _schedule_close(context.application, svc, vote)


# --- commands and buttons -------------------------------------------------------------------


async def open_vote(update: Update, context: Context) -> None:
    """/omrostning <question> | <deadline>: the chair opens a vote."""
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    user = acting_user(update)
    raw = command_args(context)
    question, bar, when = raw.rpartition("|") if "|" in raw else (raw, "", "")
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            zone = ZoneInfo(_partnership(session, body).timezone)
            closes_at = _deadline(when, svc.now(), zone) if bar and when.strip() else None
            role = role_in_body(session, body, user.id if user else None, svc.today(zone),
                                is_chat_admin=False)  # fmt: skip
            vote = votes.open_vote(session, body=body, role=role, question=question,
                                   closes_at=closes_at, now=svc.now())  # fmt: skip
            text, markup = view(session, vote)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    sent = await reply(update, text, reply_markup=markup)
    if sent is None:
        return
    with transaction(svc.session_factory) as session:
        stored = repo.get_vote(session, vote.id or 0, lock=True)
        if stored is not None:
            stored.message_id = sent.message_id
            session.add(stored)
    vote.message_id = sent.message_id
    _schedule_close(context.application, svc, vote)


async def vote_button(update: Update, context: Context) -> None:
    """Ja / Nej / Avstår by an entitled member, or Stäng by the chair."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    parts = query.data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in (*votes.CHOICES, CLOSE):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    vote_id, code = int(parts[1]), parts[2]
    svc = context.runtime
    await close_due(context.bot, svc, [vote_id])  # a vote past its deadline closes on first touch
    if code == CLOSE:
        await _close(update, context, vote_id)
        return
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            role = role_in_body(session, body, query.from_user.id, svc.today(),
                                is_chat_admin=False)  # fmt: skip
            cast = votes.cast_ballot(session, body=body, vote_id=vote_id, role=role,
                                     choice=votes.CHOICES[code], now=svc.now())  # fmt: skip
            text, markup = view(session, cast.vote)
            vote = cast.vote
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    name = vote_texts.choice_name(cast.choice, current_language())
    if cast.changed:
        toast = _("Your vote: {choice}").format(choice=name)
    else:
        toast = _("Your vote is already {choice}.").format(choice=name)
    await query.answer(toast[:200])
    if cast.changed:
        await _edit(context.bot, body, vote, text, markup)


async def _close(update: Update, context: Context, vote_id: int | None) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    user = acting_user(update)
    try:
        with transaction(svc.session_factory) as session:
            body = linked_body(session, chat.id)
            if vote_id is None:
                vote_id = _vote_to_close(session, body, update)
            role = role_in_body(session, body, user.id if user else None, svc.today(),
                                is_chat_admin=False)  # fmt: skip
            closed = votes.close_vote(session, body=body, vote_id=vote_id, role=role,
                                      now=svc.now(), wording=_wording(session, body))  # fmt: skip
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    if update.callback_query is not None:
        await update.callback_query.answer(_("The vote is closed."))
    await _after_close(context.bot, svc, closed)


def _vote_to_close(session: Session, body: Body, update: Update) -> int:
    """The vote replied to, else the body's only open vote."""
    message = update.effective_message
    target = message.reply_to_message if message is not None else None
    open_ones = repo.open_votes(session, body.id)
    if target is not None:
        for vote in open_ones:
            if vote.message_id == target.message_id and vote.id is not None:
                return vote.id
    if len(open_ones) == 1 and open_ones[0].id is not None:
        return open_ones[0].id
    if not open_ones:
        raise Refusal(N_("There is no open vote in this chat."))
    raise Refusal(N_("Several votes are open: reply to the one to close with /stang_omrostning."))


async def close_command(update: Update, context: Context) -> None:
    """/stang_omrostning: the chair closes the vote replied to (or the only open one)."""
    await close_due(context.bot, context.runtime)
    await _close(update, context, None)


def install(application: Application) -> None:  # type: ignore[type-arg]
    """Start-up sweep (closes what fell due while the bot was down) and the periodic one."""
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            sweep, interval=SWEEP_SECONDS, first=timedelta(seconds=2), name="vote-sweep"
        )
