"""Pre-handlers: each update once, remember who wrote and pick their language, keep personal
identity numbers out.

One transaction per update (issue 16). The common path takes no transaction here: claiming the
update id and remembering the sender are folded into the handler's own transaction by the
shared wrapper (`handlers.wrapper`, through `settle_in`), and an update no wrapped handler took
is settled by `settle_update` at the end, in one short transaction. Only when this process does
not yet know the sender as stored (new, renamed, another language or private chat) or the chat's
languages does `handle_once` settle the update at once, in one transaction in a thread, so the
language is right before any handler answers.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from dataclasses import dataclass

from sqlmodel import Session
from telegram import Chat, Update
from telegram.ext import ApplicationHandlerStop

from governance.personnummer import contains_personal_identity_number
from handlers.bot_context import BotContext
from handlers.common import acting_user, reply
from i18n import _, pick_language, set_language
from services import senders
from storage.db import transaction

LANGUAGES_SECONDS = 60.0
SENDERS_SECONDS = 600.0
_CACHE_KEY = "update-caches"


@dataclass
class UpdateUnit:
    """What one update must still write: its claim, and its sender when they changed."""

    update_id: int
    sender: senders.Sender | None
    group_chat_id: int | None
    private_chat_id: int | None
    settled: bool = False
    languages: tuple[str, tuple[str, ...]] | None = None

    @property
    def sender_key(self) -> tuple[object, ...] | None:
        s = self.sender
        if s is None:
            return None
        return (s.first_name, s.last_name, s.username, s.language_code, self.private_chat_id)

    @property
    def language_key(self) -> tuple[str, int] | None:
        if self.group_chat_id is not None:
            return ("chat", self.group_chat_id)
        if self.sender is not None:
            return ("user", self.sender.telegram_user_id)
        return None


class UpdateCaches:
    """Per Application: senders as stored (so an unchanged sender is not written again) and each
    chat's languages (so the language is picked without the database)."""

    def __init__(self) -> None:
        self.senders: dict[int, tuple[float, tuple[object, ...]]] = {}
        self.languages: dict[tuple[str, int], tuple[float, tuple[str, tuple[str, ...]]]] = {}

    def sender_known(self, unit: UpdateUnit) -> bool:
        if unit.sender is None:
            return True
        entry = self.senders.get(unit.sender.telegram_user_id)
        if entry is None or entry[0] <= time.monotonic():
            return False
        stored = entry[1]
        if unit.private_chat_id is None:
            return stored[:4] == unit.sender_key[:4]  # type: ignore[index]
        return stored == unit.sender_key

    def languages_of(self, unit: UpdateUnit) -> tuple[str, tuple[str, ...]] | None:
        key = unit.language_key
        entry = self.languages.get(key) if key is not None else None
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def remember(self, unit: UpdateUnit) -> None:
        now = time.monotonic()
        if len(self.senders) > 50_000:
            self.senders.clear()
        if len(self.languages) > 50_000:
            self.languages.clear()
        if unit.sender is not None and unit.sender_key is not None:
            known = self.senders.get(unit.sender.telegram_user_id)
            key = unit.sender_key
            if unit.private_chat_id is None and known is not None:
                key = (*key[:4], known[1][4])  # the private chat stays as stored
            self.senders[unit.sender.telegram_user_id] = (now + SENDERS_SECONDS, key)
        if unit.languages is not None and unit.language_key is not None:
            self.languages[unit.language_key] = (now + LANGUAGES_SECONDS, unit.languages)

    def forget_sender(self, telegram_user_id: int) -> None:
        self.senders.pop(telegram_user_id, None)
        for key in [k for k in self.languages if k == ("user", telegram_user_id)]:
            del self.languages[key]


_UNIT: contextvars.ContextVar[UpdateUnit | None] = contextvars.ContextVar(
    "update_unit", default=None
)


def caches(context: BotContext) -> UpdateCaches:
    found = context.bot_data.get(_CACHE_KEY)
    if found is None:
        found = context.bot_data[_CACHE_KEY] = UpdateCaches()
    return found  # type: ignore[no-any-return]


def current_unit() -> UpdateUnit | None:
    return _UNIT.get()


