"""Data protection in chat: /export (administrator, delivered in private only), /exportlogg,
/mina_uppgifter (the right of access, in private), /integritet (the privacy notice) and
/glomma_mig (erasure, confirmed by the person)."""

from __future__ import annotations

import logging

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import Forbidden

import handlers.start as start
from governance.textsplit import split_html
from handlers.common import wake_dispatcher
from handlers.context import caches as update_caches
from handlers.wrapper import Act, in_chat
from i18n import N_, _
from services import privacy
from services.errors import Refusal
from storage import people
from storage.models import Partnership, Person
from views import links
from views import privacy as view
from views import protokoll as protokoll_view

log = logging.getLogger(__name__)

ERASE = "fm"


def _person(act: Act, anonymous: str) -> Person:
    """The sender's person row (remembered by the pre-handler); refused for an anonymous admin."""
    user = act.user
    if user is None:
        raise Refusal(anonymous)
    person = people.get_person_by_telegram_id(act.session, user.id)
    if person is None:
        raise Refusal(N_("Write to me once more, please: I did not catch who you are."))
    return person


def _link(act: Act, what: str) -> str | None:
    """The deep link that opens the private chat with `/start priv_<what>` (`_open_private`)."""
    return links.start_url(f"{view.START_PREFIX}_{what}", act.context.bot.username)


def _private(act: Act) -> bool:
    return act.chat.type == Chat.PRIVATE


# --- /export -----------------------------------------------------------------------------------


@in_chat()
def export(act: Act) -> None:
    person = _person(act, N_("Write /export from your own account, not anonymously."))
    user = act.user
    targets = privacy.export_targets(
        act.session,
        chat_id=act.chat.id,
        telegram_user_id=user.id if user else None,
        diarienummer=act.args,
    )
    if len(targets) > 1:
        act.reply(*view.choose_partnership(targets))
        return
    _export(act, person, targets[0])


@in_chat(data=rf"{view.CHOOSE}:(\d+)")
def export_chosen(act: Act) -> None:
    person = _person(act, N_("Write /export from your own account, not anonymously."))
    partnership = act.session.get(Partnership, int(act.data[0]))
    if partnership is None:
        raise Refusal(N_("This button is no longer valid."))
    act.answer()
    act.edit(view.export_chosen(partnership))
    _export(act, person, partnership)


def _export(act: Act, person: Person, partnership: Partnership) -> None:
    """Recorded whatever happens next; the ZIP goes to the administrator's private chat only
    (through the outbox), never to the chat where it was asked for."""
    in_group = not _private(act)
    record = privacy.request_export(
        act.session, partnership=partnership, person=person, in_group=in_group, now=act.now
    )
    queued = record.status == privacy.EXPORT_QUEUED and privacy.queue_export(
        act.session, record, protokoll_view.to_pdf, caption=view.export_caption(), now=act.now
    )
    if in_group:
        link = None if queued else _link(act, view.START_EXPORT)
        act.reply(view.export_group_note(can_send_now=queued), view.private_chat_keyboard(link))


def _release_exports(act: Act) -> None:
    """/start priv_export: the exports asked for in a group before the private chat existed."""
    person = _person(act, N_("Write /export from your own account, not anonymously."))
    resumed = privacy.resume_private_chat(act.session, person, now=act.now)
    released = privacy.release_waiting_exports(act.session, person)
    for record in released:
        privacy.queue_export(
            act.session, record, protokoll_view.to_pdf, caption=view.export_caption(), now=act.now
        )
    if resumed:
        act.then(lambda: wake_dispatcher(act.context))
    if released or resumed:
        act.reply(view.export_private_note(len(released) or 1))
    else:
        act.reply(view.no_export_waiting())


@in_chat()
def export_log(act: Act) -> None:
    if not _private(act):
        act.reply(view.export_log_only_in_private())
        return
    user = act.user
    if user is None:
        raise Refusal(N_("Only the partnership's administrator can see its exports."))
    listings = privacy.export_log(act.session, user.id)
    act.reply(view.export_log_text(listings, act.runtime.settings.zone))


# --- /mina_uppgifter ------------------------------------------------------------------------


