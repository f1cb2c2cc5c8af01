"""Closing the meeting and the justering of its minutes: /motesslut, /utkast, /tillagg, the
Justera / Request a change buttons, /andring and a plain reply giving the reason.

The two posts that carry a recorded fact go through the durable outbox, queued in the
transaction that records the version: `queue_protokoll` (the draft or amendment in chat, PDF,
DOCX and the justering buttons, built when sent) and `queue_final_protokoll` (the locked
minutes, whose PDF is stored as sent).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Chat

import handlers.panel_refresh as panel_refresh
from delivery import outbox
from handlers.meetings import queue_panel_edit, queue_unpin_kallelse
from handlers.wrapper import Act, BodyAct, in_body, in_chat
from i18n import N_, language
from services import extracts, immediate, justering, sitting
from services import meetings as meeting_service
from services import minutes as service
from services.chats import body_of_chat
from services.errors import Refusal
from services.roles import role_in_body
from storage.models import ProtokollRecord
from views import justering as view
from views import (
    justering_reminders,  # noqa: F401  (importing it registers the reminder renderer)
    protokoll_outbox,
)
from views import minutes as minutes_view
from views.common import person_name


def queue_protokoll(act: BodyAct, record: ProtokollRecord) -> None:
    """A version's post (in chat, PDF, DOCX, the justering buttons), queued in the transaction
    that records the version; its files are built when it is sent."""
    p = service.model_of(record.content)
    lang = minutes_view.doc_language(act.partnership)
    outbox.enqueue(
        act.session,
        key=justering.post_key(act.session, record, act.now),
        kind=protokoll_outbox.DRAFT_KIND,
        chat_id=act.chat.id,
        thread_id=act.thread,
        partnership_id=act.partnership.id,
        payload=protokoll_outbox.draft_payload(record, p, lang),
        language=lang,
        now=act.now,
    )


def queue_final_protokoll(act: BodyAct, record: ProtokollRecord) -> None:
    """The locked minutes, queued in the locking transaction: the checksum, then the final PDF,
    rendered now and stored, so the bytes sent are the bytes archived
    (`outbox.files_of(session, justering.final_key(id))`); then the final DOCX (its own row,
    so the archive keeps the one PDF)."""
    assert record.id is not None
    p = service.model_of(record.content)
    lang = minutes_view.doc_language(act.partnership)
    for key, parts in (
        (justering.final_key(record.id), protokoll_outbox.final_parts(record, p, lang)),
        (f"{justering.final_key(record.id)}:docx", protokoll_outbox.final_docx(record, p, lang)),
    ):
        outbox.send(
            act.session,
            key=key,
            chat_id=act.chat.id,
            thread_id=act.thread,
            partnership_id=act.partnership.id,
            parts=parts,
            now=act.now,
        )


def queue_extract(act: BodyAct, found: extracts.Extract) -> None:
    """The extract of one paragraph in this chat, rendered when sent."""
    record = found.record
    lang = minutes_view.doc_language(act.partnership)
    outbox.enqueue(
        act.session,
        key=f"utdrag:{record.id}:{found.number}:{act.update.update_id}",
        kind=protokoll_outbox.EXTRACT_KIND,
        chat_id=act.chat.id,
        thread_id=act.thread,
        partnership_id=act.partnership.id,
        payload=protokoll_outbox.extract_payload(record, found.protokoll, found.number, lang),
        language=lang,
        now=act.now,
    )


def queue_revision_extracts(act: BodyAct, record: ProtokollRecord) -> None:
    """At locking: each decision revising a party's commitments, as an extract sent privately
    to that party's members who have started the bot (once per person and paragraph)."""
    p = service.model_of(record.content)
    lang = minutes_view.doc_language(act.partnership)
    for to in extracts.revision_recipients(act.session, record):
        with language(lang):
            note = view.revision_note(p, to.number, to.decision, to.party.name)
        outbox.enqueue(
            act.session,
            key=f"utdrag:{record.id}:{to.number}:to:{to.person.id}",
            kind=protokoll_outbox.EXTRACT_KIND,
            chat_id=to.chat_id,
            thread_id=None,
            partnership_id=act.partnership.id,
            payload=protokoll_outbox.extract_payload(record, p, to.number, lang, note),
            language=lang,
            now=act.now,
        )


