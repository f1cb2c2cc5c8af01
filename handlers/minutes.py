"""The live meeting and its minutes: /motesstart, /narvaro, /nasta, /anteckning, /beslut,
/uppgift, /andra, /stryk, /motesslut; justering: /andring, /utkast, /tillagg and the buttons.

Every line is committed before it is acknowledged (a reaction, or a one-line reply carrying the
line number `#<id>` so that a reply to the acknowledgement finds the line again).
Callback data, all well under 64 bytes:
  mj:<meeting>:<person>     choose or un-choose a justerare
  na:<meeting>:<person>     toggle a member's attendance
  js:<protokoll>:<a|c>      justering: approve, or ask for a change
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from sqlmodel import Session, select
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    ReactionTypeEmoji,
    Update,
)
from telegram.error import BadRequest, TelegramError

from governance import agenda as rules
from governance import protokoll as doc
from governance.textsplit import truncate_plain
from governance.timeparse import AmbiguousDate, Invalid, parse_date_prefix
from handlers.common import (
    Context,
    acting_user,
    command_args,
    esc,
    is_chat_admin,
    person_name,
    refuse,
    reply,
    wake_dispatcher,
)
from handlers.dates import date_error_text
from handlers.meetings import item_title
from i18n import N_, _, language
from services import actions, decisions, justering
from services import minutes as service
from services.chats import linked_body_and_partnership
from services.errors import Refusal
from services.roles import Role, role_in_body
from storage import bodies, people
from storage import minutes as repo
from storage.db import transaction
from storage.models import Body, Meeting, Partnership, Person, ProtokollRecord
from views import protokoll as protokoll_view

log = logging.getLogger(__name__)

JUSTERARE, ATTENDANCE, JUSTERING = "mj", "na", "js"
CALLBACK_PATTERN = r"^(mj|na|js):"
ACK_EMOJI = "✍"
MAX_BUTTONS = 90
_LINE_REF = re.compile(r"#(\d+)")


# --- shared lookups ----------------------------------------------------------------------------


def _role(update: Update, context: Context, session: Session, body: Body, admin: bool) -> Role:
    """`admin` is asked of Telegram before the transaction opens: no lock is held across it."""
    user = acting_user(update)
    if user is None:
        raise Refusal(N_("Write this from your own account, not anonymously."))
    zone = service.zone_of(session, body)
    return role_in_body(session, body, user.id, context.runtime.today(zone), is_chat_admin=admin)


def _today(context: Context, session: Session, body: Body):  # type: ignore[no-untyped-def]
    return context.runtime.today(service.zone_of(session, body))


def _names(partnership: Partnership) -> service.Names:
    lang = partnership.language if partnership.language in ("sv", "en") else "sv"

    def title(item):  # type: ignore[no-untyped-def]
        with language(lang):
            return item_title(item)

    def name(person: Person) -> str:
        with language(lang):
            return person_name(person)

    with language(lang):
        unfiled = _("Other recorded lines")
    return service.Names(item_title=title, person=name, unfiled=unfiled)


def _doc_language(partnership: Partnership) -> str:
    return partnership.language if partnership.language in ("sv", "en") else "sv"


def _thread(message: Message | None, body: Body) -> int | None:
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return body.thread_id


async def _ack(update: Update, context: Context, fallback: str) -> None:
    """A reaction on the recorded message; a short reply where reactions are not allowed."""
    message = update.effective_message
    if message is None:
        return
    try:
        await context.bot.set_message_reaction(
            message.chat_id, message.message_id, reaction=[ReactionTypeEmoji(ACK_EMOJI)]
        )
    except TelegramError as exc:
        log.info("reaction refused (%s); answering with a short reply", type(exc).__name__)
        await reply(update, fallback)


def _person_from_entities(session: Session, message: Message) -> tuple[Person | None, str]:
    """The person named first after the command (@username or a text mention), and the rest."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            rest = text[entity.offset + entity.length :]
            return people.get_person_by_telegram_id(session, entity.user.id), rest.strip()
        if entity.type == MessageEntity.MENTION:
            rest = text[entity.offset + entity.length :]
            return people.find_person_by_username(session, message.parse_entity(entity)), (
                rest.strip()
            )
    # Clients do not always send a mention entity: read a plain "@name" after the command.
    words = text.split(maxsplit=2)
    if len(words) > 1 and words[1].startswith("@") and len(words[1]) > 1:
        return people.find_person_by_username(session, words[1]), (
            words[2] if len(words) > 2 else ""
        )
    return None, ""


