"""All Telegram handlers, registered in one place in a commented order."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    TypeHandler,
    filters,
)


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    from handlers import (
        chats,
        commands,
        common,
        context,
        decisions,
        errors,
        justering,
        meeting_changes,
        meetings,
        members,
        menus,
        minutes,
    )

    # -4: the task handling updates is marked, so the rate limiter lets replies to the person who
    # just acted go before a reminder burst to the same chat; a reported status change forgets
    # the cached admin answer.
    application.add_handler(TypeHandler(Update, common.first_look), group=-4)
    # -3: an update id is handled once, even when Telegram delivers it again or several
    # webhook workers receive it.
    application.add_handler(TypeHandler(Update, context.handle_once), group=-3)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            context.forget_old_updates, interval=6 * 3600, first=60, name="forget-old-updates"
        )
    # -2: every update first records who sent it and picks their language.
    application.add_handler(TypeHandler(Update, context.remember_sender), group=-2)
    # -1: text that carries a personnummer stops here, before any handler can store it.
    application.add_handler(
        MessageHandler(filters.TEXT | filters.CAPTION, context.refuse_identity_numbers), group=-1
    )
    # 0: commands and buttons.
    commands.add_command_handlers(application, group=0)
    application.add_handler(CallbackQueryHandler(members.decide, pattern=r"^m[cr]:"), group=0)
    application.add_handler(CallbackQueryHandler(commands.help_button, pattern=r"^hj:"), group=0)
    application.add_handler(
        CallbackQueryHandler(members.appoint_chair_with_date, pattern=r"^cd:"), group=0
    )
    for pattern, callback in (
        (r"^rv:", meetings.rsvp_button),
        (r"^ma:", meetings.agenda_button),
        (r"^mp:", meetings.publish_button),
        (r"^mw:", meetings.choose_new_time),
        (r"^mf:", meeting_changes.choose_move_time),
        (r"^mx:", meeting_changes.cancel_button),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern), group=0)
    for pattern, button in (
        (r"^mj:", minutes.justerare_button),
        (r"^na:", minutes.attendance_button),
        (r"^js:", justering.justering_button),
        (r"^ux:", justering.extract_button),
        (r"^oj:", justering.immediate_button),
    ):
        application.add_handler(CallbackQueryHandler(button, pattern=pattern), group=0)
    # 2: a plain reply to the bot giving the reason for a requested change to the minutes (its
    # own group, so it never keeps another handler from seeing the message).
    application.add_handler(
        MessageHandler(
            filters.TEXT & filters.REPLY & ~filters.COMMAND & filters.ChatType.GROUPS,
            justering.reason_reply,
        ),
        group=2,
    )
    application.add_handler(CallbackQueryHandler(decisions.done_button, pattern=r"^ad:"), group=0)
    from handlers import agreement

    application.add_handler(CallbackQueryHandler(agreement.button, pattern=r"^ag:"), group=0)
    from handlers import deadlines

    for pattern, button in (
        (r"^tfk:", deadlines.done_button),
        (r"^tfo:", deadlines.show_older),
    ):
        application.add_handler(CallbackQueryHandler(button, pattern=pattern), group=0)
    from handlers import votes

    application.add_handler(CallbackQueryHandler(votes.vote_button, pattern=r"^vt:"), group=0)
    votes.install(application)
    from handlers import escalations

    application.add_handler(
        CallbackQueryHandler(escalations.escalation_button, pattern=r"^es:"), group=0
    )
    from handlers import attachments

    # Documents on agenda items: "/bilaga 5" as the caption of a document (or photo); as a
    # reply to one it is an ordinary command. The item chosen, and removed, with buttons.
    application.add_handler(
        MessageHandler(
            (filters.Document.ALL | filters.PHOTO)
            & filters.CaptionRegex(attachments.CAPTION_PATTERN)
            & filters.ChatType.GROUPS,
            attachments.attach_command,
        ),
        group=0,
    )
    for pattern, button in (
        (r"^ab:", attachments.choose_item),
        (r"^ax:", attachments.remove_button),
    ):
        application.add_handler(CallbackQueryHandler(button, pattern=pattern), group=0)
    from handlers import panel

    # The chair's meeting panel, and a question written as a reply to it (its own group, so it
    # never keeps another handler from seeing the message).
    application.add_handler(CallbackQueryHandler(panel.panel_button, pattern=r"^pn:"), group=0)
    application.add_handler(
        MessageHandler(
            filters.TEXT & filters.REPLY & ~filters.COMMAND & filters.ChatType.GROUPS,
            panel.question_reply,
        ),
        group=3,
    )
    from handlers import private

    # Answers given in the private chat (deep links, private reminders).
    application.add_handler(CallbackQueryHandler(private.rsvp, pattern=r"^pr:"), group=0)
    application.add_handler(CallbackQueryHandler(private.vote, pattern=r"^pv:"), group=0)
    from handlers import privacy

    application.add_handler(CallbackQueryHandler(privacy.confirm_forget, pattern=r"^fm:"), group=0)
    application.add_handler(CallbackQueryHandler(privacy.export_chosen, pattern=r"^ex:"), group=0)
    from handlers import reports

    for pattern, button in (
        (r"^rpf:", reports.form_button),
        (r"^rpo:", reports.open_button),
        (r"^rpu:", reports.refresh_button),
        (r"^rpc:", reports.compile_button),
        (r"^rps:", reports.send_on_button),
        (r"^rpe:", reports.financial_button),
    ):
        application.add_handler(CallbackQueryHandler(button, pattern=pattern), group=0)
    # 4: a typed answer in a private chat goes to the activity report's form when one is
    # active (its own group: other private features still see the message).
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, reports.form_text
        ),
        group=4,
    )
    # 1: what Telegram tells us about chats.
    application.add_handler(
        ChatMemberHandler(chats.bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER), group=1
    )
    application.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE, chats.chat_migrated), group=1
    )
    from handlers import departures

    # A member leaving (or removed from) a body's chat leaves the body.
    application.add_handler(
        ChatMemberHandler(departures.member_left, ChatMemberHandler.CHAT_MEMBER), group=1
    )
    application.add_handler(
        MessageHandler(filters.StatusUpdate.LEFT_CHAT_MEMBER, departures.member_left), group=1
    )
    # 10, last: an update no wrapped handler settled gets its claim written (the wrapper writes
    # it in the handler's own transaction: one transaction per update).
    application.add_handler(TypeHandler(Update, context.settle_update), group=10)
    application.add_error_handler(errors.on_error)
    # Menus follow role changes (their reactions register on import).
    assert menus.publish_all is not None
