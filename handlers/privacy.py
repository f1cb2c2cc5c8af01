"""/export (administrator) and /glomma_mig (a member erases their personal data)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from handlers.wrapper import Act, in_chat
from i18n import N_, _
from services import privacy
from services.errors import Refusal
from views import protokoll as protokoll_view

ERASE = "fm"


@in_chat()
def export(act: Act) -> None:
    user = act.user
    data, filename = privacy.export_for(
        act.session,
        chat_id=act.chat.id,
        diarienummer=act.args,
        user_id=user.id if user else None,
        render_pdf=protokoll_view.to_pdf,
    )
    message = act.message
    thread = message.message_thread_id if message and message.is_topic_message else None
    caption = _("Everything stored about the partnership: JSON and the approved minutes as PDF.")
    act.then(
        lambda: act.context.bot.send_document(
            act.chat.id,
            document=InputFile(data, filename=filename),
            caption=caption,
            message_thread_id=thread,
        )
    )


@in_chat()
def forget_me(act: Act) -> None:
    user = act.user
    if user is None:
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Yes, erase my data"), callback_data=f"{ERASE}:{user.id}")]]
    )
    act.reply(
        _(
            "This erases your name, username and language, ends your memberships and stops "
            "private reminders. Approved minutes keep names as public records (they cannot be "
            "changed), and decisions and votes keep an anonymous reference. Press the button "
            "to confirm."
        ),
        keyboard,
    )


@in_chat(data=rf"{ERASE}:(-?\d+)")
def confirm_forget(act: Act) -> None:
    query = act.query
    assert query is not None
    if int(act.data[0]) != query.from_user.id:
        # Only the person themselves can erase their data.
        raise Refusal(N_("Only the person who asked can confirm this."))
    privacy.forget(act.session, query.from_user.id, now=act.now)
    act.answer()
    act.edit(_("Your personal data has been erased."))