def _mentioned_people(session: Session, message: Message) -> tuple[list[Person], list[str]]:
    found: list[Person] = []
    unknown: list[str] = []
    for entity in message.entities:
        person: Person | None = None
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            person = people.get_person_by_telegram_id(session, entity.user.id)
            label = entity.user.first_name
        elif entity.type == MessageEntity.MENTION:
            label = message.parse_entity(entity)
            person = people.find_person_by_username(session, label)
        else:
            continue
        if person is None:
            unknown.append(label)
        else:
            found.append(person)
    if not message.entities or all(e.type == MessageEntity.BOT_COMMAND for e in message.entities):
        # Clients do not always send mention entities: read plain "@name" words.
        for word in (message.text or "").split()[1:]:
            if word.startswith("@") and len(word) > 1:
                person = people.find_person_by_username(session, word)
                if person is None:
                    unknown.append(word)
                else:
                    found.append(person)
    return found, unknown


# --- opening, attendance, justerare ------------------------------------------------------------


def _attendance_view(session: Session, meeting: Meeting) -> tuple[str, InlineKeyboardMarkup]:
    assert meeting.id is not None
    rows = repo.attendance_of(session, meeting.id)
    lines = [_("<b>Attendance</b> (press a name to change it)")]
    buttons = []
    for row, person, party in rows[:MAX_BUTTONS]:
        mark = "✓" if row.present else "✗"
        party_name = party.name if party else ""
        lines.append(f"{mark} {esc(person_name(person))} – {esc(party_name)}")
        label = truncate_plain(f"{mark} {person_name(person)}", 40)
        buttons.append(
            InlineKeyboardButton(label, callback_data=f"{ATTENDANCE}:{meeting.id}:{person.id}")
        )
    present = sum(1 for row, _p, _pa in rows if row.present)
    lines.append(_("Present: {present} of {total}").format(present=present, total=len(rows)))
    keyboard = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def _justerare_view(
    session: Session, body: Body, meeting: Meeting, today
) -> tuple[str, InlineKeyboardMarkup | None]:  # type: ignore[no-untyped-def]
    assert meeting.id is not None and body.id is not None
    chosen = [session.get(Person, pid) for pid in meeting.justerare_person_ids or []]
    names = ", ".join(esc(person_name(p)) for p in chosen if p is not None)
    chair = people.current_chair(session, body.id, today)
    chair_id = chair[1].id if chair else None
    buttons = []
    for row, person, _party in repo.attendance_of(session, meeting.id):
        if not row.present or person.id == chair_id:
            continue
        mark = "✓ " if person.id in (meeting.justerare_person_ids or []) else ""
        buttons.append(
            InlineKeyboardButton(
                truncate_plain(mark + person_name(person), 40),
                callback_data=f"{JUSTERARE}:{meeting.id}:{person.id}",
            )
        )
    text = (
        _("Justerare: {names}").format(names=names)
        if names
        else _("Choose the justerare (press a name):")
    )
    keyboard = [buttons[i : i + 2] for i in range(0, min(len(buttons), MAX_BUTTONS), 2)]
    return text, InlineKeyboardMarkup(keyboard) if keyboard else None


