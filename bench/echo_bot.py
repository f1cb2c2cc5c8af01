"""A bare PTB echo bot: the baseline of the interactive benchmarks.

Run as `python bench/echo_bot.py` with TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL set. It
answers every text message with its text (a reply in the chat) and every button press with an
answer, through PTB's default Application (long polling, one update at a time), no database.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text, do_quote=False)


async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer("ok")


def main() -> None:
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(answer))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