@in_chat()
def my_data(act: Act) -> None:
    person = _person(act, N_("Write /mina_uppgifter from your own account, not anonymously."))
    if _private(act):
        _send_my_data(act, person, act.chat.id)
        return
    # Never in a group: sent to the private chat when there is one, else a button to open it.
    link = _link(act, view.START_MYDATA)
    if person.private_chat_id is None:
        act.reply(view.access_only_in_private(), view.private_chat_keyboard(link))
        return
    data = privacy.personal_data(act.session, person, today=act.runtime.today())
    summary, payload = view.access_summary(data), data.to_json()
    chat_id = person.private_chat_id

    async def send() -> None:
        try:
            await _deliver_my_data(act, chat_id, summary, payload)
        except Forbidden:  # the person blocked the bot or never opened the chat
            await act.context.bot.send_message(
                act.chat.id,
                view.access_only_in_private(),
                reply_markup=view.private_chat_keyboard(link),
                message_thread_id=_thread(act),
            )
            return
        await act.context.bot.send_message(
            act.chat.id, view.access_sent_privately(), message_thread_id=_thread(act)
        )

    act.then(send)


def _thread(act: Act) -> int | None:
    message = act.message
    return message.message_thread_id if message is not None and message.is_topic_message else None


def _send_my_data(act: Act, person: Person, chat_id: int) -> None:
    data = privacy.personal_data(act.session, person, today=act.runtime.today())
    summary, payload = view.access_summary(data), data.to_json()
    act.then(lambda: _deliver_my_data(act, chat_id, summary, payload))


async def _deliver_my_data(act: Act, chat_id: int, summary: str, payload: bytes) -> None:
    """A reply to the person who asked, in their private chat: not a recorded fact."""
    for chunk in split_html(summary):
        await act.context.bot.send_message(chat_id, chunk)
    await act.context.bot.send_document(
        chat_id, document=InputFile(payload, filename=view.access_filename())
    )


def _open_my_data(act: Act) -> None:
    """/start priv_mydata."""
    person = _person(act, N_("Write /mina_uppgifter from your own account, not anonymously."))
    _send_my_data(act, person, act.chat.id)


# --- /integritet --------------------------------------------------------------------------------


@in_chat()
def privacy_notice(act: Act) -> None:
    user = act.user
    notices = privacy.notices_for(
        act.session, chat_id=act.chat.id, telegram_user_id=user.id if user else 0
    )
    act.reply(view.notice_text(notices))


def notice_on_registration(act: Act, person: Person, partnership: Partnership) -> str | None:
    """Shown once, when a person first says which party they represent (/jag): the whole
    notice in private where the bot may write to them; else its short form, returned for the
    group's answer to carry."""
    notice = privacy.notice_on_first_registration(act.session, person, partnership, now=act.now)
    if notice is None:
        return None
    short = view.first_registration_text(notice)
    chat_id = person.private_chat_id
    if chat_id is None:
        return short
    full = view.notice_text([notice])

    async def send() -> None:
        try:
            for chunk in split_html(full):
                await act.context.bot.send_message(chat_id, chunk)
        except Forbidden:
            await act.context.bot.send_message(act.chat.id, short, message_thread_id=_thread(act))

    act.then(send)
    return None


# --- /glomma_mig --------------------------------------------------------------------------------


@in_chat()
def forget_me(act: Act) -> None:
    user = act.user
    if user is None:
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Yes, erase my data"), callback_data=f"{ERASE}:{user.id}")]]
    )
    act.reply(view.erase_question(), keyboard)


@in_chat(data=rf"{ERASE}:(-?\d+)")
def confirm_forget(act: Act) -> None:
    query = act.query
    assert query is not None
    if int(act.data[0]) != query.from_user.id:
        # Only the person themselves can erase their data.
        raise Refusal(N_("Only the person who asked can confirm this."))
    privacy.forget(act.session, query.from_user.id, now=act.now)
    user_id = query.from_user.id

    async def forget_cached() -> None:
        # Written again as a new person if they write again, not taken as already stored.
        update_caches(act.context).forget_sender(user_id)

    act.then(forget_cached)
    act.answer()
    act.edit(view.erased())


# --- deep links into the private chat ----------------------------------------------------------


def _open_private(act: Act, rest: str) -> None:
    if rest == view.START_EXPORT:
        _release_exports(act)
    elif rest == view.START_MYDATA:
        _open_my_data(act)
    else:
        raise Refusal(N_("This link is no longer valid."))


start.on_start(view.START_PREFIX)(_open_private)

__all__ = [
    "confirm_forget",
    "export",
    "export_chosen",
    "export_log",
    "forget_me",
    "my_data",
    "notice_on_registration",
    "privacy_notice",
]
