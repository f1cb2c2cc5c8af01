"""/bilaga <punkt> (en /attach): a document onto an agenda item, as a reply to the document or
as the caption of a document sent in reply to the kallelse; the item chosen with buttons when
no number is given; the chair's remove button. The kallelse, edited through the outbox, lists
the documents under their items.

Callback data: `ab:<meeting>:<item>` (the item chosen; the question replies to the document),
`ax:<attachment>` (remove).
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Message
from telegram.error import TelegramError

from handlers.bot_context import BotContext
from handlers.meetings import queue_panel_edit
from handlers.wrapper import BodyAct, in_body
from i18n import N_
from services import attachments as service
from services.errors import Refusal
from storage.db import transaction
from storage.models import MeetingStatus
from views import attachments as view

log = logging.getLogger(__name__)
_CAPTION_COMMAND = re.compile(r"^/(?:bilaga|attach)(?:@\w+)?(?:\s+(.*))?$", re.IGNORECASE | re.S)
CAPTION_PATTERN = r"^/(bilaga|attach)(@\w+)?(\s|$)"


def file_of(message: Message | None) -> service.FileInfo | None:
    """The document (or photo) a message carries, as the service needs it."""
    if message is None:
        return None
    document = message.document
    if document is not None:
        return service.FileInfo(
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
            file_name=document.file_name or "bilaga",
            mime_type=document.mime_type,
            size=document.file_size,
            caption=message.caption,
            message_id=message.message_id,
        )
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return service.FileInfo(
            file_id=photo.file_id,
            file_unique_id=photo.file_unique_id,
            file_name=f"bild-{message.message_id}.jpg",
            mime_type="image/jpeg",
            size=photo.file_size,
            caption=message.caption,
            message_id=message.message_id,
        )
    return None


def _attach(
    act: BodyAct, document: Message, info: service.FileInfo, ref: str, replied: int | None
) -> None:
    meeting = service.target_meeting(act.session, act.body, replied_message_id=replied, now=act.now)
    assert meeting.id is not None
    if not ref.strip():
        text, keyboard = view.which_item(meeting.id, service.choices(act.session, meeting))
        # The question answers the document itself, so a press finds the file again.
        act.then(lambda: document.reply_text(text, reply_markup=keyboard, do_quote=True))
        return
    found = service.attach(
        act.session,
        body=act.body,
        role=act.role,
        meeting_id=meeting.id,
        item_ref=ref,
        item_id=None,
        info=info,
        now=act.now,
    )
    act.reply(*view.attached(found))
    _follow(act, found.meeting)
    _keep(act, found)


def _keep(act: BodyAct, found: service.Attached) -> None:
    """After the commit: the file fetched from Telegram (getFile) and kept for the export."""
    attachment_id, file_id = found.attachment.id, found.attachment.file_id
    assert attachment_id is not None
    act.then(lambda: keep_bytes(act.context, attachment_id, file_id))


async def keep_bytes(context: BotContext, attachment_id: int, file_id: str) -> None:
    try:
        found = await context.bot.get_file(file_id)
        data = bytes(await found.download_as_bytearray())
    except TelegramError as exc:
        # The export names it as missing; the attachment itself stands.
        log.warning("document %s not fetched: %s", attachment_id, type(exc).__name__)
        return
    svc = context.runtime

    def store() -> None:
        with transaction(svc.session_factory) as session:
            service.keep_bytes(session, attachment_id, data, now=svc.now())

    await asyncio.to_thread(store)


def _follow(act: BodyAct, meeting) -> None:  # type: ignore[no-untyped-def]
    if meeting.status == MeetingStatus.PUBLISHED and meeting.id is not None:
        queue_panel_edit(act.session, meeting.id, act.now)


@in_body()
def attach_command(act: BodyAct) -> None:
    """/bilaga 5 written as a reply to a document, or as a document's caption."""
    act.require_person(N_("Attach documents from your own account, so the others know who did."))
    message = act.message
    assert message is not None
    own = file_of(message)
    if own is not None:  # the caption of a document (sent in reply to the kallelse)
        found = _CAPTION_COMMAND.match(message.caption or "")
        ref = (found.group(1) or "") if found else ""
        replied = message.reply_to_message
        _attach(act, message, own, ref, replied.message_id if replied else None)
        return
    replied_message = message.reply_to_message
    info = file_of(replied_message)
    if info is None or replied_message is None:
        raise Refusal(view.HOW_TO)
    _attach(act, replied_message, info, act.args, None)


@in_body(data=rf"{view.CHOOSE}:(\d{{1,12}}):(\d{{1,12}})")
def choose_item(act: BodyAct) -> None:
    query = act.query
    question = query.message if query is not None else None
    document = question.reply_to_message if isinstance(question, Message) else None
    info = file_of(document)
    if info is None:
        raise Refusal(N_("This button is no longer valid."))
    found = service.attach(
        act.session,
        body=act.body,
        role=act.role,
        meeting_id=int(act.data[0]),
        item_ref=None,
        item_id=int(act.data[1]),
        info=info,
        now=act.now,
    )
    act.answer()
    act.edit(*view.attached(found))
    _follow(act, found.meeting)
    _keep(act, found)


@in_body(data=rf"{view.REMOVE}:(\d{{1,12}})")
def remove_button(act: BodyAct) -> None:
    attachment, meeting = service.remove(
        act.session, body=act.body, role=act.role, attachment_id=int(act.data[0]), now=act.now
    )
    act.answer()
    act.edit(view.removed(attachment))
    _follow(act, meeting)
