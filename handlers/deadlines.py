"""/tidsfrister (what is due, by date) and /klart (a deadline is met)."""

from __future__ import annotations

import logging

from handlers.common import wake_dispatcher
from handlers.wrapper import BodyAct, in_body
from i18n import current_language
from services import deadline_list
from views import deadline_reminders as deadline_texts
from views import deadlines as view

log = logging.getLogger(__name__)

ALL_WORDS = {"alla", "all"}


@in_body()
def list_deadlines(act: BodyAct) -> None:
    found = deadline_list.listing(
        act.session,
        partnership=act.partnership,
        body=act.body,
        show_all=act.args.casefold() in ALL_WORDS,
        now=act.now,
    )
    act.reply(view.listing(found, current_language()))
    act.then(lambda: wake_dispatcher(act.context))


@in_body(admin=True)
def mark_done(act: BodyAct) -> None:
    language = current_language()
    wanted = act.args.split()
    done = deadline_list.mark_met(
        act.session,
        partnership=act.partnership,
        body=act.body,
        role=act.role,
        key=wanted[0] if wanted else "",
        command=deadline_texts.done_command(language),
        now=act.now,
    )
    log.info("deadline %s met in chat %s", done.deadline.key, act.chat.id)
    act.reply(view.met(done, language))