def _position_text(session: Session, body: Body, position: service.Position) -> str:
    if position.item is None:
        return _("The agenda is empty; lines are recorded without an item.")
    lines = [f"<b>§ {position.number} {esc(item_title(position.item))}</b>"]
    key = position.item.standard_key
    assert body.id is not None
    if key == rules.StandardKey.FOLLOWUP:
        open_items = actions.open_action_items(session, body.id)
        if open_items:
            lines.append(_("Open action items:"))
            for item, owner in open_items:
                lines.append(
                    "• "
                    + _("{owner}: {text} (due {due})").format(
                        owner=esc(person_name(owner)),
                        text=esc(item.text),
                        due=item.due_on.isoformat(),
                    )
                )
        else:
            lines.append(_("No open action items."))
    elif key == rules.StandardKey.PREVIOUS_MINUTES:
        lines += _previous_minutes_lines(session, body, position.meeting)
    return "\n".join(lines)


def _previous_minutes_lines(session: Session, body: Body, meeting: Meeting) -> list[str]:
    assert body.id is not None
    previous = repo.previous_closed_meeting(session, body.id, before_id=meeting.id)
    if previous is None or previous.id is None:
        return [_("No earlier minutes.")]
    label = service.meeting_label(body, previous)
    final = repo.latest_final(session, previous.id)
    if final is None:
        return [
            _("The minutes of {meeting} are not yet approved (justerade).").format(
                meeting=esc(label)
            )
        ]
    intact = justering.verify_record(final)
    text = _("The minutes of {meeting} are approved; checksum {hash}.").format(
        meeting=esc(label), hash=f"<code>{esc(final.content_hash)}</code>"
    )
    if not intact:
        text += " " + _("WARNING: the stored minutes do not match their checksum.")
    return [text]


async def start_meeting(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            chosen, unknown = _mentioned_people(session, message)
            if unknown:
                raise Refusal(
                    N_("I do not know {name} yet: they need to write in this chat first."),
                    name=unknown[0],
                )
            today = _today(context, session, body)
            meeting = service.start_meeting(
                session, body=body, role=role, justerare=chosen, now=svc.now(), today=today
            )
            label = service.meeting_label(body, meeting)
            taker = (
                session.get(Person, meeting.minute_taker_person_id)
                if meeting.minute_taker_person_id
                else None
            )
            head = [
                _("<b>Meeting {label} is open.</b>").format(label=esc(label)),
                _("Minutes: {name}").format(name=esc(person_name(taker)) if taker else "–"),
            ]
            attendance, attendance_keys = _attendance_view(session, meeting)
            justerare_text, justerare_keys = _justerare_view(session, body, meeting, today)
            position = _position_text(session, body, service.current_position(session, meeting))
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, "\n".join(head) + "\n\n" + attendance, reply_markup=attendance_keys)
    await reply(update, justerare_text, reply_markup=justerare_keys)
    await reply(update, position)


async def attendance(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            meeting = service.open_meeting_of(session, body)
            if not service.may_lead(role, meeting):
                raise Refusal(
                    N_(
                        "Only the chair or the person writing the minutes can do that during the meeting."
                    )
                )
            text, keys = _attendance_view(session, meeting)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text, reply_markup=keys)


def _ids(data: str) -> tuple[int, int] | None:
    parts = data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[1]), int(parts[2])


async def _edit(query, text: str, markup: InlineKeyboardMarkup | None) -> None:  # type: ignore[no-untyped-def]
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("could not edit message: %s", type(exc).__name__)
    except TelegramError as exc:
        log.warning("could not edit message: %s", type(exc).__name__)


async def attendance_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    ids = _ids(query.data)
    if ids is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            service.set_attendance(
                session,
                body=body,
                role=role,
                meeting_id=ids[0],
                person_id=ids[1],
                present=None,
                now=svc.now(),
            )
            meeting = session.get(Meeting, ids[0])
            assert meeting is not None
            text, keys = _attendance_view(session, meeting)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer()
    await _edit(query, text, keys)


async def justerare_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    ids = _ids(query.data)
    if ids is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            today = _today(context, session, body)
            meeting = service.toggle_justerare(
                session, body=body, role=role, meeting_id=ids[0], person_id=ids[1], today=today
            )
            text, keys = _justerare_view(session, body, meeting, today)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer()
    await _edit(query, text, keys)


