"""/kallelse, /punkt, /moten, /flytta, /stall_in and their buttons (agenda, publish, RSVP).

Group-facing texts (the kallelse, notices, invitations) are written in the partnership's
language; answers to one person (toasts, the chair's draft) in that person's language.
Callback data, all well under 64 bytes:
  rv:<meeting>:<y|n|m>          RSVP
  ma:<meeting>:<item>:<op>      draft agenda: s(elect) u(p) d(own) x (drop) r(estore) o(verview)
  mp:<meeting>                  publish the draft
  mw:<unix time>                the chosen reading of an ambiguous time for /kallelse
  mf:<meeting>:<unix time>      the same for /flytta
  mx:<meeting>                  cancel this meeting (after /stall_in)
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, TelegramError

from governance import agenda as rules
from governance.textsplit import split_html, truncate_plain
from governance.timeparse import Ambiguous, Invalid, parse_when_prefix
from handlers.common import (
    Context,
    acting_user,
    command_args,
    esc,
    is_chat_admin,
    person_name,
    refuse,
    reply,
)
from handlers.dates import date_error_text
from i18n import N_, _, current_language, language
from services import meetings as service
from services.chats import linked_body_and_partnership
from services.errors import Refusal
from services.roles import Role, role_in_body
from storage import bodies
from storage import meetings as repo
from storage.db import transaction
from storage.models import (
    AgendaItem,
    Body,
    Meeting,
    MeetingStatus,
    Partnership,
    Person,
    RsvpAnswer,
)
from views.ics import meeting_ics

log = logging.getLogger(__name__)

RSVP, AGENDA, PUBLISH, WHEN_NEW, WHEN_MOVE, CANCEL = "rv", "ma", "mp", "mw", "mf", "mx"
CALLBACK_PATTERN = r"^(rv|ma|mp|mw|mf|mx):"
ANSWER_CODES = {"y": RsvpAnswer.YES, "n": RsvpAnswer.NO, "m": RsvpAnswer.MAYBE}
CODE_OF_ANSWER = {v: k for k, v in ANSWER_CODES.items()}
BUTTONS_PER_ROW = 8
MAX_NAMES_SHOWN = 30
PAST_SHOWN = 10

STANDARD_TITLES: dict[str, str] = {
    rules.StandardKey.OPENING: N_("Opening of the meeting"),
    rules.StandardKey.JUSTERARE: N_("Choice of a person to check the minutes (justerare)"),
    rules.StandardKey.APPROVE_AGENDA: N_("Approval of the agenda"),
    rules.StandardKey.PREVIOUS_MINUTES: N_("Previous minutes"),
    rules.StandardKey.FOLLOWUP: N_("Follow-up of open action items"),
    rules.StandardKey.ESCALATIONS: N_("Items raised from the samverkansgrupp"),
    rules.StandardKey.REPORTS: N_("Reports"),
    rules.StandardKey.OTHER_BUSINESS: N_("Other business"),
    rules.StandardKey.CLOSING: N_("Closing of the meeting"),
}
ANSWER_LABELS = {
    RsvpAnswer.YES: N_("Coming"),
    RsvpAnswer.NO: N_("Not coming"),
    RsvpAnswer.MAYBE: N_("Maybe"),
}
_DATE_PATTERNS = {"sv": "EEEE d MMMM y 'kl.' HH:mm", "en": "EEEE d MMMM y 'at' HH:mm"}

# Edits of one kallelse are made one at a time, each from the state read after taking the lock,
# so the count shown is never older than the newest answer. A refresh that finds another one
# already waiting leaves it to that one: a burst of presses gives few edits, not one per press
# (Telegram allows about 20 requests a minute per group).
# Kept per Application (bot_data): asyncio locks belong to one event loop.
_LOCKS_KEY, _WAITING_KEY = "meetings.edit_locks", "meetings.edit_waiting"


# --- rendering ----------------------------------------------------------------------------


def when_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """ "torsdag 10 december 2026 kl. 14:00–15:30 (CET)" in the current language."""
    lang = current_language()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    pattern = _DATE_PATTERNS.get(lang, _DATE_PATTERNS["sv"])
    text = format_datetime(local_start, pattern, locale=lang)
    if local_end.date() == local_start.date():
        text += "–" + local_end.strftime("%H:%M")
    else:
        text += " – " + format_datetime(local_end, pattern, locale=lang)
    return f"{text} ({local_start.tzname()})"


def short_when(start: datetime, tz: ZoneInfo) -> str:
    local = start.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def item_title(item: AgendaItem) -> str:
    if item.standard_key in STANDARD_TITLES:
        return _(STANDARD_TITLES[item.standard_key])
    return item.title


def _meeting_title(body: Body, meeting: Meeting) -> str:
    if meeting.number is not None and meeting.year is not None:
        return _("{body}, meeting {number}/{year}").format(
            body=body.name, number=meeting.number, year=meeting.year
        )
    return _("{body}, meeting").format(body=body.name)


def _header(partnership: Partnership, body: Body, meeting: Meeting, *, kind: str) -> list[str]:
    tz = service.zone_of(partnership)
    title = esc(_meeting_title(body, meeting))
    lines = []
    if kind == "cancelled":
        lines.append(_("<b>CANCELLED</b>: {title}").format(title=title))
    elif kind == "draft":
        lines.append(_("<b>Draft kallelse</b>: {title}").format(title=title))
    else:
        lines.append(_("<b>Kallelse</b>: {title}").format(title=title))
    lines.append(esc(partnership.name))
    lines.append(
        _("<b>When:</b> {when}").format(when=esc(when_text(meeting.starts_at, meeting.ends_at, tz)))
    )
    place = esc(meeting.place) if meeting.place else esc(_("to be announced"))
    lines.append(_("<b>Where:</b> {place}").format(place=place))
    return lines


def _agenda_details(session: Session, body: Body) -> dict[str, list[str]]:
    """What the standard items carry: unapproved previous minutes, open action items."""
    from services import actions, minutes

    assert body.id is not None
    pending = [minutes.meeting_label(body, m) for m in minutes.pending_minutes(session, body.id)]
    followup = [
        _("{owner}, by {due}: {text}").format(
            owner=person_name(owner), due=item.due_on.isoformat(), text=item.text
        )
        for item, owner in actions.open_action_items(session, body.id)
    ]
    return {
        rules.StandardKey.PREVIOUS_MINUTES: [
            _("Minutes not yet approved: {labels}").format(labels=", ".join(pending))
        ]
        if pending
        else [],
        rules.StandardKey.FOLLOWUP: followup,
    }


def _agenda_lines(
    items: Sequence[AgendaItem],
    names: dict[int, Person],
    details: dict[str, list[str]] | None = None,
) -> list[str]:
    lines = [_("<b>Agenda</b>")]
    number = 0
    for item in items:
        if item.dropped:
            continue
        number += 1
        line = f"{number}. {esc(item_title(item))}"
        if item.kind == rules.ItemKind.MEMBER and item.added_by_person_id in names:
            line += " " + esc(
                _("(raised by {name})").format(name=person_name(names[item.added_by_person_id]))
            )
        lines.append(line)
        for detail in (details or {}).get(item.standard_key or "", []):
            lines.append(f"   – {esc(detail)}")
    return lines


def _rsvp_lines(summary: service.RsvpSummary) -> list[str]:
    lines = [_("<b>Answers</b>")]
    for answer_value in (RsvpAnswer.YES, RsvpAnswer.NO, RsvpAnswer.MAYBE):
        persons = summary.by_answer.get(answer_value, [])
        shown = ", ".join(esc(person_name(p)) for p in persons[:MAX_NAMES_SHOWN])
        if len(persons) > MAX_NAMES_SHOWN:
            shown += ", …"
        label = esc(_(ANSWER_LABELS[answer_value]))
        lines.append(f"{label} ({len(persons)})" + (f": {shown}" if shown else ""))
    lines.append(esc(_("Not answered yet: {count}").format(count=len(summary.unanswered))))
    return lines


def _names(session: Session, items: Sequence[AgendaItem]) -> dict[int, Person]:
    ids = {i.added_by_person_id for i in items if i.added_by_person_id is not None}
    found = {pid: session.get(Person, pid) for pid in ids}
    return {pid: p for pid, p in found.items() if p is not None}


def rsvp_keyboard(meeting_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _(ANSWER_LABELS[value]), callback_data=f"{RSVP}:{meeting_id}:{code}"
                )
                for code, value in ANSWER_CODES.items()
            ]
        ]
    )


def kallelse_parts(
    session: Session, partnership: Partnership, body: Body, meeting: Meeting
) -> tuple[list[str], str]:
    """The agenda messages that go before the panel (empty when all fits in one message) and
    the panel: the message with the answers and the buttons, edited in place later."""
    assert meeting.id is not None
    items = repo.agenda_of(session, meeting.id)
    cancelled = meeting.status == MeetingStatus.CANCELLED
    header = _header(partnership, body, meeting, kind="cancelled" if cancelled else "published")
    agenda = _agenda_lines(items, _names(session, items), _agenda_details(session, body))
    answers = [] if cancelled else _rsvp_lines(service.rsvp_summary(session, meeting))
    full = "\n".join([*header, "", *agenda, *(["", *answers] if answers else [])])
    if len(split_html(full)) == 1:
        return [], full
    before = split_html("\n".join([*header, "", *agenda]))
    note = esc(_("The agenda is in the messages above."))
    panel = "\n".join([*header, note, *(["", *answers] if answers else [])])
    return before, panel


def _preview_text(
    partnership: Partnership,
    body: Body,
    meeting: Meeting,
    items: Sequence[AgendaItem],
    selected: int | None,
) -> str:
    """The chair's draft: every item numbered (dropped ones struck through), in one message."""
    header = _header(partnership, body, meeting, kind="draft")
    help_text = esc(
        _(
            "Press an item's number to move or drop it. Members add items with /punkt. Press Publish when the agenda is ready."
        )
    )
    for width in (200, 60, 30, 12):
        lines = [*header, "", _("<b>Agenda</b>")]
        for number, item in enumerate(items, start=1):
            title = esc(truncate_plain(item_title(item), width))
            mark = "▶ " if item.id == selected else ""
            line = f"{mark}{number}. {title}"
            if item.dropped:
                line = f"<s>{line}</s> " + esc(_("(dropped)"))
            lines.append(line)
        text = "\n".join([*lines, "", help_text])
        if len(split_html(text)) == 1:
            return text
    return text


