"""/export (administrator) and /glomma_mig (a member erases their personal data)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError

from handlers.common import Context, acting_user, command_args, refuse, reply, services
from i18n import N_, _
from services import privacy
from services.errors import Refusal
from storage import bodies, people
from storage.db import transaction
from views import protokoll as protokoll_view

ERASE = "fm"


async def export(update: Update, context: Context) -> None:
    chat, user = update.effective_chat, acting_user(update)
    if chat is None:
        return
    svc = services(context)
    with transaction(svc.session_factory) as session:
        partnership = None
        body = bodies.get_body_by_chat(session, chat.id)
        if body is not None:
            from storage.models import Partnership

            partnership = session.get(Partnership, body.partnership_id)
        elif command_args(context):
            partnership = bodies.get_partnership_by_diarienummer(session, command_args(context))
        if partnership is None or partnership.id is None:
            await reply(
                update, _("Write /export in a linked group, or /export <diarienummer> here.")
            )
            return
        if user is None or not people.is_administrator(session, partnership.id, user.id):
            await reply(update, _("Only the partnership's administrator can export it."))
            return
        data, filename = privacy.export_partnership(session, partnership, protokoll_view.to_pdf)
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    await context.bot.send_document(
        chat.id,
        document=InputFile(data, filename=filename),
        caption=_("Everything stored about the partnership: JSON and the approved minutes as PDF."),
        message_thread_id=thread,
    )


async def forget_me(update: Update, context: Context) -> None:
    user = acting_user(update)
    if user is None:
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Yes, erase my data"), callback_data=f"{ERASE}:{user.id}")]]
    )
    await reply(
        update,
        _(
            "This erases your name, username and language, ends your memberships and stops "
            "private reminders. Approved minutes keep names as public records (they cannot be "
            "changed), and decisions and votes keep an anonymous reference. Press the button "
            "to confirm."
        ),
        reply_markup=keyboard,
    )


async def confirm_forget(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    if query.data != f"{ERASE}:{query.from_user.id}":
        # Only the person themselves can erase their data.
        await query.answer(_("Only the person who asked can confirm this."), show_alert=True)
        return
    svc = services(context)
    try:
        with transaction(svc.session_factory) as session:
            person = people.get_person_by_telegram_id(session, query.from_user.id)
            if person is None:
                raise Refusal(N_("This request no longer exists."))
            privacy.erase_person(session, person, now=svc.now())
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await query.answer()
    try:
        await query.edit_message_text(_("Your personal data has been erased."))
    except TelegramError:
        pass