async def next_item(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            position = service.next_item(session, body=body, role=role, now=svc.now())
            text = _position_text(session, body, position)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text)


# --- recording ---------------------------------------------------------------------------------


async def note(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            entry = service.record_note(
                session,
                body=body,
                role=role,
                text=command_args(context),
                source_message_id=message.message_id,
                now=svc.now(),
            )
            entry_id = entry.id
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await _ack(update, context, _("✍ Noted (line #{id}).").format(id=entry_id))


async def decision(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            entry, recorded = service.record_decision(
                session,
                body=body,
                role=role,
                raw=command_args(context),
                source_message_id=message.message_id,
                now=svc.now(),
                today=_today(context, session, body),
            )
            text = _("✍ Decision {label} recorded (line #{id}).").format(
                label=esc(decisions.decision_label(body, recorded)), id=entry.id
            )
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await wake_dispatcher(context)  # an escalated question's answer goes back at once
    await reply(update, text)


async def action(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            owner, rest = _person_from_entities(session, message)
            if owner is None:
                raise Refusal(
                    N_(
                        "Name the owner and the due date: /uppgift @name 10/12 what is to be done. The owner must have written in this chat."
                    )
                )
            today = _today(context, session, body)
            result, text = parse_date_prefix(rest, today=today)
            if isinstance(result, Invalid):
                raise Refusal(date_error_text(result.code))
            if isinstance(result, AmbiguousDate):
                raise Refusal(
                    N_("Which date do you mean: {candidates}? Write it as year-month-day."),
                    candidates=" / ".join(day.isoformat() for day in result.candidates),
                )
            entry, item = service.record_action(
                session,
                body=body,
                role=role,
                owner=owner,
                due_on=result.day,
                text=text,
                source_message_id=message.message_id,
                now=svc.now(),
                today=today,
            )
            answer = _("✍ Action item for {owner}, due {due} (line #{id}).").format(
                owner=esc(person_name(owner)), due=item.due_on.isoformat(), id=entry.id
            )
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, answer)


# --- corrections -------------------------------------------------------------------------------


def _entry_of_reply(session: Session, body: Body, message: Message, bot_id: int) -> int | None:
    replied = message.reply_to_message
    if replied is None:
        return None
    if replied.from_user is not None and replied.from_user.id == bot_id:
        # Our own acknowledgement: it names the line; user text never reaches that message.
        found = _LINE_REF.findall(replied.text or "")
        return int(found[-1]) if found else None
    meeting_ids = [
        m
        for m in session.exec(select(Meeting.id).where(Meeting.body_id == body.id)).all()
        if m is not None
    ]
    entry = repo.entry_by_source(session, meeting_ids, replied.message_id)
    return entry.id if entry is not None else None


async def _correct(update: Update, context: Context, *, strike: bool) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    new_text = None if strike else command_args(context)
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            entry_id = _entry_of_reply(session, body, message, context.bot.id)
            today = _today(context, session, body)
        if entry_id is None:
            raise Refusal(
                N_(
                    "Reply to the recorded line (or to my acknowledgement of it) with /andra new text, or /stryk to strike it."
                )
            )
        if new_text is not None and not new_text.strip():
            raise Refusal(N_("Write the corrected text after /andra."))
        service.correct_entry(
            svc.session_factory,
            body=body,
            role=role,
            entry_id=entry_id,
            new_text=new_text,
            now=svc.now(),
            today=today,
        )
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    if strike:
        await reply(update, _("Line #{id} struck.").format(id=entry_id))
    else:
        await _ack(update, context, _("✍ Line #{id} corrected.").format(id=entry_id))


async def edit_line(update: Update, context: Context) -> None:
    await _correct(update, context, strike=False)


async def strike_line(update: Update, context: Context) -> None:
    await _correct(update, context, strike=True)


# --- closing and justering -----------------------------------------------------------------------


def _file_stem(record: ProtokollRecord, p: doc.Protokoll) -> str:
    stem = "protokoll-" + re.sub(r"[^A-Za-z0-9]+", "-", p.meeting_number).strip("-")
    if record.status != "final":
        stem += f"-utkast-v{record.version}"
    elif record.amendment_of_id is not None:
        stem += f"-v{record.version}"
    return stem.encode("ascii", "replace").decode().replace("?", "x")


def _justering_keyboard(record: ProtokollRecord) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Justera"), callback_data=f"{JUSTERING}:{record.id}:a"),
                InlineKeyboardButton(
                    _("Request a change"), callback_data=f"{JUSTERING}:{record.id}:c"
                ),
            ]
        ]
    )


