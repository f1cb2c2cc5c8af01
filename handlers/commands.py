"""Every command once: Swedish name, English alias, description, where it is offered; and
/hjalp and /start, which show them by the user's role."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    Chat,
    Update,
)
from telegram.ext import Application, CommandHandler

# Module imports by full name: `from handlers import …` would make this module and the
# package's registration import each other.
import handlers.agreement as agreement_handlers
import handlers.attachments as attachments
import handlers.calendar as calendar_handlers
import handlers.chats as chats
import handlers.deadlines as deadlines
import handlers.decisions as decisions
import handlers.escalations as escalation_handlers
import handlers.justering as justering
import handlers.meeting_changes as meeting_changes
import handlers.meetings as meetings
import handlers.members as members
import handlers.minutes as minutes
import handlers.privacy as privacy
import handlers.reports as reports
import handlers.start as start_router
import handlers.votes as vote_handlers
from handlers.bot_context import BotContext
from handlers.wrapper import Act, in_chat
from i18n import N_, current_language, t
from services import help as help_service
from services.chats import body_of_chat
from services.roles import role_in_body
from views import help as help_view
from views import meeting_reminders as meeting_texts  # noqa: F401  (registers the meeting reminder renderers)

Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


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


def _help(act: Act, *, everything: bool = False) -> None:
    """/hjalp: in a group, the five things this person most likely wants now (and "Show all
    commands"); in private, what the private chat is for."""
    if act.chat.type == Chat.PRIVATE:
        act.reply(help_view.private_help())
        return
    found = body_of_chat(act.session, act.chat.id)
    if found is None:
        act.reply(help_view.not_linked())
        return
    body, partnership = found
    user = act.user
    today = act.runtime.today(ZoneInfo(partnership.timezone))
    role = role_in_body(
        act.session, body, user.id if user else None, today, is_chat_admin=act.is_chat_admin
    )
    english = current_language() == "en"
    state = help_service.state_for(act.session, body=body, role=role, now=act.now)
    if everything:
        text = help_view.group_help(
            body, partnership, role, COMMANDS, english=english, role_text=help_view.role_line(state)
        )
        act.answer()
        act.edit(text, help_view.back_keyboard())
        return
    text, keyboard = help_view.top_five(state, COMMANDS, english=english)
    if act.query is not None:
        act.answer()
        act.edit(text, keyboard)
    else:
        act.reply(text, keyboard)


@in_chat(admin=True, data=r"hj:(all|top)")
def help_button(act: Act) -> None:
    """ "Show all commands" (and back to the five)."""
    _help(act, everything=act.data[0] == "all")


@in_chat(admin=True)
def help_command(act: Act) -> None:
    _help(act)


@in_chat()
def start(act: Act) -> None:
    if act.chat.type == Chat.PRIVATE:
        # Deep links land here: the payload router (handlers.start).
        start_router.private_start(act)
        return
    _help(act)


COMMANDS: tuple[Command, ...] = (
    Command("hjalp", "help", N_("What this chat can do"), help_command, in_private=True),
    Command(
        "koppla",
        "link",
        N_("Link this group to a body of the partnership"),
        chats.link,
        audience="chair",
    ),
    Command("jag", "iam", N_("Say which party you represent"), members.iam),
    Command(
        "namn",
        "name",
        N_("Your name and title in the minutes: /namn First Last, title"),
        members.formal_name,
        in_private=True,
    ),
    Command("ledamoter", "members", N_("Members by party"), members.list_members),
    Command(
        "ordforande",
        "chair",
        N_("Record the chair and the term"),
        members.appoint_chair,
        audience="chair",
    ),
    Command("tidsfrister", "deadlines", N_("Deadlines, by date"), deadlines.list_deadlines),
    Command(
        "avtal",
        "agreement",
        N_("The agreement: period, parties, notice, annexes"),
        agreement_handlers.show,
    ),
    Command(
        "rapport",
        "report",
        N_("The half-yearly activity report (ekonomi: budgets)"),
        reports.report_command,
        in_private=True,
    ),
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
        "bilaga",
        "attach",
        N_("Attach a document to an agenda item (reply to it): /bilaga 5"),
        attachments.attach_command,
        audience="member",
    ),
    Command(
        "flytta",
        "reschedule",
        N_("Move the next meeting (chair)"),
        meeting_changes.reschedule,
        audience="chair",
    ),
    Command(
        "stall_in",
        "cancelmeeting",
        N_("Cancel a meeting (chair)"),
        meeting_changes.cancel_meeting,
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
        justering.end_meeting,
        audience="chair",
    ),
    Command(
        "andring",
        "requestchange",
        N_("Reason for a change to the minutes"),
        justering.change_reason,
        audience="member",
    ),
    Command(
        "utkast",
        "draft",
        N_("New draft of the minutes (chair)"),
        justering.regenerate,
        audience="chair",
    ),
    Command(
        "tillagg", "amend", N_("Amend approved minutes (chair)"), justering.amend, audience="chair"
    ),
    Command(
        "utdrag",
        "extract",
        N_("Extract of one paragraph of approved minutes"),
        justering.extract,
        audience="member",
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
        "exportlogg",
        "exportlog",
        N_("Exports of the partnership (administrator)"),
        privacy.export_log,
        in_groups=False,
        in_private=True,
        audience="chair",
    ),
    Command(
        "mina_uppgifter",
        "mydata",
        N_("Everything stored about me (in private)"),
        privacy.my_data,
        in_private=True,
    ),
    Command(
        "integritet",
        "privacy",
        N_("How my personal data is handled"),
        privacy.privacy_notice,
        in_private=True,
    ),
    Command(
        "kalender",
        "calendar",
        N_("Your calendar subscription of the meetings"),
        calendar_handlers.calendar,
        audience="member",
    ),
    Command(
        "glomma_mig", "forgetme", N_("Erase my personal data"), privacy.forget_me, in_private=True
    ),
)


def add_command_handlers(application: Application, group: int = 0) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", start), group=group)
    for command in COMMANDS:
        application.add_handler(
            CommandHandler([command.sv, command.en], command.callback), group=group
        )


AUDIENCES = {"member": ("everyone", "member"), "chair": ("everyone", "member", "chair")}


def command_list(language: str, *, private: bool, audience: str = "member") -> list[BotCommand]:
    """A menu: the group's (members see theirs; the chair and the administrator, per person,
    theirs as well) or the private chat's."""
    shown = AUDIENCES[audience]
    chosen = [
        c for c in COMMANDS if (c.in_private if private else c.in_groups and c.audience in shown)
    ]
    return [
        BotCommand(c.en if language == "en" else c.sv, t(language, c.description)) for c in chosen
    ]


async def publish_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The menus by scope: members in groups see theirs (short); a group's admins see the
    chair's as well (they link the group, and confirm members until a chair is recorded);
    private chats see the private commands. The chair and the administrators get theirs per
    person and chat (`handlers.menus`)."""
    bot = application.bot
    for scope, private, audience in (
        (BotCommandScopeDefault(), False, "member"),
        (BotCommandScopeAllGroupChats(), False, "member"),
        (BotCommandScopeAllChatAdministrators(), False, "chair"),
        (BotCommandScopeAllPrivateChats(), True, "member"),
    ):
        # Without a language code the Swedish list is what every client sees by default.
        await bot.set_my_commands(
            command_list("sv", private=private, audience=audience), scope=scope
        )
        for language in ("sv", "en"):
            await bot.set_my_commands(
                command_list(language, private=private, audience=audience),
                scope=scope,
                language_code=language,
            )