def _preview_keyboard(
    meeting_id: int, items: Sequence[AgendaItem], selected: int | None
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    chosen = next((i for i in items if i.id == selected), None)
    if chosen is not None:
        prefix = f"{AGENDA}:{meeting_id}:{chosen.id}"
        rows.append(
            [
                InlineKeyboardButton("⬆ " + _("Up"), callback_data=f"{prefix}:u"),
                InlineKeyboardButton("⬇ " + _("Down"), callback_data=f"{prefix}:d"),
            ]
        )
        if chosen.dropped:
            rows.append([InlineKeyboardButton(_("Restore"), callback_data=f"{prefix}:r")])
        else:
            rows.append([InlineKeyboardButton(_("Drop"), callback_data=f"{prefix}:x")])
        rows.append([InlineKeyboardButton(_("Done"), callback_data=f"{AGENDA}:{meeting_id}:0:o")])
        return InlineKeyboardMarkup(rows)
    row: list[InlineKeyboardButton] = []
    for number, item in enumerate(items, start=1):
        if item.standard_key in rules.LOCKED:
            continue
        row.append(
            InlineKeyboardButton(str(number), callback_data=f"{AGENDA}:{meeting_id}:{item.id}:s")
        )
        if len(row) == BUTTONS_PER_ROW:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.append(
        [
            # Members may add items after the draft was shown: the chair sees them on refresh.
            InlineKeyboardButton("↻ " + _("Refresh"), callback_data=f"{AGENDA}:{meeting_id}:0:o"),
            InlineKeyboardButton(_("Publish"), callback_data=f"{PUBLISH}:{meeting_id}"),
        ]
    )
    # Telegram refuses more than 100 buttons; the agenda's own limit keeps well below.
    assert sum(len(r) for r in rows) <= 100
    return InlineKeyboardMarkup(rows)


def _preview(
    session: Session, partnership: Partnership, body: Body, meeting: Meeting, selected: int | None
) -> tuple[str, InlineKeyboardMarkup]:
    assert meeting.id is not None
    items = repo.agenda_of(session, meeting.id)
    return (
        _preview_text(partnership, body, meeting, items, selected),
        _preview_keyboard(meeting.id, items, selected),
    )


def _ics(
    session: Session, partnership: Partnership, body: Body, meeting: Meeting, *, now: datetime
) -> tuple[bytes, str]:
    """The invitation (REQUEST, or CANCEL for a cancelled meeting) and its file name."""
    assert meeting.id is not None
    tz = service.zone_of(partnership)
    items = [i for i in repo.agenda_of(session, meeting.id) if not i.dropped]
    description = "\n".join(
        [_("Agenda"), *(f"{n}. {item_title(i)}" for n, i in enumerate(items, start=1))]
    )
    summary = f"{_meeting_title(body, meeting)} – {partnership.name}"
    data = meeting_ics(
        meeting.uid,
        meeting.sequence,
        meeting.starts_at,
        meeting.ends_at,
        tz,
        summary,
        description,
        meeting.place,
        "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST",
        stamp=now,
    )
    local = meeting.starts_at.astimezone(tz)
    name = f"{body.decision_prefix.lower()}-{local:%Y-%m-%d-%H%M}.ics"
    name = name.encode("ascii", "replace").decode().replace("?", "x")
    return data, name


# --- sending ------------------------------------------------------------------------------


def _thread(update: Update, body: Body) -> int | None:
    message = update.effective_message
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return body.thread_id


async def _send(
    context: Context,
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


async def _send_ics(
    context: Context, chat_id: int, thread_id: int | None, data: bytes, name: str, caption: str
) -> None:
    await context.bot.send_document(
        chat_id,
        InputFile(data, filename=name),
        caption=esc(truncate_plain(caption, 900)),
        message_thread_id=thread_id,
    )


async def _edit(
    context: Context,
    chat_id: int,
    message_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> bool:
    try:
        await context.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        log.warning("could not edit message %s: %s", message_id, type(exc).__name__)
        return False
    except TelegramError as exc:
        log.warning("could not edit message %s: %s", message_id, type(exc).__name__)
        return False
    return True


async def refresh_kallelse(context: Context, meeting_id: int) -> None:
    """Edit the kallelse in place from the current state (answers, time, cancellation)."""
    svc = context.runtime
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
        with transaction(svc.session_factory) as session:
            meeting = repo.get_meeting(session, meeting_id)
            if meeting is None or meeting.kallelse_message_id is None:
                return
            body = session.get(Body, meeting.body_id)
            assert body is not None and body.chat_id is not None
            partnership = session.get(Partnership, body.partnership_id)
            assert partnership is not None
            with language(partnership.language):
                _before, panel = kallelse_parts(session, partnership, body, meeting)
                markup = (
                    rsvp_keyboard(meeting_id) if meeting.status == MeetingStatus.PUBLISHED else None
                )
            chat_id, message_id = body.chat_id, meeting.kallelse_message_id
        await _edit(context, chat_id, message_id, panel, markup)
    finally:
        locks[meeting_id].release()


# --- shared lookups -----------------------------------------------------------------------


def _role(session: Session, body: Body, update: Update, context: Context, admin: bool) -> Role:
    user = acting_user(update)
    return role_in_body(
        session, body, user.id if user else None, context.runtime.today(), is_chat_admin=admin
    )


# "14:00-16:00": the end joins the rest ("-16:00"), which the length reader understands.
_RANGE = re.compile(r"(\d{1,2}[:.]\d{2})\s*[-–]\s*(\d{1,2}[:.]\d{2})")
_END = re.compile(
    r"^(?:[-–]|till|to|until)\s*(?:kl\.?\s*)?(\d{1,2})(?:[:.](\d{2}))?(?=\s|$)", re.IGNORECASE
)
_MINUTES = re.compile(r"^(\d{1,3})\s*(?:min|minuter|minutes)(?=\s|$)", re.IGNORECASE)
_HOURS = re.compile(
    r"^(\d{1,2}(?:[.,]\d)?)\s*(?:h|tim|timme|timmar|hour|hours)(?=\s|$)", re.IGNORECASE
)
MIN_LENGTH, MAX_LENGTH = timedelta(minutes=15), timedelta(hours=12)


@dataclass(frozen=True)
class _Length:
    """A length written after the time: minutes, or an end time on the same day."""

    minutes: int | None = None
    until: tuple[int, int] | None = None


@dataclass(frozen=True)
class _Command:
    when: datetime | list[datetime]  # the instant, or the readings to ask about (UTC)
    length: _Length | None
    place: str


def _split_length(rest: str) -> tuple[_Length | None, str]:
    if match := _END.match(rest):
        until = (int(match.group(1)), int(match.group(2) or 0))
        return _Length(until=until), rest[match.end() :].strip()
    if match := _MINUTES.match(rest):
        return _Length(minutes=int(match.group(1))), rest[match.end() :].strip()
    if match := _HOURS.match(rest):
        hours = float(match.group(1).replace(",", "."))
        return _Length(minutes=round(hours * 60)), rest[match.end() :].strip()
    return None, rest


def _duration(start: datetime, length: _Length | None, tz: ZoneInfo) -> timedelta | None:
    """The meeting's length (None: the body's default); refused outside 15 min – 12 h."""
    if length is None:
        return None
    if length.minutes is not None:
        duration = timedelta(minutes=length.minutes)
    else:
        assert length.until is not None
        hour, minute = length.until
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise Refusal(date_error_text("invalid_time"))
        local = start.astimezone(tz)
        end = datetime.combine(local.date(), time(hour, minute), tzinfo=tz)
        # Subtract in UTC: the same ZoneInfo would subtract wall times across a DST change.
        duration = end.astimezone(UTC) - start.astimezone(UTC)
    if not MIN_LENGTH <= duration <= MAX_LENGTH:
        raise Refusal(
            N_("A meeting lasts from 15 minutes to 12 hours. Check the end time or the length.")
        )
    return duration


def _parse_command(text: str, partnership: Partnership, now: datetime) -> _Command:
    """/kallelse and /flytta: when, then optionally a length or end time, then the place."""
    tz = service.zone_of(partnership)
    text = _RANGE.sub(r"\1 -\2", text, count=1)
    result, rest = parse_when_prefix(text, now=now.astimezone(tz), tz=tz)
    if isinstance(result, Invalid):
        raise Refusal(date_error_text(result.code))
    length, place = _split_length(rest)
    if isinstance(result, Ambiguous):
        return _Command([c.astimezone(UTC) for c in result.candidates], length, place)
    return _Command(result.at.astimezone(UTC), length, place)


def _question_keyboard(
    candidates: Sequence[datetime], tz: ZoneInfo, prefix: str
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    short_when(c, tz), callback_data=f"{prefix}:{int(c.timestamp())}"
                )
            ]
            for c in candidates
        ]
    )


