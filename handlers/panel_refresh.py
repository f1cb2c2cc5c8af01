"""The meeting panel's message: posted and pinned when the meeting opens, refreshed (coalesced)
after every recorded line and every press, closed and unpinned when the meeting ends.

The panel is interactive, not a fact (what it shows is in the database and in the protokoll),
so it is sent and edited directly, after the commit; a lost edit is made good by the next one.
Edits of one panel are made one at a time, each from the state read after taking the lock; a
refresh that finds another already waiting leaves it to that one, and the waiting one gathers
the burst a moment longer before it reads, so a burst of recorded lines gives few reads and few
edits (Telegram allows about 20 requests a minute per group).

The mode the chair left the panel in (main, items, attendance, …) is kept per Application, so a
refresh caused by someone else's note does not throw the chair out of the list they are in.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any

from telegram.error import TelegramError

from delivery.ratelimit import BACKGROUND, SlidingWindow
from handlers.bot_context import BotContext
from handlers.common import edit_message
from handlers.wrapper import BodyAct
from i18n import language
from services import panel as service
from storage.db import transaction
from views import panel as view

log = logging.getLogger(__name__)

_LOCKS, _WAITING, _MODES = "panel.locks", "panel.waiting", "panel.modes"
_WINDOWS = "panel.windows"
# A refresh after a recorded line that finds the previous one still under way waits this long
# more before it reads: a burst of lines gives one read and one edit, at most about one a
# second per panel while lines keep coming (at Telegram's limits the panel's window allows one
# edit every ten seconds anyway; a press on the panel itself is never held back).
COALESCE_SECONDS = 1.0
_MESSAGES = "panel.messages"  # (chat id, message id) -> meeting id, for replies to a panel

__all__ = [
    "close_panel",
    "meeting_of_panel",
    "mode_of",
    "open_meeting_id",
    "post_panel",
    "refresh_after",
    "refresh_meeting_after",
    "refresh_panel",
    "refreshed",
    "set_mode",
]


def _modes(context: BotContext) -> dict[int, str]:
    modes: dict[int, str] = context.bot_data.setdefault(_MODES, {})
    return modes


def _messages(context: BotContext) -> dict[tuple[int, int], int]:
    found: dict[tuple[int, int], int] = context.bot_data.setdefault(_MESSAGES, {})
    return found


def meeting_of_panel(context: BotContext, chat_id: int, message_id: int) -> int | None:
    """The meeting whose panel this message is (as posted by this process), if any."""
    return _messages(context).get((chat_id, message_id))


def mode_of(context: BotContext, meeting_id: int) -> str:
    return _modes(context).get(meeting_id, view.MAIN)


def set_mode(context: BotContext, meeting_id: int, mode: str) -> None:
    _modes(context)[meeting_id] = mode if mode in view.MODES else view.MAIN


async def post_panel(
    context: BotContext, chat_id: int, thread_id: int | None, meeting_id: int
) -> None:
    """The panel of a meeting just opened: sent, its id kept, pinned quietly where the bot may
    pin (it asks nobody's permission: without the right it simply stays unpinned)."""
    svc = context.runtime
    with transaction(svc.session_factory) as session:
        found = service.panel_of_id(session, meeting_id, svc.now())
        if found is None:
            return
        with language(found.partnership.language):
            text, keyboard = view.render(found)
    set_mode(context, meeting_id, view.MAIN)
    try:
        sent = await context.bot.send_message(
            chat_id, text, message_thread_id=thread_id, reply_markup=keyboard
        )
    except TelegramError as exc:
        log.warning("could not post the panel of meeting %s: %s", meeting_id, type(exc).__name__)
        return
    with transaction(svc.session_factory) as session:
        service.set_message(session, meeting_id, sent.message_id)
    _messages(context)[(chat_id, sent.message_id)] = meeting_id
    try:
        await context.bot.pin_chat_message(chat_id, sent.message_id, disable_notification=True)
    except TelegramError as exc:
        log.info("panel of meeting %s not pinned: %s", meeting_id, type(exc).__name__)


def _window(context: BotContext, meeting_id: int) -> SlidingWindow:
    """Refreshes after recorded lines: at most a third of the group's messages a minute, so a
    live meeting's panel never takes the slots its replies (a decision's ✍, a vote) need."""
    windows: dict[int, SlidingWindow] = context.bot_data.setdefault(_WINDOWS, {})
    found = windows.get(meeting_id)
    if found is None:
        per_minute = getattr(context.runtime.settings, "rate_limit_group_per_minute", 20)
        found = windows[meeting_id] = SlidingWindow(max(1, int(per_minute) // 3), 60)
    return found


async def refresh_panel(
    context: BotContext, meeting_id: int, note: str | None = None, *, throttled: bool = False
) -> None:
    """Edit the panel in place from the current state, in the mode the chair left it in."""
    locks: defaultdict[int, asyncio.Lock] = context.bot_data.setdefault(
        _LOCKS, defaultdict(asyncio.Lock)
    )
    waiting: set[int] = context.bot_data.setdefault(_WAITING, set())
    if meeting_id in waiting and note is None:
        return
    waiting.add(meeting_id)
    try:
        if throttled:
            await _window(context, meeting_id).acquire(BACKGROUND)
        burst = locks[meeting_id].locked()
        await locks[meeting_id].acquire()
    except BaseException:
        waiting.discard(meeting_id)
        raise
    try:
        if burst and throttled:
            # Lines are coming faster than the panel is read and edited: gather the burst
            # (still waiting, so the lines now arriving leave it to this refresh) and read once.
            await asyncio.sleep(COALESCE_SECONDS)
        waiting.discard(meeting_id)
        svc = context.runtime

        def read() -> tuple[str, object, int, int] | None:
            # Read-only: on SQLite no write lock, so the next update's transaction never
            # waits for this read (storage.db.transaction).
            with transaction(svc.session_factory, read_only=True) as session:
                target = service.panel_target(session, meeting_id, svc.now())
                if target is None:
                    return None
                found, chat_id, message_id = target
                with language(found.partnership.language):
                    text, keyboard = view.render(found, mode_of(context, meeting_id), note)
            return text, keyboard, chat_id, message_id

        # In a thread: the event loop (other updates' answers) never waits on this read.
        rendered = await svc.run_sync(read)
        if rendered is None:
            return
        text, keyboard, chat_id, message_id = rendered
        await edit_message(context.bot, chat_id, message_id, text, keyboard)  # type: ignore[arg-type]
    finally:
        waiting.discard(meeting_id)
        locks[meeting_id].release()


def refresh_meeting_after(
    act: BodyAct, meeting_id: int, note: str | None = None, *, throttled: bool = False
) -> None:
    """After the commit, the panel follows, in the background: the next update is not held up
    by the edit waiting its turn under the group's 20 messages a minute, and a burst of lines
    gives few edits (a refresh that finds another waiting leaves it to that one)."""
    context = act.context

    async def start() -> None:
        background(context, refresh_panel(context, meeting_id, note, throttled=throttled))

    act.then(start)


_TASKS = "panel.tasks"


def background(context: BotContext, work: Coroutine[Any, Any, None]) -> None:
    tasks: set[asyncio.Task[None]] = context.bot_data.setdefault(_TASKS, set())
    task = asyncio.create_task(_logged(work))
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _logged(work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except Exception as exc:  # a lost edit is made good by the next one
        log.warning("a panel refresh failed (%s)", type(exc).__name__)


async def refreshed(bot_data: dict[str, Any]) -> None:
    """Until the panel refreshes under way are done (for tests and a clean stop)."""
    tasks: set[asyncio.Task[None]] = bot_data.get(_TASKS, set())
    while tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)


def open_meeting_id(act: BodyAct) -> int | None:
    return service.open_meeting_id(act.session, act.body)


def refresh_after(act: BodyAct) -> None:
    """After a recorded line (or a command that moved the meeting): the panel of the body's
    meeting in session follows."""
    meeting_id = open_meeting_id(act)
    if meeting_id is not None:
        refresh_meeting_after(act, meeting_id, throttled=True)


async def close_panel(context: BotContext, meeting_id: int) -> None:
    """The meeting closed: the panel says so, loses its buttons and is unpinned."""
    svc = context.runtime
    with transaction(svc.session_factory) as session:
        target = service.panel_target(session, meeting_id, svc.now())
        if target is None:
            return
        found, chat_id, message_id = target
        with language(found.partnership.language):
            text, keyboard = view.render(found)
        service.forget_message(session, meeting_id)
    _modes(context).pop(meeting_id, None)
    _messages(context).pop((chat_id, message_id), None)
    await edit_message(context.bot, chat_id, message_id, text, keyboard)
    try:
        await context.bot.unpin_chat_message(chat_id, message_id)
    except TelegramError as exc:
        log.info("panel of meeting %s not unpinned: %s", meeting_id, type(exc).__name__)


def close_after(act: BodyAct, meeting_id: int) -> None:
    act.then(lambda: close_panel(act.context, meeting_id))


__all__ += ["close_after"]
