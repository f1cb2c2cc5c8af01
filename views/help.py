"""/hjalp and /start: what this chat can do, for this user's role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from i18n import _
from services.help import HelpState
from services.roles import Role
from storage.models import Body, Partnership
from views.common import esc


class CommandLike(Protocol):
    @property
    def sv(self) -> str: ...
    @property
    def en(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def audience(self) -> str: ...
    @property
    def in_groups(self) -> bool: ...


def private_help() -> str:
    return _(
        "<b>In private with me</b>\n"
        "/hjalp – this help\n"
        "/mina_uppgifter – everything stored about you\n"
        "/integritet – how your personal data is handled\n"
        "/glomma_mig – erase your personal data\n\n"
        "In your group chat: /koppla links the group to its body, /jag says which party you "
        "represent, /ledamoter lists the members, /ordforande records the chair."
    )


def not_linked() -> str:
    return _(
        "This group is not linked to a partnership yet.\n"
        "The administrator or a group admin writes:\n"
        "<code>/koppla &lt;diarienummer&gt; &lt;styrgrupp|samverkansgrupp&gt;</code>"
    )


def role_label(name: str) -> str:
    labels = {
        "administrator": _("administrator"),
        "chair": _("chair"),
        "member": _("member"),
        "guest": _("not yet a confirmed member"),
    }
    return labels[name]


def group_help(
    body: Body,
    partnership: Partnership,
    role: Role,
    commands: Sequence[CommandLike],
    *,
    english: bool,
    role_text: str | None = None,
) -> str:
    header = _("<b>{body}</b> of {name} ({dnr})").format(
        body=esc(body.name), name=esc(partnership.name), dnr=esc(partnership.diarienummer)
    )
    audiences = {"everyone"}
    if role.is_member or role.can_manage_members:
        audiences.add("member")
    if role.can_manage_members or role.is_chat_admin:
        audiences.add("chair")
    lines = [header, ""]
    for audience, title in (
        ("everyone", None),
        ("member", _("<b>For members</b>")),
        ("chair", _("<b>For the chair and the administrator</b>")),
    ):
        if audience not in audiences:
            continue
        if title:
            lines += ["", title]
        for command in commands:
            if command.audience == audience and command.in_groups:
                name = command.en if english else command.sv
                lines.append(f"/{name} – {esc(_(command.description))}")
    if "chair" in audiences:
        lines.append(_("Confirm members with the buttons under their /jag message."))
    lines.append("")
    lines.append(role_text or _("Your role here: {role}").format(role=esc(role_label(role.name))))
    return "\n".join(lines)


SHOWN = 5
ALL, TOP = "hj:all", "hj:top"


def suggestions(state: HelpState) -> list[str]:
    """The commands (Swedish names) this person most likely wants now, most likely first."""
    role = state.role
    kind = state.body.kind
    out: list[str] = []
    if not role.is_member and not role.can_manage_members:
        if role.is_chat_admin and not state.has_chair:
            out.append("ordforande")  # a group admin records the chair, then the chair leads
        if state.pending_party is None:
            out.append("jag")
        out += ["ledamoter", "moten", "tidsfrister"]
        if role.is_chat_admin:
            out.append("koppla")
        return out
    leader = role.is_chair or role.is_administrator
    if state.in_meeting:
        if state.leads_meeting:
            out += ["beslut", "uppgift", "omrostning", "nasta", "motesslut"]
        else:
            out += ["anteckning", "uppgifter"]
    if leader:
        if state.opens_soon and not state.in_meeting:
            out.append("motesstart")
        if state.next_meeting is None and state.draft is None and not state.in_meeting:
            out.append("kallelse")
        if state.draft is not None:
            out.append("moten")
        if state.minutes_waiting:
            out.append("utkast")
    if state.next_meeting is not None and not state.answered and not state.in_meeting:
        out.append("moten")
    if state.own_actions:
        out.append("uppgifter")
    out.append("punkt")
    if kind == "samverkansgrupp":
        out.append("lyft")
    if leader:
        out += ["omrostning", "tidsfrister", "klart", "ordforande"]
    out += ["moten", "tidsfrister", "uppgifter", "beslutslogg", "ledamoter"]
    return out


def role_line(state: HelpState) -> str:
    """Who this person is here, and what they can do about it."""
    role = state.role
    if role.is_administrator:
        return _("Your role here: administrator")
    if role.is_chair:
        return _("Your role here: chair")
    if role.is_member:
        return _("Your role here: member")
    if state.pending_party is not None:
        return _(
            "You have asked to represent {party}; the chair or the administrator confirms with the buttons under your /jag."
        ).format(party=esc(state.pending_party.name))
    if role.is_chat_admin:
        if state.has_chair:
            return _(
                "You are an admin of this group, not a confirmed member of the body. If you represent one of its parties yourself, write /jag and its name."
            )
        return _(
            "You are an admin of this group, not a confirmed member of the body: until a chair is recorded you can confirm members with the buttons under their /jag. If you represent a party yourself, write /jag and its name."
        )
    return _(
        "You are not a member of this body. If you represent one of its parties, write /jag and its name; the chair confirms."
    )


def top_five(
    state: HelpState, commands: Sequence[CommandLike], *, english: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """/hjalp: the five things this person most likely wants now, and "Show all commands"."""
    by_name = {c.sv: c for c in commands}
    chosen: list[CommandLike] = []
    for name in suggestions(state):
        command = by_name.get(name)
        if command is not None and command not in chosen:
            chosen.append(command)
        if len(chosen) == SHOWN:
            break
    lines = [_("<b>{body}</b> – what you most likely want now:").format(body=esc(state.body.name))]
    for command in chosen:
        name = command.en if english else command.sv
        lines.append(f"/{name} – {esc(_(command.description))}")
    if state.in_meeting and state.leads_meeting:
        lines.append(esc(_("The meeting runs from the pinned panel; the commands keep working.")))
    lines += ["", role_line(state)]
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Show all commands"), callback_data=ALL)]]
    )
    return "\n".join(lines), keyboard


def back_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("◀ " + _("Back"), callback_data=TOP)]])