def _settle(
    session: Session, context: BotContext, unit: UpdateUnit, *, full: bool, claim: bool = True
) -> bool:
    """In the caller's transaction: claim the update id (False: another delivery has it) and,
    when it changed or `full`, remember the sender and read the chat's languages."""
    svc = context.runtime
    if claim and not senders.claim(session, unit.update_id, svc.now()):
        return False
    if full or not caches(context).sender_known(unit):
        unit.languages = senders.remember(
            session,
            sender=unit.sender,
            group_chat_id=unit.group_chat_id,
            private_chat_id=unit.private_chat_id,
            fallback_language=svc.settings.bot_language,
            now=svc.now(),
        )
    return True


def settle_in(session: Session, context: BotContext) -> bool:
    """For the wrapper, inside its transaction: settle the update there unless already done,
    and mark its inbox row handled (`services.senders.mark_stored`). False when the update was
    already handled (the caller rolls back and stays silent)."""
    unit = _UNIT.get()
    if unit is None:
        return True
    if not unit.settled:
        return _settle(session, context, unit, full=False)
    # Settled early (a new sender) without its claim: an update from the inbox is claimed, its
    # row marked handled, with its work, so one commit records both.
    return senders.mark_stored(session, unit.update_id)


def settled(context: BotContext) -> None:
    """For the wrapper, after its commit."""
    unit = _UNIT.get()
    if unit is not None and not unit.settled:
        unit.settled = True
        caches(context).remember(unit)


def _unit_of(update: Update) -> UpdateUnit:
    user = acting_user(update)
    chat = update.effective_chat
    sender = (
        senders.Sender(user.id, user.first_name, user.last_name, user.username, user.language_code)
        if user is not None
        else None
    )
    return UpdateUnit(
        update_id=update.update_id,
        sender=sender,
        group_chat_id=chat.id if chat is not None and chat.type != Chat.PRIVATE else None,
        private_chat_id=chat.id if chat is not None and chat.type == Chat.PRIVATE else None,
    )


async def handle_once(update: Update, context: BotContext) -> None:
    """Starts the update's unit; settles it at once only when its sender or chat is not known
    as stored (and stops an update already taken by this or another bot process)."""
    unit = _unit_of(update)
    _UNIT.set(unit)
    cached = caches(context)
    unit.languages = cached.languages_of(unit)
    if unit.languages is not None and cached.sender_known(unit):
        return
    svc = context.runtime

    # An update from the inbox is claimed later, with its work (`settle_in`, `settle_update`).
    claim = senders.stored_update() is None

    def settle() -> bool:
        with transaction(svc.session_factory) as session:
            return _settle(session, context, unit, full=True, claim=claim)

    if not await asyncio.to_thread(settle):
        raise ApplicationHandlerStop
    unit.settled = True
    cached.remember(unit)


async def remember_sender(update: Update, context: BotContext) -> None:
    """Picks the sender's language from the chat's (the sender was remembered by
    `handle_once`, or is written with the handler's transaction)."""
    unit = _UNIT.get()
    user = acting_user(update)
    default, allowed = (
        unit.languages
        if unit is not None and unit.languages is not None
        else (context.runtime.settings.bot_language, ("sv", "en"))
    )
    set_language(pick_language(user.language_code if user else None, default, allowed))


async def settle_update(update: Update, context: BotContext) -> None:
    """Last: an update no wrapped handler settled gets its claim (and changed sender) written."""
    unit = _UNIT.get()
    if unit is None or unit.update_id != update.update_id:
        return
    stored = senders.stored_update()
    if unit.settled and (stored is None or stored.marked):
        return
    svc = context.runtime

    def settle() -> bool:
        with transaction(svc.session_factory) as session:
            if unit.settled:
                return senders.mark_stored(session, unit.update_id)
            return _settle(session, context, unit, full=False)

    await asyncio.to_thread(settle)
    settled(context)


async def forget_old_updates(context: BotContext) -> None:
    svc = context.runtime

    def forget() -> None:
        with transaction(svc.session_factory) as session:
            senders.forget_old(session, svc.now())

    # A job: off the event loop, so it never waits for a lock a handler holds (see votes.sweep).
    await asyncio.to_thread(forget)


async def refuse_identity_numbers(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    text = message.text or message.caption or ""
    if text and contains_personal_identity_number(text):
        await reply(
            update,
            _(
                "That message looks like it contains a Swedish personal identity number "
                "(personnummer or samordningsnummer). Minutes and reports are about the "
                "partnership, never about individuals, so it was not recorded. Please write it "
                "again without the number."
            ),
        )
        raise ApplicationHandlerStop