def _original_command(
    query_message: Message | None, partnership: Partnership, now: datetime
) -> _Command:
    """The command a "which time?" question answered (quoted by the question), for the length
    and place written after the time; empty if the original is gone."""
    original = query_message.reply_to_message if query_message else None
    text = (original.text or "") if original else ""
    parts = text.split(maxsplit=1)
    if len(parts) < 2 or not parts[0].startswith("/"):
        return _Command([], None, "")
    try:
        return _parse_command(parts[1], partnership, now)
    except Refusal:
        return _Command([], None, "")


def _instant(raw: str) -> datetime | None:
    if not raw.isdigit() or len(raw) > 12:
        return None
    return datetime.fromtimestamp(int(raw), UTC)


async def _bad_button(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(_("This button is no longer valid."), show_alert=True)


# --- /kallelse ----------------------------------------------------------------------------


async def call_meeting(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    args = command_args(context)
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, admin)
            if not service.may_call(role):
                raise Refusal(
                    N_("Only the chair of this body or the administrator can call a meeting.")
                )
            if not args:
                raise Refusal(
                    N_("Say when, for example /kallelse 2026-12-10 14:00 Stadshuset, rum 3.")
                )
            command = _parse_command(args, partnership, svc.now())
            tz = service.zone_of(partnership)
            question: InlineKeyboardMarkup | None = None
            if isinstance(command.when, list):
                question = _question_keyboard(command.when, tz, WHEN_NEW)
            else:
                meeting = service.call_meeting(
                    session,
                    body=body,
                    role=role,
                    starts_at=command.when,
                    place=command.place or None,
                    now=svc.now(),
                    duration=_duration(command.when, command.length, tz),
                )
                text, markup = _preview(session, partnership, body, meeting, None)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    if question is not None:
        # Quoting the command keeps the place for the answer to the question.
        await message.reply_text(
            _("Which time did you mean?"), reply_markup=question, do_quote=True
        )
        return
    await reply(update, text, reply_markup=markup)


async def choose_new_time(update: Update, context: Context) -> None:
    """The chair picked one reading of an ambiguous /kallelse time."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    when = _instant(query.data.partition(":")[2])
    if when is None:
        await _bad_button(update)
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    message = query.message if isinstance(query.message, Message) else None
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, admin)
            command = _original_command(message, partnership, svc.now())
            meeting = service.call_meeting(
                session,
                body=body,
                role=role,
                starts_at=when,
                place=command.place or None,
                now=svc.now(),
                duration=_duration(when, command.length, service.zone_of(partnership)),
            )
            text, markup = _preview(session, partnership, body, meeting, None)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer()
    if message is not None:
        await _edit(context, chat.id, message.message_id, text, markup)


# --- the draft agenda ---------------------------------------------------------------------


async def agenda_button(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    parts = query.data.split(":")
    if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit():
        await _bad_button(update)
        return
    meeting_id, item_id, op = int(parts[1]), int(parts[2]), parts[3]
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    toast = ""
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, admin)
            if not service.may_call(role):
                raise Refusal(
                    N_("Only the chair of this body or the administrator can change the agenda.")
                )
            meeting = repo.get_meeting(session, meeting_id)
            if meeting is None or meeting.body_id != body.id:
                raise Refusal(N_("This button is no longer valid."))
            if meeting.status != MeetingStatus.DRAFT:
                raise Refusal(N_("This kallelse has already been published or cancelled."))
            selected: int | None = item_id
            if op == "o":
                selected = None
            elif op != "s":
                result = service.edit_agenda(
                    session,
                    body=body,
                    role=role,
                    meeting_id=meeting_id,
                    item_id=item_id,
                    op=op,
                    now=svc.now(),
                )
                if result == rules.MoveResult.AT_EDGE:
                    toast = _("The item cannot move further that way.")
                elif result == rules.MoveResult.LOCKED:
                    toast = _("This item always stays in its place.")
            elif item_id not in {i.id for i in repo.agenda_of(session, meeting_id)}:
                raise Refusal(N_("This button is no longer valid."))
            text, markup = _preview(session, partnership, body, meeting, selected)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer(toast or None)
    message = query.message
    if isinstance(message, Message):
        await _edit(context, chat.id, message.message_id, text, markup)


async def publish_button(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    raw = query.data.partition(":")[2]
    if not raw.isdigit():
        await _bad_button(update)
        return
    meeting_id = int(raw)
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    now = svc.now()
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, admin)
            meeting = service.publish(session, body=body, role=role, meeting_id=meeting_id, now=now)
            with language(partnership.language):
                before, panel = kallelse_parts(session, partnership, body, meeting)
                data, name = _ics(session, partnership, body, meeting, now=now)
                caption = _("Calendar invitation: {title}").format(
                    title=_meeting_title(body, meeting)
                )
                keyboard = rsvp_keyboard(meeting_id)
            thread = _thread(update, body)
            done = _("The kallelse has been published.")
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer(done)
    if isinstance(query.message, Message):
        await _edit(context, chat.id, query.message.message_id, esc(done), None)
    sent = await _send(context, chat.id, thread, [*before, panel], keyboard)
    if sent is not None:
        with transaction(svc.session_factory) as session:
            service.set_kallelse_message(session, meeting_id, sent.message_id)
    await _send_ics(context, chat.id, thread, data, name, caption)


# --- /punkt -------------------------------------------------------------------------------


async def add_item(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    user = acting_user(update)
    if user is None:
        await reply(
            update, _("Write /punkt from your own account, so the others know who raised it.")
        )
        return
    text = (update.effective_message.text or "") if update.effective_message else ""
    parts = text.split(maxsplit=1)
    title = parts[1] if len(parts) > 1 else ""
    refresh: int | None = None
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, False)
            added = service.add_item(session, body=body, role=role, text=title, now=svc.now())
            meeting = added.meeting
            tz = service.zone_of(partnership)
            shown = esc(truncate_plain(added.item.title, 200))
            if meeting is None:
                answer_text = _(
                    "“{item}” will be on the agenda of the next meeting called."
                ).format(item=shown)
            elif meeting.status == MeetingStatus.DRAFT:
                answer_text = _(
                    "“{item}” is on the draft agenda of the meeting {when}. The chair can move or drop it before publishing."
                ).format(item=shown, when=esc(short_when(meeting.starts_at, tz)))
            else:
                answer_text = _(
                    "“{item}” has been added to the agenda of the meeting {when}."
                ).format(item=shown, when=esc(short_when(meeting.starts_at, tz)))
                refresh = meeting.id
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, answer_text)
    if refresh is not None:
        await refresh_kallelse(context, refresh)


# --- RSVP ---------------------------------------------------------------------------------


async def rsvp_button(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    parts = query.data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in ANSWER_CODES:
        await _bad_button(update)
        return
    meeting_id, choice = int(parts[1]), ANSWER_CODES[parts[2]]
    user = acting_user(update)
    if user is None:
        await _bad_button(update)
        return
    svc = context.runtime
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = role_in_body(session, body, user.id, svc.today(), is_chat_admin=False)
            outcome = service.answer(
                session, body=body, role=role, meeting_id=meeting_id, choice=choice, now=svc.now()
            )
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    label = _(ANSWER_LABELS[RsvpAnswer(outcome.answer)])
    if not outcome.changed:
        await query.answer(_("Your answer is already recorded: {answer}.").format(answer=label))
        return
    await query.answer(_("Thank you. Your answer: {answer}.").format(answer=label))
    await refresh_kallelse(context, meeting_id)


# --- /moten -------------------------------------------------------------------------------


def _meeting_line(session: Session, partnership: Partnership, body: Body, meeting: Meeting) -> str:
    tz = service.zone_of(partnership)
    parts = [esc(when_text(meeting.starts_at, meeting.ends_at, tz))]
    if meeting.number is not None:
        parts.insert(0, esc(f"{meeting.number}/{meeting.year}"))
    if meeting.place:
        parts.append(esc(truncate_plain(meeting.place, 100)))
    if meeting.status == MeetingStatus.DRAFT:
        parts.append(esc(_("draft, not yet published")))
    else:
        summary = service.rsvp_summary(session, meeting)
        parts.append(
            esc(
                ", ".join(
                    f"{_(ANSWER_LABELS[a])} {len(summary.by_answer.get(a, []))}"
                    for a in (RsvpAnswer.YES, RsvpAnswer.NO, RsvpAnswer.MAYBE)
                )
            )
        )
    return "• " + " · ".join(parts)


async def list_meetings(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    now = svc.now()
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            assert body.id is not None
            upcoming = repo.upcoming_meetings(session, body.id, now)
            past = repo.past_meetings(session, body.id, now, limit=PAST_SHOWN)
            lines = [_("<b>Meetings of the {body}</b>").format(body=esc(body.name)), ""]
            lines.append(_("<b>Upcoming</b>"))
            lines += [_meeting_line(session, partnership, body, m) for m in upcoming] or [
                esc(_("No meeting has been called. The chair calls one with /kallelse."))
            ]
            lines += ["", _("<b>Past</b>")]
            lines += [_meeting_line(session, partnership, body, m) for m in past] or [
                esc(_("No meetings yet."))
            ]
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, "\n".join(lines))


# --- /flytta ------------------------------------------------------------------------------


async def reschedule(update: Update, context: Context) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    args = command_args(context)
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, admin)
            if not service.may_call(role):
                raise Refusal(
                    N_("Only the chair of this body or the administrator can move a meeting.")
                )
            meeting = service.next_meeting(session, body, svc.now())
            if meeting is None:
                raise Refusal(
                    N_("There is no upcoming meeting of this body. Call one with /kallelse.")
                )
            if not args:
                raise Refusal(N_("Say the new time, for example /flytta 2026-12-12 10:00."))
            command = _parse_command(args, partnership, svc.now())
            assert meeting.id is not None
            meeting_id = meeting.id
            question: InlineKeyboardMarkup | None = None
            if isinstance(command.when, list):
                tz = service.zone_of(partnership)
                question = _question_keyboard(command.when, tz, f"{WHEN_MOVE}:{meeting_id}")
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    if question is not None:
        await message.reply_text(
            _("Which time did you mean?"), reply_markup=question, do_quote=True
        )
        return
    assert isinstance(command.when, datetime)
    await _do_reschedule(update, context, meeting_id, command.when, command, admin)


async def choose_move_time(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    parts = query.data.split(":")
    when = _instant(parts[2]) if len(parts) == 3 else None
    if when is None or not parts[1].isdigit():
        await _bad_button(update)
        return
    svc = context.runtime
    message = query.message if isinstance(query.message, Message) else None
    with transaction(svc.session_factory) as session:
        body = bodies.get_body_by_chat(session, chat.id)
        partnership = session.get(Partnership, body.partnership_id) if body else None
        command = (
            _original_command(message, partnership, svc.now())
            if partnership
            else _Command([], None, "")
        )
    admin = await is_chat_admin(update, context)
    await _do_reschedule(update, context, int(parts[1]), when, command, admin)


async def _do_reschedule(
    update: Update,
    context: Context,
    meeting_id: int,
    when: datetime,
    command: _Command,
    admin: bool,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    svc = context.runtime
    now = svc.now()
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, admin)
            meeting, old = service.reschedule(
                session,
                body=body,
                role=role,
                starts_at=when,
                place=command.place or None,
                now=now,
                meeting_id=meeting_id,
                duration=_duration(when, command.length, service.zone_of(partnership)),
            )
            tz = service.zone_of(partnership)
            thread = _thread(update, body)
            published = meeting.status == MeetingStatus.PUBLISHED
            ics: tuple[bytes, str] | None = None
            if published:
                with language(partnership.language):
                    notice = _(
                        "<b>The meeting has been moved</b>: {title}\nFrom {old}\nTo {new}\nWhere: {place}\nPlease answer again with the buttons on the kallelse."
                    ).format(
                        title=esc(_meeting_title(body, meeting)),
                        old=esc(short_when(old, tz)),
                        new=esc(when_text(meeting.starts_at, meeting.ends_at, tz)),
                        place=esc(meeting.place or _("to be announced")),
                    )
                    ics = _ics(session, partnership, body, meeting, now=now)
                    caption = _("Updated calendar invitation: {title}").format(
                        title=_meeting_title(body, meeting)
                    )
                preview = None
            else:
                preview = _preview(session, partnership, body, meeting, None)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    query = update.callback_query
    if query is not None:
        await query.answer()
        if isinstance(query.message, Message):
            await _edit(context, chat.id, query.message.message_id, esc(short_when(when, tz)), None)
    if preview is not None:
        await _send(context, chat.id, thread, [preview[0]], preview[1])
        return
    await refresh_kallelse(context, meeting_id)
    await _send(context, chat.id, thread, [notice])
    assert ics is not None
    await _send_ics(context, chat.id, thread, ics[0], ics[1], caption)


# --- /stall_in ----------------------------------------------------------------------------


async def cancel_meeting(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, admin)
            if not service.may_call(role):
                raise Refusal(
                    N_("Only the chair of this body or the administrator can cancel a meeting.")
                )
            assert body.id is not None
            upcoming = repo.upcoming_meetings(session, body.id, svc.now())[:10]
            if not upcoming:
                raise Refusal(N_("There is no upcoming meeting of this body to cancel."))
            tz = service.zone_of(partnership)
            buttons = [
                [
                    InlineKeyboardButton(
                        _("Cancel {when}").format(when=short_when(m.starts_at, tz))
                        + (" " + _("(draft)") if m.status == MeetingStatus.DRAFT else ""),
                        callback_data=f"{CANCEL}:{m.id}",
                    )
                ]
                for m in upcoming
            ]
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(
        update,
        esc(
            _(
                "Which meeting do you want to cancel? Everyone is told, and the invitation is withdrawn."
            )
        ),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def cancel_button(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    raw = query.data.partition(":")[2]
    if not raw.isdigit():
        await _bad_button(update)
        return
    meeting_id = int(raw)
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    now = svc.now()
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(session, body, update, context, admin)
            meeting, was_published = service.cancel(
                session, body=body, role=role, meeting_id=meeting_id, now=now
            )
            tz = service.zone_of(partnership)
            thread = _thread(update, body)
            done = _("The meeting {when} has been cancelled.").format(
                when=short_when(meeting.starts_at, tz)
            )
            ics: tuple[bytes, str] | None = None
            if was_published:
                with language(partnership.language):
                    notice = _("<b>The meeting has been cancelled</b>: {title}, {when}").format(
                        title=esc(_meeting_title(body, meeting)),
                        when=esc(when_text(meeting.starts_at, meeting.ends_at, tz)),
                    )
                    ics = _ics(session, partnership, body, meeting, now=now)
                    caption = _("Cancelled: {title}").format(title=_meeting_title(body, meeting))
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await _edit(context, chat.id, query.message.message_id, esc(done), None)
    if ics is None:
        return
    await refresh_kallelse(context, meeting_id)
    await _send(context, chat.id, thread, [notice])
    await _send_ics(context, chat.id, thread, ics[0], ics[1], caption)
