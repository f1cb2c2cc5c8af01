"""/tidsfrister (what is due, by date) and /klart (a deadline is met)."""

from __future__ import annotations

import logging

from telegram import Message

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
    act.reply(*view.listing_message(found, current_language()))
    act.then(lambda: wake_dispatcher(act.context))


@in_body(data=rf"{view.OLDER}:(a|b)")
def show_older(act: BodyAct) -> None:
    """The deadlines from before the chat was linked that /tidsfrister only counts."""
    (which,) = act.data
    found = deadline_list.listing(
        act.session, partnership=act.partnership, body=act.body, show_all=which == "a", now=act.now
    )
    act.answer()
    act.reply(*view.older_message(found, current_language()))  # split if long


@in_body(data=rf"{view.MARK}:(b|a|ob|oa|k|r):([0-9a-f]{{12}})")
def done_button(act: BodyAct) -> None:
    """A "Done" button: the chair or the administrator records the deadline as met (anyone
    else gets a polite alert); the list it was under is drawn again without it."""
    which, token = act.data
    language = current_language()
    done = deadline_list.mark_met_by_button(
        act.session,
        partnership=act.partnership,
        body=act.body,
        role=act.role,
        token=token,
        now=act.now,
    )
    log.info("deadline %s met by button in chat %s", done.deadline.key, act.chat.id)
    query = act.query
    if which == "r":
        # Under a reminder: the reminder says who marked it, its button goes.
        act.answer(view.met_plain(done, language))
        if query is not None and isinstance(query.message, Message):
            act.edit(query.message.text_html + "\n\n" + view.marked_by(act.role.person))
        return
    if which == "k":
        found = deadline_list.pick(
            act.session, partnership=act.partnership, body=act.body, role=act.role, now=act.now
        )
    else:
        found = deadline_list.listing(
            act.session,
            partnership=act.partnership,
            body=act.body,
            show_all=which in ("a", "oa"),
            now=act.now,
        )
    act.answer(view.met_plain(done, language))
    act.edit(*view.redraw(found, which, language))
    act.send(view.met(done, language, by=act.role.person), thread=act.thread)


@in_body(admin=True)
def mark_done(act: BodyAct) -> None:
    language = current_language()
    wanted = act.args.split()
    if not wanted:
        found = deadline_list.pick(
            act.session, partnership=act.partnership, body=act.body, role=act.role, now=act.now
        )
        act.reply(*view.choice_message(found, language))
        return
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
