"""/tidsfrister (what is due, by date) and /klart (a deadline is met)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session
from telegram import Update

from governance.deadlines import Deadline
from handlers.common import (
    Context,
    acting_user,
    command_args,
    esc,
    is_chat_admin,
    refuse,
    reply,
    wake_dispatcher,
)
from i18n import N_, _, current_language
from services import deadlines as service
from services.chats import linked_body_and_partnership
from services.errors import Refusal
from services.roles import role_in_body
from storage import bodies
from storage import deadline_facts as facts_repo
from storage.db import transaction
from storage.models import Body
from views import deadline_reminders as deadline_texts

log = logging.getLogger(__name__)

ALL_WORDS = {"alla", "all"}
NOT_MARKABLE = service.PASSES_BY_ITSELF


def _concerns(deadline: Deadline, body: Body) -> bool:
    """Deadlines of this body, of both bodies, and reports delivered to it."""
    return deadline.body in (None, body.kind) or deadline.params.get("to_body") == body.kind


def _names(session: Session, partnership_id: int) -> tuple[dict[str, str], dict[str, str]]:
    parties = {p.key: p.name for p in bodies.parties_of(session, partnership_id, active_only=False)}
    body_names = {b.kind: b.name for b in bodies.bodies_of(session, partnership_id)}
    return parties, body_names


def _describe(
    deadline: Deadline, parties: dict[str, str], body_names: dict[str, str], language: str
) -> str:
    return deadline_texts.describe(
        deadline.kind,
        deadline.params,
        language,
        party_name=parties.get(deadline.party_key or "", deadline.party_key),
        body_name=body_names.get(deadline.body or "", deadline.body),
        due=deadline.due,
    )


def render_list(
    deadlines: Sequence[Deadline],
    *,
    today: date,
    title: str,
    parties: dict[str, str],
    body_names: dict[str, str],
    language: str,
) -> str:
    """The /tidsfrister answer: one heading per date, each line with its /klart key."""
    lines = [title]
    if not deadlines:
        lines += ["", _("No deadlines in the coming months.")]
        return "\n".join(lines)
    command = deadline_texts.done_command(language)
    current: date | None = None
    for deadline in sorted(deadlines, key=lambda d: (d.due, d.key)):
        if deadline.due != current:
            current = deadline.due
            heading = esc(deadline_texts.long_date(current, language))
            if deadline.is_overdue(today):
                heading += " · " + esc(_("overdue"))
            lines += ["", f"<b>{heading}</b>"]
        text = _describe(deadline, parties, body_names, language)
        if deadline.informational:
            note = esc(_("for information"))
            lines.append(f"• {text} <i>({note})</i>")
        elif deadline.kind in NOT_MARKABLE:
            lines.append(f"• {text}")
        else:
            lines.append(f"• {text}\n  <code>{command} {esc(deadline.key)}</code>")
    lines += [
        "",
        _(
            "When a deadline is met, the chair or the administrator writes {command} and its key."
        ).format(command=command),
    ]
    return "\n".join(lines)


async def list_deadlines(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    language = current_language()
    show_all = command_args(context).casefold() in ALL_WORDS
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            assert partnership.id is not None
            today = svc.today(service.zone_of(partnership))
            # Listing is a good moment to bring the reminders up to date as well.
            service.sync_reminders(session, partnership, now=svc.now())
            found = service.list_deadlines(session, partnership, today)
            chosen = [d for d in found if show_all or _concerns(d, body)]
            parties, body_names = _names(session, partnership.id)
            title = _("<b>Deadlines: {body}</b>\n{dnr} · {name}").format(
                body=esc(body.name) if not show_all else esc(_("all bodies")),
                dnr=esc(partnership.diarienummer),
                name=esc(partnership.name),
            )
            text = render_list(
                chosen,
                today=today,
                title=title,
                parties=parties,
                body_names=body_names,
                language=language,
            )
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    await reply(update, text)
    await wake_dispatcher(context)


async def mark_done(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    svc = context.runtime
    language = current_language()
    command = deadline_texts.done_command(language)
    wanted = command_args(context).split()
    key = wanted[0] if wanted else ""
    admin = await is_chat_admin(update, context)
    user = acting_user(update)
    try:
        with transaction(svc.session_factory) as session:
            body, partnership = linked_body_and_partnership(session, chat.id)
            assert partnership.id is not None
            today = svc.today(service.zone_of(partnership))
            role = role_in_body(
                session, body, user.id if user else None, today, is_chat_admin=admin
            )
            if not (role.is_chair or role.is_administrator):
                raise Refusal(
                    N_(
                        "Only the chair of this body or the partnership's administrator can mark "
                        "a deadline as met."
                    )
                )
            if not key:
                raise Refusal(
                    N_("Say which deadline is met: {command} and its key, as /tidsfrister shows."),
                    command=command,
                )
            open_ones = [
                d
                for d in service.list_deadlines(session, partnership, today)
                if not d.informational
                and d.kind not in NOT_MARKABLE
                and (role.is_administrator or _concerns(d, body))
            ]
            deadline, candidates = service.find_deadline(open_ones, key)
            if deadline is None:
                if facts_repo.get_met(session, partnership.id, key) is not None:
                    raise Refusal(N_("{key} is already recorded as met."), key=key)
                if candidates:
                    raise Refusal(
                        N_("Several deadlines start with {key}: {keys}. Write the whole key."),
                        key=key,
                        keys=", ".join(d.key for d in candidates[:5]),
                    )
                raise Refusal(
                    N_("There is no open deadline {key} for this chat. /tidsfrister lists them."),
                    key=key,
                )
            service.mark_met(
                session,
                partnership,
                deadline.key,
                role.person.telegram_user_id if role.person else None,
                svc.now(),
            )
            parties, body_names = _names(session, partnership.id)
            text = _("Recorded as met: {what} ({day}). Its reminders are cancelled.").format(
                what=_describe(deadline, parties, body_names, language),
                day=esc(deadline_texts.long_date(deadline.due, language)),
            )
    except Refusal as refusal:
        await refuse(update, refusal)
        return
    log.info("deadline %s met in chat %s", deadline.key, chat.id)
    await reply(update, text)