@in_body()
def extract(act: BodyAct) -> None:
    """/utdrag [§ or decision number]: the extract of one paragraph of approved minutes; the
    paragraphs offered as buttons when none (or none found) is named."""
    found = extracts.find_extract(act.session, act.body, act.args)
    if isinstance(found, extracts.Choice):
        act.reply(*view.choose_paragraph(found.record, found.protokoll))
        return
    queue_extract(act, found)


@in_body(data=rf"{view.EXTRACT}:(\d+):(\d+)")
def extract_button(act: BodyAct) -> None:
    found = extracts.extract_of(act.session, act.body, int(act.data[0]), int(act.data[1]))
    act.answer(view.extract_queued())
    queue_extract(act, found)


@in_body(admin=True, data=rf"{view.IMMEDIATE}:(\d+)")
def immediate_button(act: BodyAct) -> None:
    """The chair's or a justerare's approval of a paragraph at once; at the last one the
    paragraph is locked and posted as an extract."""
    act.require_person()
    outcome = immediate.approve(
        act.session,
        body=act.body,
        role=act.role,
        immediate_id=int(act.data[0]),
        names=minutes_view.names_for(act.partnership),
        now=act.now,
    )
    if not outcome.locked or outcome.protokoll is None:
        act.answer(view.approved_waiting(outcome.waiting))
        return
    p, row = outcome.protokoll, outcome.row
    assert row.number is not None and row.content is not None
    label = p.items[0].decisions[0].number if p.items[0].decisions else ""
    act.answer(view.locked_toast())
    act.edit(view.immediate_locked(row.number, label))
    lang = minutes_view.doc_language(act.partnership)
    with language(lang):
        caption = view.immediate_caption(p, row.number)
    outbox.enqueue(
        act.session,
        key=f"omedelbar:{row.id}",
        kind=protokoll_outbox.EXTRACT_KIND,
        chat_id=act.chat.id,
        thread_id=act.thread,
        partnership_id=act.partnership.id,
        payload=protokoll_outbox.extract_payload_of(
            row.content, p, row.number, lang, None, caption
        ),
        language=lang,
        now=act.now,
    )


def _announce(act: BodyAct, record: ProtokollRecord, text: str) -> None:
    """A verdict told to the chat, queued with it (one per pressed button, however often the
    update is seen)."""
    outbox.send(
        act.session,
        key=f"protokoll:{record.id}:verdict:{act.update.update_id}",
        chat_id=act.chat.id,
        thread_id=act.thread,
        partnership_id=act.partnership.id,
        parts=[text],
        now=act.now,
    )


@in_body(admin=True)
def end_meeting(act: BodyAct) -> None:
    close_meeting(act)


def close_meeting(act: BodyAct) -> None:
    """/motesslut, or the panel's "Close the meeting": the draft protokoll, and the panel
    closed and unpinned."""
    act.require_person()
    meeting_id = panel_refresh.open_meeting_id(act)
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
        if not closing.choice.absent:
            act.reply(view.choose_justerare_first())
        act.reply(*minutes_view.justerare_panel(closing.choice))
        return
    act.reply(view.closed())
    written = minutes_view.written_lines(closing.written)
    if written is not None:
        act.reply(written)
    queue_protokoll(act, closing.record)
    if meeting_id is not None:
        panel_refresh.close_after(act, meeting_id)
        queue_unpin_kallelse(act.session, meeting_id, act.now)


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
    queue_protokoll(act, record)


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
    queue_protokoll(act, record)


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
    who, record = person_name(act.role.person), outcome.record
    if not approve:
        act.answer()
        _announce(act, record, view.change_requested(who))
    elif not outcome.locked:
        act.answer(view.approved_waiting(outcome.waiting))
        _announce(act, record, view.approved_by(who, record.version))
    else:
        act.answer(view.locked_toast())
        act.edit(view.locked(service.model_of(record.content)))
        queue_final_protokoll(act, record)
        queue_revision_extracts(act, record)
        # The next kallelse, if published, states the previous protokoll as justerat now.
        following = meeting_service.next_meeting(act.session, act.body, act.now)
        if following is not None and following.id is not None and following.opened_at is None:
            queue_panel_edit(act.session, following.id, act.now)


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
