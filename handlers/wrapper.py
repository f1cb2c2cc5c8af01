"""The one shared handler wrapper: what nearly every handler repeats, written once.

A handler is a plain synchronous function of an `Act`, decorated::

    @in_body(admin=True)
    def note(act: BodyAct) -> None:
        entry = minutes.record_note(act.session, body=act.body, role=act.role, ...)
        act.ack(_("✍ Noted (line #{id}).").format(id=entry.id))

For one update, in this order:

1. a button's callback data is checked against `data` (a regular expression; its groups are
   `act.data`): anything else is answered "This button is no longer valid";
2. when the handler needs it (`admin=True`), Telegram is asked whether the sender is an admin of
   the chat (getChatMember) – before any transaction is open;
3. one transaction: the chat's linked body and partnership, the acting person and their role in
   the body (`in_body`; kept in-process for a few seconds and forgotten at once when this process
   writes any row they are made of: `services.linked_cache`), then the handler's own work. The work is synchronous, so it cannot await
   Telegram while the transaction (SQLite's write lock) is held: it *queues* its answers on the
   act (`reply`, `answer`, `edit`, `ack`, `then`);
4. a `services.errors.Refusal` rolls the transaction back and becomes a polite reply in the
   user's language (an alert on a button). A refusal that says so (`Refusal.keep`, e.g. an
   audited attempt to change locked minutes) commits what the transaction recorded first;
5. after the commit the queued answers go out in order, and the reminder dispatcher is woken when
   the work published a domain event that asks for it (`services.events`). An answer that fails
   then (429, a timeout) is logged, never reported as "nothing was changed": the work is
   recorded, and what it must tell the chat it queued in the outbox (`delivery.outbox`).

One transaction per update (issue 16): the update's claim (and its sender, when changed) is
written in this same transaction (`handlers.context.settle_in`), so the common path is one
BEGIN … COMMIT per update; the transaction runs in a thread (`Runtime.run_sync`), so on
PostgreSQL the event loop never waits on the database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session
from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    ReactionTypeEmoji,
    Update,
    User,
)
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

import handlers.reactions as reactions
from handlers.bot_context import BotContext
from handlers.common import (
    acting_user,
    admin_cache,
    command_args,
    edit_message,
    is_chat_admin,
    log,
    refuse,
    reply,
    thread_of,
    wake_dispatcher,
)
from handlers.context import settle_in, settled
from i18n import N_
from services import events
from services.chats import linked_body_and_partnership
from services.errors import Refusal
from services.roles import Role, role_in_body
from storage.db import transaction
from storage.models import Body, Partnership
from storage.runtime import Runtime

After = Callable[[], Awaitable[object]]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
ACK_EMOJI = "✍"


class _AlreadyHandled(Exception):
    """Another delivery of this update was handled: stop, say nothing."""


BAD_BUTTON = N_("This button is no longer valid.")


@dataclass(kw_only=True)
class Act:
    """One update being handled: its parts, the open session, and the answers queued for after
    the commit."""

    update: Update
    context: BotContext
    chat: Chat
    session: Session
    now: datetime
    data: tuple[str, ...] = ()
    is_chat_admin: bool = False
    _after: list[After] = field(default_factory=list)

    @property
    def runtime(self) -> Runtime:
        return self.context.runtime

    @property
    def message(self) -> Message | None:
        return self.update.effective_message

    @property
    def query(self) -> CallbackQuery | None:
        return self.update.callback_query

    @property
    def user(self) -> User | None:
        """The real sender; None for an anonymous admin."""
        return acting_user(self.update)

    @property
    def args(self) -> str:
        return command_args(self.context)

    @property
    def text(self) -> str:
        message = self.message
        return (message.text or "") if message is not None else ""

    # -- answers, sent after the commit, in the order queued ---------------------------------

    def then(self, after: After) -> None:
        """Anything else to do after the commit (a refresh, a follow-up send)."""
        self._after.append(after)

    def reply(
        self, text: str, keyboard: InlineKeyboardMarkup | None = None, *, quote: bool = False
    ) -> None:
        """Answer in the chat (and topic) the update came from; long texts are split safely."""
        message = self.message
        if quote and message is not None:
            self.then(lambda: message.reply_text(text, reply_markup=keyboard, do_quote=True))
        else:
            self.then(lambda: reply(self.update, text, reply_markup=keyboard))

    def send(
        self, text: str, keyboard: InlineKeyboardMarkup | None = None, *, thread: int | None
    ) -> None:
        """A message of the bot's own in this chat (not an answer to the update)."""
        self.then(
            lambda: self.context.bot.send_message(
                self.chat.id, text, message_thread_id=thread, reply_markup=keyboard
            )
        )

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """The toast (or alert) on a pressed button; at most 200 characters are shown."""
        query = self.query
        if query is not None:
            self.then(lambda: query.answer(text[:200] if text else None, show_alert=alert))

    def edit(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        """Edit the message whose button was pressed ("not modified" is no error)."""
        query = self.query
        if query is not None and isinstance(query.message, Message):
            message_id = query.message.message_id
            self.then(
                lambda: edit_message(self.context.bot, self.chat.id, message_id, text, keyboard)
            )

    def ack(self, fallback: str) -> None:
        """A reaction on the recorded message; `fallback` as a short reply where reactions are
        not allowed."""
        self.then(lambda: _ack(self, fallback))


@dataclass(kw_only=True)
class BodyAct(Act):
    """An act in a chat linked to a body: the body, its partnership and the sender's role."""

    body: Body
    partnership: Partnership
    role: Role

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.partnership.timezone)

    @property
    def today(self) -> date:
        return self.runtime.today(self.zone)

    @property
    def thread(self) -> int | None:
        """Where the bot's own messages go: the update's topic, else the body's."""
        return thread_of(self.message, self.body.thread_id)

    def require_person(
        self, message: str = N_("Write this from your own account, not anonymously.")
    ) -> None:
        """Refuses an anonymous admin (or a channel) where a person must act."""
        if self.user is None:
            raise Refusal(message)


