"""/hjalp and /start: what this chat can do, for this user's role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from i18n import _
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


def private_start() -> str:
    return _(
        "Hello! I am the partnership bot. Here in private I can send you personal "
        "reminders (meetings you have not answered, your action items) and take your "
        "figures for the activity report. Everything else happens in your group's chat. "
        "/hjalp shows the commands."
    )


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
    lines.append(_("Your role here: {role}").format(role=esc(role_label(role.name))))
    return "\n".join(lines)
