"""Closing the meeting and the justering of its minutes: /motesslut, /utkast, /tillagg, the
Justera / Request a change buttons, /andring and a plain reply giving the reason.

The two sends that carry a recorded fact are `send_protokoll_files` (the draft or amendment in
chat, PDF, DOCX and the justering buttons) and `send_final_protokoll` (the locked minutes).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Chat, InputFile

from handlers.bot_context import BotContext
from handlers.wrapper import Act, BodyAct, in_body, in_chat
from i18n import N_
from services import justering, sitting
from services import minutes as service
from services.chats import body_of_chat
from services.errors import Refusal
from services.roles import role_in_body
from storage.models import ProtokollRecord
from views import justering as view
from views import minutes as minutes_view
from views import protokoll as protokoll_view
from views.common import person_name


async def send_protokoll_files(
    context: BotContext,
    chat_id: int,
    thread_id: int | None,
    record: ProtokollRecord,
    lang: str,
) -> None:
    """The protokoll as chat messages, PDF and DOCX (drafts), then the justering buttons."""
    bot = context.bot
    p = service.model_of(record.content)
    for chunk in protokoll_view.to_telegram_html(p, lang):
        await bot.send_message(chat_id, chunk, message_thread_id=thread_id)
    stem = view.file_stem(record, p)
    await bot.send_document(
        chat_id,
        document=InputFile(protokoll_view.to_pdf(p, lang), filename=f"{stem}.pdf"),
        message_thread_id=thread_id,
    )
    if record.status != "final":
        await bot.send_document(
            chat_id,
            document=InputFile(protokoll_view.to_docx(p, lang), filename=f"{stem}.docx"),
            message_thread_id=thread_id,
        )
    text, keyboard = view.draft_for_justering(record, p)
    await bot.send_message(chat_id, text, message_thread_id=thread_id, reply_markup=keyboard)


async def send_final_protokoll(
    context: BotContext, chat_id: int, thread_id: int | None, record: ProtokollRecord, lang: str
) -> None:
    """The locked minutes: their checksum, then the final PDF."""
    p = service.model_of(record.content)
    await context.bot.send_message(
        chat_id, view.final_checksum(record), message_thread_id=thread_id
    )
    await context.bot.send_document(
        chat_id,
        document=InputFile(
            protokoll_view.to_pdf(p, lang), filename=f"{view.file_stem(record, p)}.pdf"
        ),
        message_thread_id=thread_id,
    )


def _post(act: BodyAct, record: ProtokollRecord) -> None:
    lang, thread = minutes_view.doc_language(act.partnership), act.thread
    act.then(lambda: send_protokoll_files(act.context, act.chat.id, thread, record, lang))


@in_body(admin=True)
def end_meeting(act: BodyAct) -> None:
    act.require_person()
    closing = sitting.close_sitting(
        act.session,
        body=act.body,
        role=act.role,
        names=minutes_view.names_for(act.partnership),
        now=act.now,
        today=act.today,
    )
    if closing.record is None:
        # No justerare yet: the present members as buttons, and nothing closed.
        assert closing.choice is not None
        act.reply(view.choose_justerare_first())
        act.reply(*minutes_view.justerare_panel(closing.choice))
        return
    act.reply(view.closed())
    _post(act, closing.record)


@in_body(admin=True)
def regenerate(act: BodyAct) -> None:
    act.require_person()
    _meeting, record = justering.regenerate(
        act.session,
        body=act.body,
        role=act.role,
        names=minutes_view.names_for(act.partnership),
        now=act.now,
    )
    _post(act, record)


@in_body(admin=True)
def amend(act: BodyAct) -> None:
    act.require_person()
    _meeting, record = justering.amend(
        act.session,
        body=act.body,
        role=act.role,
        text=act.args,
        title=view.amendment_title(act.partnership),
        now=act.now,
    )
    _post(act, record)


@in_body(admin=True, data=rf"{view.JUSTERING}:(\d+):([ac])")
def justering_button(act: BodyAct) -> None:
    act.require_person()
    approve = act.data[1] == "a"
    outcome = justering.justera(
        act.session,
        body=act.body,
        role=act.role,
        protokoll_id=int(act.data[0]),
        approve=approve,
        now=act.now,
    )
    assert act.role.person is not None
    who, record, thread = person_name(act.role.person), outcome.record, act.thread
    if not approve:
        act.answer()
        act.send(view.change_requested(who), thread=thread)
    elif not outcome.locked:
        act.answer(view.approved_waiting(outcome.waiting))
        act.send(view.approved_by(who, record.version), thread=thread)
    else:
        act.answer(view.locked_toast())
        act.edit(view.locked(service.model_of(record.content)))
        lang = minutes_view.doc_language(act.partnership)
        act.then(lambda: send_final_protokoll(act.context, act.chat.id, thread, record, lang))


@in_body(admin=True)
def change_reason(act: BodyAct) -> None:
    """/andring <reason>: the reason for a requested change."""
    reason = act.args
    if not reason:
        raise Refusal(N_("Write the reason after the command: /andring what should change."))
    act.require_person()
    row = justering.give_reason(
        act.session, body=act.body, role=act.role, reason=reason, now=act.now
    )
    if row is None:
        raise Refusal(N_("Only the chair and the justerare can approve these minutes."))
    act.reply(view.reason_noted())


@in_chat()
def reason_reply(act: Act) -> None:
    """A plain reply to the bot from someone who asked for a change and gave no reason yet."""
    message, user = act.message, act.user
    if message is None or not message.text or user is None or act.chat.type == Chat.PRIVATE:
        return
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != act.context.bot.id:
        return
    found = body_of_chat(act.session, act.chat.id)
    if found is None:
        return
    body, partnership = found
    today = act.runtime.today(ZoneInfo(partnership.timezone))
    role = role_in_body(act.session, body, user.id, today, is_chat_admin=False)
    if justering.reason_from_reply(
        act.session, body=body, role=role, text=message.text, now=act.now
    ):
        act.reply(view.reason_noted())