async def _ack(act: Act, fallback: str) -> None:
    message = act.message
    if message is None:
        return
    try:
        await act.context.bot.set_message_reaction(
            message.chat_id, message.message_id, reaction=[ReactionTypeEmoji(ACK_EMOJI)]
        )
    except TelegramError as exc:
        log.info("reaction refused (%s); answering with a short reply", type(exc).__name__)
        await reply(act.update, fallback)


A = TypeVar("A", bound=Act)


def _matched(update: Update, data: str | None) -> tuple[str, ...] | None:
    if data is None:
        return ()
    query = update.callback_query
    found = re.fullmatch(data, query.data or "") if query is not None else None
    return found.groups() if found is not None else None


async def _run(
    update: Update,
    context: BotContext,
    work: Callable[[A], None],
    make: Callable[[Session, Chat, tuple[str, ...], bool], A],
    data: str | None,
    admin: bool,
) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    groups = _matched(update, data)
    if groups is None:
        await refuse(update, Refusal(BAD_BUTTON))
        return
    is_admin = await is_chat_admin(update, context) if admin else False
    runtime = context.runtime

    def unit_of_work() -> tuple[A, list[object]]:
        # One transaction for the whole update: its claim (and its sender, when changed), the
        # linked body, the role and the work. Run in a thread: on PostgreSQL the queries wait
        # on the network, and the event loop goes on meanwhile.
        with transaction(runtime.session_factory) as session:
            if not settle_in(session, context):
                raise _AlreadyHandled
            act = make(session, chat, groups, is_admin)
            try:
                work(act)
            except Refusal as refusal:
                if not refusal.keep:
                    raise
                kept = refusal
                act._after = [lambda: refuse(update, kept)]
            return act, events.published(session)

    try:
        act, published = await runtime.run_sync(unit_of_work)
    except _AlreadyHandled:
        raise ApplicationHandlerStop from None
    except Refusal as refusal:
        if admin:
            _forget_admin_answer(update, context)
        await refuse(update, refusal)
        return
    settled(context)
    assert act is not None
    for after in act._after:
        try:
            await after()
        except Exception as exc:
            # Committed: an answer that fails now must not reach the error handler, whose
            # "nothing was changed" would be false. What the work recorded is delivered by the
            # outbox; a lost toast or reply is only logged.
            log.warning(
                "an answer after the commit failed (%s); what was recorded stands",
                type(exc).__name__,
            )
    if any(getattr(event, "wakes_dispatcher", False) for event in published):
        await wake_dispatcher(context)
    if published:
        # What changes outside the messages (a person's command menu) follows the commit.
        await reactions.run(context, published)


def _forget_admin_answer(update: Update, context: BotContext) -> None:
    """A refusal may rest on a cached "not an admin": the next attempt asks Telegram again (the
    person may just have been made an admin, which Telegram does not always report)."""
    chat, user = update.effective_chat, acting_user(update)
    if chat is not None and user is not None:
        admin_cache(context).forget(chat.id, user.id)


def in_chat(
    *, data: str | None = None, admin: bool = False
) -> Callable[[Callable[[Act], None]], Callback]:
    """For handlers that do not need a linked body (linking it, private chats)."""

    def decorate(work: Callable[[Act], None]) -> Callback:
        @functools.wraps(work)
        async def handler(update: Update, context: BotContext) -> None:
            def make(session: Session, chat: Chat, groups: tuple[str, ...], is_admin: bool) -> Act:
                return Act(
                    update=update,
                    context=context,
                    chat=chat,
                    session=session,
                    now=context.runtime.now(),
                    data=groups,
                    is_chat_admin=is_admin,
                )

            await _run(update, context, work, make, data, admin)

        return handler

    return decorate


def in_body(
    *, data: str | None = None, admin: bool = False
) -> Callable[[Callable[[BodyAct], None]], Callback]:
    """For handlers in a chat linked to a body: refuses politely where the chat is not linked.

    `admin`: ask Telegram first whether the sender is an admin of the group (their role then
    says so); `data`: the pattern a button's callback data must match in full."""

    def decorate(work: Callable[[BodyAct], None]) -> Callback:
        @functools.wraps(work)
        async def handler(update: Update, context: BotContext) -> None:
            def make(
                session: Session, chat: Chat, groups: tuple[str, ...], is_admin: bool
            ) -> BodyAct:
                runtime = context.runtime
                body, partnership = linked_body_and_partnership(session, chat.id)
                user = acting_user(update)
                today = runtime.today(ZoneInfo(partnership.timezone))
                role = role_in_body(
                    session, body, user.id if user else None, today, is_chat_admin=is_admin
                )
                return BodyAct(
                    update=update,
                    context=context,
                    chat=chat,
                    session=session,
                    now=runtime.now(),
                    data=groups,
                    is_chat_admin=is_admin,
                    body=body,
                    partnership=partnership,
                    role=role,
                )

            await _run(update, context, work, make, data, admin)

        return handler

    return decorate


__all__ = ["Act", "After", "BodyAct", "in_body", "in_chat"]
