"""The typed `context` every handler and job receives (PTB's `ContextTypes`, as in its
`contexttypesbot.py` example): `context.runtime` is the database, clock and settings.

The composition root (`bot.app`) builds the Application with `CONTEXT_TYPES` and puts the
`Runtime` on `application.bot_data.runtime` once; nothing looks it up by a string key.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from storage.runtime import Runtime


class BotData(dict[str, Any]):
    """`context.bot_data`: still a dict (the dispatcher and the kallelse edit locks keep their
    own keys in it), with the `Runtime` as a typed attribute."""

    runtime: Runtime


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def runtime(self) -> Runtime:
        return self.bot_data.runtime


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)

BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[BotContext]
]


def runtime_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Runtime:
    """The Runtime of an Application built with `CONTEXT_TYPES` (for post_init and the like)."""
    bot_data = application.bot_data
    assert isinstance(bot_data, BotData), "build the Application with CONTEXT_TYPES"
    return bot_data.runtime