async def _post_protokoll(
    context: Context,
    chat_id: int,
    thread_id: int | None,
    record: ProtokollRecord,
    lang: str,
    *,
    with_buttons: bool,
) -> None:
    """The protokoll as chat messages, PDF and DOCX (drafts), then the justering buttons."""
    p = service.model_of(record.content)
    for chunk in protokoll_view.to_telegram_html(p, lang):
        await context.bot.send_message(chat_id, chunk, message_thread_id=thread_id)
    stem = _file_stem(record, p)
    await context.bot.send_document(
        chat_id,
        document=InputFile(protokoll_view.to_pdf(p, lang), filename=f"{stem}.pdf"),
        message_thread_id=thread_id,
    )
    if record.status != "final":
        await context.bot.send_document(
            chat_id,
            document=InputFile(protokoll_view.to_docx(p, lang), filename=f"{stem}.docx"),
            message_thread_id=thread_id,
        )
    if with_buttons:
        text = _(
            "Draft version {version} of the minutes {label}. The chair and the justerare: approve with Justera, or request a change."
        ).format(version=record.version, label=esc(p.meeting_number))
        await context.bot.send_message(
            chat_id, text, message_thread_id=thread_id, reply_markup=_justering_keyboard(record)
        )


async def end_meeting(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    choose: tuple[str, InlineKeyboardMarkup | None] | None = None
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            open_meeting = service.open_meeting_of(session, body)
            if service.may_lead(role, open_meeting) and not open_meeting.justerare_person_ids:
                # No justerare yet: offer the present members as buttons, and close nothing.
                choose = _justerare_view(
                    session, body, open_meeting, _today(context, session, body)
                )
            else:
                meeting = service.end_meeting(session, body=body, role=role, now=svc.now())
                record = justering.create_draft(
                    session, meeting=meeting, names=_names(partnership), now=svc.now()
                )
                lang = _doc_language(partnership)
                thread = _thread(message, body)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    if choose is not None:
        text, keys = choose
        await reply(update, _("Choose the justerare before closing the meeting."))
        await reply(update, text, reply_markup=keys)
        return
    await reply(update, _("The meeting is closed. Here is the draft of the minutes."))
    await _post_protokoll(context, chat.id, thread, record, lang, with_buttons=True)


async def regenerate(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            _meeting, record = justering.regenerate(
                session, body=body, role=role, names=_names(partnership), now=svc.now()
            )
            lang = _doc_language(partnership)
            thread = _thread(message, body)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await _post_protokoll(context, chat.id, thread, record, lang, with_buttons=True)


async def amend(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            lang = _doc_language(partnership)
            with language(lang):
                title = _("Amendment")
            _meeting, record = justering.amend(
                session,
                body=body,
                role=role,
                text=command_args(context),
                title=title,
                now=svc.now(),
            )
            thread = _thread(message, body)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await _post_protokoll(context, chat.id, thread, record, lang, with_buttons=True)


_ROLE_LABELS = {justering.CHAIR: N_("chair"), justering.JUSTERARE: N_("justerare")}


async def justering_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    parts = query.data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in ("a", "c"):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    svc = context.runtime
    approve = parts[2] == "a"
    admin = await is_chat_admin(update, context)
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            outcome = justering.justera(
                session,
                body=body,
                role=role,
                protokoll_id=int(parts[1]),
                approve=approve,
                now=svc.now(),
            )
            assert role.person is not None
            who = esc(person_name(role.person))
            lang = _doc_language(partnership)
            thread = _thread(query.message if isinstance(query.message, Message) else None, body)
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    record = outcome.record
    if not approve:
        await query.answer()
        await context.bot.send_message(
            chat.id,
            _(
                "{name} requests a change. Write the reason as a reply to this message, or with /andring reason."
            ).format(name=who),
            message_thread_id=thread,
        )
        return
    if not outcome.locked:
        waiting = ", ".join(_(_ROLE_LABELS[w]) for w in outcome.waiting)
        await query.answer(_("Approved. Waiting for: {roles}.").format(roles=waiting))
        await context.bot.send_message(
            chat.id,
            _("✓ {name} approved version {version}.").format(name=who, version=record.version),
            message_thread_id=thread,
        )
        return
    await query.answer(_("Approved. The minutes are now locked."))
    await _edit(
        query,
        _("The minutes {label} are approved and locked.").format(
            label=esc(service.model_of(record.content).meeting_number)
        ),
        None,
    )
    await context.bot.send_message(
        chat.id,
        _("<b>Approved minutes</b>, checksum (SHA-256): <code>{hash}</code>").format(
            hash=esc(record.content_hash)
        ),
        message_thread_id=thread,
    )
    p = service.model_of(record.content)
    await context.bot.send_document(
        chat.id,
        document=InputFile(protokoll_view.to_pdf(p, lang), filename=f"{_file_stem(record, p)}.pdf"),
        message_thread_id=thread,
    )


async def change_reason(update: Update, context: Context) -> None:
    """/andring <reason>: the reason for a requested change."""
    chat = update.effective_chat
    if chat is None:
        return
    reason = command_args(context)
    svc = context.runtime
    admin = await is_chat_admin(update, context)
    try:
        if not reason:
            raise Refusal(N_("Write the reason after the command: /andring what should change."))
        with transaction(svc.session_factory) as session:
            body, _partnership = linked_body_and_partnership(session, chat.id)
            role = _role(update, context, session, body, admin)
            row = justering.give_reason(session, body=body, role=role, reason=reason, now=svc.now())
            if row is None:
                raise Refusal(N_("Only the chair and the justerare can approve these minutes."))
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, _reason_noted())


def _reason_noted() -> str:
    return _(
        "The request for a change is noted. The author or the chair corrects lines with /andra or /stryk (as a reply to the line); the chair then makes a new draft with /utkast."
    )


async def reason_reply(update: Update, context: Context) -> None:
    """A plain reply to the bot from someone who asked for a change and gave no reason yet."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or not message.text:
        return
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    user = acting_user(update)
    if user is None:
        return
    svc = context.runtime
    with transaction(svc.session_factory) as session:
        body = bodies.get_body_by_chat(session, chat.id)
        if body is None:
            return
        role = role_in_body(
            session, body, user.id, _today(context, session, body), is_chat_admin=False
        )
        if not justering.awaiting_reason(session, body, role):
            return
        justering.give_reason(session, body=body, role=role, reason=message.text, now=svc.now())
    await reply(update, _reason_noted())


def pending_minutes_titles(session: Session, body: Body) -> Sequence[str]:
    """For the agenda: "SG 2026:3" for each closed meeting whose minutes are not approved."""
    assert body.id is not None
    return [service.meeting_label(body, m) for m in service.pending_minutes(session, body.id)]


__all__ = [
    "CALLBACK_PATTERN",
    "action",
    "amend",
    "attendance",
    "attendance_button",
    "change_reason",
    "decision",
    "edit_line",
    "end_meeting",
    "justerare_button",
    "justering_button",
    "next_item",
    "note",
    "pending_minutes_titles",
    "reason_reply",
    "regenerate",
    "start_meeting",
    "strike_line",
]
