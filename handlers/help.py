"""/hjalp and /start: what this chat can do, for this user's role."""

from __future__ import annotations

from telegram import Chat, Update

from bot.i18n import _
from handlers.common import Context, acting_user, esc, is_chat_admin, reply, services
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
    lines = [header, ""]
    lines.append(_("/hjalp – this help"))
    lines.append(_("/ledamoter – members by party"))
    if not role.is_member:
        lines.append(_("/jag &lt;party&gt; – say which party you represent"))
    if role.is_member:
        lines.append(_("/jag &lt;party&gt; – change the party you represent"))
    if role.can_manage_members or role.is_chat_admin:
        lines.append("")
        lines.append(_("<b>For the chair and the administrator</b>"))
        lines.append(_("Confirm members with the buttons under their /jag message."))
        lines.append(_("/ordforande @name [until] – record the chair and the term"))
        lines.append(_("/koppla &lt;diarienummer&gt; &lt;body&gt; – link this chat"))
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
