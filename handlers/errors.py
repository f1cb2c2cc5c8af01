"""The one error handler: log without content, tell the user politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Conflict, Forbidden, NetworkError, RetryAfter, TimedOut

from handlers.bot_context import BotContext
from i18n import _

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if isinstance(error, Conflict):
        log.error(
            "Another bot process is already polling Telegram with this token (409 Conflict). "
            "Run one poller per token, or use webhook mode for several processes."
        )
        return
    if isinstance(error, (RetryAfter, TimedOut, Forbidden)) or (
        isinstance(error, NetworkError) and not isinstance(update, Update)
    ):
        log.warning("Telegram: %s", type(error).__name__)
        return
    log.error("unhandled %s while handling an update", type(error).__name__, exc_info=error)
    if isinstance(update, Update):
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(
                    _("Something went wrong. Nothing was changed; please try again."),
                    show_alert=True,
                )
            elif update.effective_chat is not None:
                await context.bot.send_message(
                    update.effective_chat.id,
                    _("Something went wrong. Nothing was changed; please try again."),
                    message_thread_id=(
                        update.effective_message.message_thread_id
                        if update.effective_message and update.effective_message.is_topic_message
                        else None
                    ),
                )
        except Exception:  # the error path itself must never raise
            log.warning("could not report an error to the chat")
