"""Pre-handlers: remember who wrote, pick their language, keep personal identity numbers out."""

from __future__ import annotations

import asyncio

from telegram import Chat, Update
from telegram.ext import ApplicationHandlerStop

from governance.personnummer import contains_personal_identity_number
from handlers.common import Context, acting_user, reply
from i18n import _, pick_language, set_language
from storage import bodies, people, updates
from storage.db import transaction
from storage.models import Partnership


def partnership_languages(
    partnership: Partnership | None, fallback: str
) -> tuple[str, tuple[str, ...]]:
    if partnership is None:
        return fallback, ("sv", "en")
    allowed = partnership.spec.get("languages") or [partnership.language]
    return partnership.language, tuple(allowed)


async def handle_once(update: Update, context: Context) -> None:
    """Stops an update that was already taken by this or another bot process."""
    svc = context.runtime
    with transaction(svc.session_factory) as session:
        first = updates.claim_update(session, update.update_id, svc.now())
    if not first:
        raise ApplicationHandlerStop


async def forget_old_updates(context: Context) -> None:
    svc = context.runtime

    def forget() -> None:
        with transaction(svc.session_factory) as session:
            updates.forget_old_updates(session, svc.now())

    # A job: off the event loop, so it never waits for a lock a handler holds (see votes.sweep).
    await asyncio.to_thread(forget)


async def remember_sender(update: Update, context: Context) -> None:
    svc = context.runtime
    user = acting_user(update)
    chat = update.effective_chat
    with transaction(svc.session_factory) as session:
        partnership = None
        if chat is not None and chat.type != Chat.PRIVATE:
            body = bodies.get_body_by_chat(session, chat.id)
            if body is not None:
                partnership = session.get(Partnership, body.partnership_id)
        if user is not None:
            person = people.upsert_person(
                session,
                telegram_user_id=user.id,
                first_name=user.first_name,
                last_name=user.last_name,
                username=user.username,
                language_code=user.language_code,
                now=svc.now(),
            )
            if chat is not None and chat.type == Chat.PRIVATE and person.private_chat_id != chat.id:
                person.private_chat_id = chat.id
                session.add(person)
            if partnership is None:
                memberships = people.body_memberships_of(session, person.id or 0)
                if memberships:
                    partnership = session.get(Partnership, memberships[0][1].partnership_id)
        default, allowed = partnership_languages(partnership, svc.settings.bot_language)
    set_language(pick_language(user.language_code if user else None, default, allowed))


async def refuse_identity_numbers(update: Update, context: Context) -> None:
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
