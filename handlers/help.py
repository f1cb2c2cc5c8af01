"""/hjalp and /start: what this chat can do, for this user's role."""

from __future__ import annotations

from telegram import Chat, Update

from handlers.common import Context, acting_user, esc, is_chat_admin, reply, services
from i18n import _, current_language
from services.roles import role_in_body
from storage import bodies
from storage.db import transaction
from storage.models import Partnership


async def start(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is not None and chat.type == Chat.PRIVATE:
        await reply(
            update,
            _(
                "Hello! I am the partnership bot. Here in private I can send you personal "
                "reminders (meetings you have not answered, your action items) and take your "
                "figures for the activity report. Everything else happens in your group's chat. "
                "/hjalp shows the commands."
            ),
        )
        return
    await help_command(update, context)


async def help_command(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if chat.type == Chat.PRIVATE:
        await reply(
            update,
            _(
                "<b>In private with me</b>\n"
                "/hjalp – this help\n\n"
                "In your group chat: /koppla links the group to its body, /jag says which party you "
                "represent, /ledamoter lists the members, /ordforande records the chair."
            ),
        )
        return
    svc = services(context)
    admin = await is_chat_admin(update, context)
    user = acting_user(update)
    with transaction(svc.session_factory) as session:
        body = bodies.get_body_by_chat(session, chat.id)
        if body is None:
            text = _(
                "This group is not linked to a partnership yet.\n"
                "The administrator or a group admin writes:\n"
                "<code>/koppla &lt;diarienummer&gt; &lt;styrgrupp|samverkansgrupp&gt;</code>"
            )
            await reply(update, text)
            return
        partnership = session.get(Partnership, body.partnership_id)
        assert partnership is not None
        role = role_in_body(
            session, body, user.id if user else None, svc.today(), is_chat_admin=admin
        )
        header = _("<b>{body}</b> of {name} ({dnr})").format(
            body=esc(body.name), name=esc(partnership.name), dnr=esc(partnership.diarienummer)
        )
    from handlers.commands import COMMANDS

    english = current_language() == "en"
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
        for command in COMMANDS:
            if command.audience == audience and command.in_groups:
                name = command.en if english else command.sv
                lines.append(f"/{name} – {esc(_(command.description))}")
    if "chair" in audiences:
        lines.append(_("Confirm members with the buttons under their /jag message."))
    lines.append("")
    lines.append(_("Your role here: {role}").format(role=esc(role_label(role.name))))
    await reply(update, "\n".join(lines))


def role_label(name: str) -> str:
    labels = {
        "administrator": _("administrator"),
        "chair": _("chair"),
        "member": _("member"),
        "guest": _("not yet a confirmed member"),
    }
    return labels[name]
