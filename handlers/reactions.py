"""What the bot does with Telegram after a commit that published a domain event – things that
are not messages, so not the outbox's (a person's command menu when their role changed).

    from handlers import reactions

    @reactions.after_commit(events.ChairAppointed)
    async def _menus(context: BotContext, event: events.ChairAppointed) -> None:
        ...

The handler wrapper runs them after the commit, in the order registered; one that fails is
logged and the others still run (what the database recorded stands either way).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from handlers.bot_context import BotContext

log = logging.getLogger(__name__)

Reaction = Callable[[BotContext, Any], Awaitable[None]]

_reactions: defaultdict[type, list[Reaction]] = defaultdict(list)

__all__ = ["after_commit", "run"]


def after_commit(event_type: type) -> Callable[[Reaction], Reaction]:
    def decorate(reaction: Reaction) -> Reaction:
        if reaction not in _reactions[event_type]:
            _reactions[event_type].append(reaction)
        return reaction

    return decorate


async def run(context: BotContext, published: Sequence[object]) -> None:
    for event in published:
        for reaction in _reactions.get(type(event), ()):
            try:
                await reaction(context, event)
            except Exception:
                log.exception("reaction to %s failed", type(event).__name__)
