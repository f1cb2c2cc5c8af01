"""Every command once: Swedish name, English alias, description, where it is offered."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    Update,
)
from telegram.ext import Application, CommandHandler

from handlers import chats, deadlines, decisions, help, meetings, members, minutes, privacy
from handlers import escalations as escalation_handlers
from handlers import votes as vote_handlers
from handlers.common import Context
from i18n import N_, t
from views import meeting_reminders as meeting_texts  # noqa: F401  (registers the meeting reminder renderers)

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Command:
    sv: str
    en: str
    description: str
    callback: Callback
    in_groups: bool = True
    in_private: bool = False
    # Who /hjalp shows it to: everyone, confirmed members, or the chair and administrator.
    audience: str = "everyone"


COMMANDS: tuple[Command, ...] = (
    Command("hjalp", "help", N_("What this chat can do"), help.help_command, in_private=True),
    Command(
        "koppla",
        "link",
        N_("Link this group to a body of the partnership"),
        chats.link,
        audience="chair",
    ),
    Command("jag", "iam", N_("Say which party you represent"), members.iam),
    Command("ledamoter", "members", N_("Members by party"), members.list_members),
    Command(
        "ordforande",
        "chair",
        N_("Record the chair and the term"),
        members.appoint_chair,
        audience="chair",
    ),
    Command("tidsfrister", "deadlines", N_("Deadlines, by date"), deadlines.list_deadlines),
    Command("klart", "done", N_("Mark a deadline as met"), deadlines.mark_done, audience="chair"),
    Command(
        "kallelse", "meeting", N_("Call a meeting (chair)"), meetings.call_meeting, audience="chair"
    ),
    Command(
        "punkt",
        "item",
        N_("Add an item to the next meeting's agenda"),
        meetings.add_item,
        audience="member",
    ),
    Command("moten", "meetings", N_("Upcoming and past meetings"), meetings.list_meetings),
    Command(
        "flytta",
        "reschedule",
        N_("Move the next meeting (chair)"),
        meetings.reschedule,
        audience="chair",
    ),
    Command(
        "stall_in",
        "cancelmeeting",
        N_("Cancel a meeting (chair)"),
        meetings.cancel_meeting,
        audience="chair",
    ),
    Command(
        "motesstart",
        "startmeeting",
        N_("Open the meeting (chair)"),
        minutes.start_meeting,
        audience="chair",
    ),
    Command("narvaro", "attendance", N_("Who is present"), minutes.attendance, audience="member"),
    Command("nasta", "next", N_("Next item of the agenda"), minutes.next_item, audience="chair"),
    Command("anteckning", "note", N_("Add a note to the minutes"), minutes.note, audience="member"),
    Command("beslut", "decision", N_("Record a decision"), minutes.decision, audience="chair"),
    Command(
        "uppgift",
        "action",
        N_("Record an action item: @name date text"),
        minutes.action,
        audience="chair",
    ),
    Command(
        "andra",
        "edit",
        N_("Correct a recorded line (reply to it)"),
        minutes.edit_line,
        audience="member",
    ),
    Command(
        "stryk",
        "strike",
        N_("Strike a recorded line (reply to it)"),
        minutes.strike_line,
        audience="member",
    ),
    Command(
        "motesslut",
        "endmeeting",
        N_("Close the meeting: draft minutes"),
        minutes.end_meeting,
        audience="chair",
    ),
    Command(
        "andring",
        "requestchange",
        N_("Reason for a change to the minutes"),
        minutes.change_reason,
        audience="member",
    ),
    Command(
        "utkast",
        "draft",
        N_("New draft of the minutes (chair)"),
        minutes.regenerate,
        audience="chair",
    ),
    Command(
        "tillagg", "amend", N_("Amend approved minutes (chair)"), minutes.amend, audience="chair"
    ),
    Command("beslutslogg", "decisions", N_("Search the decision register"), decisions.decision_log),
    Command(
        "revideringar", "revisions", N_("Revisions of commitments per party"), decisions.revisions
    ),
    Command(
        "godkann",
        "approve",
        N_("Record an outside approval (administrator)"),
        decisions.approve,
        audience="chair",
    ),
    Command("uppgifter", "actions", N_("Open action items"), decisions.list_actions),
    Command(
        "protokollforare", "minutetaker", N_("Who writes the next minutes"), decisions.minute_taker
    ),
    Command(
        "omrostning",
        "vote",
        N_("Open a vote (chair): question | deadline"),
        vote_handlers.open_vote,
        audience="chair",
    ),
    Command(
        "stang_omrostning",
        "closevote",
        N_("Close the vote (chair)"),
        vote_handlers.close_command,
        audience="chair",
    ),
    Command(
        "lyft",
        "escalate",
        N_("Raise a question to the styrgrupp"),
        escalation_handlers.raise_question,
        audience="member",
    ),
    Command(
        "lyfta",
        "escalations",
        N_("Questions raised to the styrgrupp"),
        escalation_handlers.list_escalations,
    ),
    Command(
        "export",
        "export",
        N_("Export the partnership (administrator)"),
        privacy.export,
        in_private=True,
        audience="chair",
    ),
    Command(
        "glomma_mig", "forgetme", N_("Erase my personal data"), privacy.forget_me, in_private=True
    ),
)


def add_command_handlers(application: Application, group: int = 0) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", help.start), group=group)
    for command in COMMANDS:
        application.add_handler(
            CommandHandler([command.sv, command.en], command.callback), group=group
        )


def command_list(language: str, *, private: bool) -> list[BotCommand]:
    chosen = [c for c in COMMANDS if (c.in_private if private else c.in_groups)]
    return [
        BotCommand(c.en if language == "en" else c.sv, t(language, c.description)) for c in chosen
    ]


async def publish_commands(application: Application) -> None:  # type: ignore[type-arg]
    bot = application.bot
    for scope, private in (
        (BotCommandScopeDefault(), False),
        (BotCommandScopeAllGroupChats(), False),
        (BotCommandScopeAllPrivateChats(), True),
    ):
        # Without a language code the Swedish list is what every client sees by default.
        await bot.set_my_commands(command_list("sv", private=private), scope=scope)
        for language in ("sv", "en"):
            await bot.set_my_commands(
                command_list(language, private=private), scope=scope, language_code=language
            )
