"""Command menus per role, and the bot's descriptions.

- Groups by default, and every member: the member's commands (`handlers.commands`, audience
  everyone and member) – short.
- The chair and the administrators, in their body's chat: the chair's menu, per person
  (`BotCommandScopeChatMember`), published at start and again when a role changes (a chair
  appointed, a chat linked); a former chair's own menu is deleted.
- Private chats: the private commands.
- "What can this bot do?" (`setMyDescription`) and the profile's short description
  (`setMyShortDescription`), in Swedish (the default) and English.
A person Telegram does not know in that chat (left, never joined) is skipped with a log line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot, BotCommandScopeChatMember
from telegram.error import TelegramError
from telegram.ext import Application

import handlers.commands as commands
import handlers.reactions as reactions
from handlers.bot_context import BotContext, runtime_of
from i18n import N_, t
from services import events
from services import menus as service
from storage.db import transaction

log = logging.getLogger(__name__)

DESCRIPTION = N_(
    "I help an IOP partnership's styrgrupp and samverkansgrupp: meetings with kallelse and agenda, a meeting panel for the chair, minutes with justering, decisions, votes, action items, deadlines from the agreement and the half-yearly report. Add me to the group and write /koppla; members write /jag. In a private chat with me you get your own reminders."
)
SHORT_DESCRIPTION = N_("Meetings, minutes, decisions, votes and deadlines for an IOP partnership.")

__all__ = ["publish_all", "publish_body"]


async def publish_descriptions(bot: Bot) -> None:
    for language in (None, "sv", "en"):
        lang = language or "sv"
        try:
            await bot.set_my_description(t(lang, DESCRIPTION), language_code=language)
            await bot.set_my_short_description(t(lang, SHORT_DESCRIPTION), language_code=language)
        except TelegramError as exc:
            log.warning("could not set the bot's description: %s", type(exc).__name__)


async def publish_body(bot: Bot, menus: service.BodyMenus) -> None:
    """The chair's menu for each leader of one body's chat; former chairs' menus removed."""
    for leader in menus.leaders:
        scope = BotCommandScopeChatMember(menus.chat_id, leader.user_id)
        try:
            await bot.set_my_commands(
                commands.command_list(leader.language, private=False, audience="chair"),
                scope=scope,
            )
        except TelegramError as exc:
            log.info("no menu for a leader in chat %s: %s", menus.chat_id, type(exc).__name__)
    for user_id in menus.former:
        try:
            await bot.delete_my_commands(scope=BotCommandScopeChatMember(menus.chat_id, user_id))
        except TelegramError as exc:
            log.info("no menu to remove in chat %s: %s", menus.chat_id, type(exc).__name__)


MENU_CHUNK = 50


async def publish_all(
    application: Application[Any, Any, Any, Any, Any, Any], *, chunk: int = MENU_CHUNK
) -> None:
    """At start (`bot.runner`: once updates flow): the default menus, the descriptions, and every
    body's leaders' menus, read `chunk` bodies per transaction in a thread, so neither the event
    loop nor memory carries all partnerships at once. Idempotent: publishing again sets the
    same menus."""
    bot = application.bot
    await commands.publish_commands(application)
    await publish_descriptions(bot)
    runtime = runtime_of(application)

    def linked() -> list[int]:
        with transaction(runtime.session_factory) as session:
            return service.linked_body_ids(session)

    def menus_of(ids: list[int]) -> list[service.BodyMenus]:
        with transaction(runtime.session_factory) as session:
            return service.menus_of(session, ids, runtime.now())

    body_ids = await asyncio.to_thread(linked)
    for start in range(0, len(body_ids), chunk):
        for menus in await asyncio.to_thread(menus_of, body_ids[start : start + chunk]):
            await publish_body(bot, menus)


async def _for_body(context: BotContext, body_id: int) -> None:
    svc = context.runtime
    with transaction(svc.session_factory) as session:
        body = service.body_of(session, body_id)
        menus = service.body_menus(session, body, svc.now()) if body is not None else None
    if menus is not None:
        await publish_body(context.bot, menus)


@reactions.after_commit(events.ChairAppointed)
async def _chair_appointed(context: BotContext, event: events.ChairAppointed) -> None:
    await _for_body(context, event.body_id)


@reactions.after_commit(events.ChatLinked)
async def _chat_linked(context: BotContext, event: events.ChatLinked) -> None:
    await _for_body(context, event.body_id)
