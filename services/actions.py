"""Action items: owner, due date, status, and the owner's reminders.

Reminders go before and on the due date (the file's ``reminders.lead_days_by_kind.action_item``,
else `DEFAULT_LEAD_DAYS`; the due day itself always) and once the day after when the file asks
for overdue reminders: privately to an owner who has started the bot, else in the body's chat
(and topic). They share the source ``action:<id>``, so marking the item done cancels them.
Open items are what the next meeting follows up (`open_action_items`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from governance.partnership_schema import BodyKind
from governance.reminder_times import OVERDUE, local_instant, reminder_instants
from i18n import N_, pick_language
from services.errors import Refusal
from services.partnerships import spec_of
from services.roles import Role
from storage import decisions as repo
from storage import reminders
from storage.models import ActionItem, AuditEntry, Body, Partnership, Person

__all__ = [
    "DEFAULT_LEAD_DAYS",
    "KIND_DUE",
    "action_item_facts",
    "action_source",
    "mark_done",
    "open_action_items",
    "owner_label",
    "record_action_item",
    "sync_action_reminders",
]

KIND_DUE = "action.due"
DEFAULT_LEAD_DAYS: tuple[int, ...] = (3, 0)
REMINDER_AT = time(9, 0)
OVERDUE_VALID_DAYS = 3


def action_source(item_id: int) -> str:
    return f"action:{item_id}"


def owner_label(person: Person) -> str:
    """A plain name for payloads and facts (rendering escapes it)."""
    if person.erased:
        return "—"
    full = person.formal_name or " ".join(p for p in (person.first_name, person.last_name) if p)
    return full or (f"@{person.username}" if person.username else str(person.telegram_user_id))


def record_action_item(
    session: Session,
    *,
    body: Body,
    owner: Person,
    due_on: date,
    text: str,
    now: datetime,
    meeting_id: int | None = None,
    entry_id: int | None = None,
) -> ActionItem:
    """Store an action item and schedule its owner's reminders."""
    assert body.id is not None and owner.id is not None
    if not text.strip():
        raise Refusal(N_("Say what is to be done: /uppgift @person date text."))
    item = ActionItem(
        body_id=body.id,
        meeting_id=meeting_id,
        entry_id=entry_id,
        owner_person_id=owner.id,
        due_on=due_on,
        text=text.strip(),
        created_at=now,
    )
    repo.add(session, item)
    sync_action_reminders(session, item, body=body, owner=owner, now=now)
    return item


def open_action_items(session: Session, body_id: int) -> list[tuple[ActionItem, Person]]:
    """Open items of a body with their owners, earliest due first (the follow-up list)."""
    return repo.open_items(session, body_id)


def _lead_days(partnership: Partnership) -> tuple[int, ...]:
    configured = spec_of(partnership).reminders.lead_days_by_kind.get("action_item")
    return tuple(sorted({*(configured or DEFAULT_LEAD_DAYS), 0}, reverse=True))


def sync_action_reminders(
    session: Session, item: ActionItem, *, body: Body, owner: Person, now: datetime
) -> int:
    """Bring the item's reminders in line with it (none once it is done or cancelled)."""
    assert item.id is not None
    source = action_source(item.id)
    if item.status != "open":
        reminders.cancel_source(session, source, now)
        return 0
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    spec = spec_of(partnership)
    zone = ZoneInfo(partnership.timezone)
    private = owner.private_chat_id is not None and not owner.erased
    chat_id = owner.private_chat_id if private else body.chat_id
    if chat_id is None:
        reminders.cancel_source(session, source, now)
        return 0
    grace = timedelta(hours=spec.reminders.late_send_grace_hours)
    found = reminder_instants(
        item.due_on,
        _lead_days(partnership),
        tz=zone,
        at=REMINDER_AT,
        overdue_once=spec.reminders.overdue_once,
    )
    end_of_due_day = local_instant(item.due_on + timedelta(days=1), time(0, 0), zone)
    leads = [(label, at) for label, at in found if label != OVERDUE]
    instants: list[tuple[str, datetime, datetime]] = []
    for index, (label, at) in enumerate(leads):
        expires = leads[index + 1][1] if index + 1 < len(leads) else end_of_due_day
        instants.append((label, at, max(expires, at + timedelta(minutes=1))))
    instants += [
        (label, at, at + timedelta(days=OVERDUE_VALID_DAYS))
        for label, at in found
        if label == OVERDUE
    ]
    language = (
        pick_language(owner.language_code, partnership.language, tuple(spec.languages))
        if private
        else partnership.language
    )
    payload = {
        "text": item.text[:500],
        "due": item.due_on.isoformat(),
        "owner": owner_label(owner),
        "owner_user_id": owner.telegram_user_id,
        "private": private,
        "body_name": body.name,
        "diarienummer": partnership.diarienummer,
    }
    specs = [
        reminders.ReminderSpec(
            kind=KIND_DUE,
            source=source,
            dedupe_key=f"{source}:{label}",
            chat_id=chat_id,
            thread_id=None if private else body.thread_id,
            person_id=owner.id,
            partnership_id=partnership.id,
            due_at=at,
            expires_at=expires,
            grace_seconds=int(grace.total_seconds()),
            payload={**payload, "label": label},
            language=language,
        )
        for label, at, expires in instants
        if expires > now and at >= now - grace
    ]
    reminders.replace_for_source(session, source, specs, now=now)
    return len(specs)


def mark_done(
    session: Session, *, body: Body, item_id: int, role: Role, now: datetime
) -> tuple[ActionItem, Person]:
    """The owner, the chair or the administrator marks an open item done."""
    item = repo.get_action_item(session, item_id, lock=True)
    if item is None or item.body_id != body.id:
        raise Refusal(N_("This action item no longer exists."))
    owner = session.get(Person, item.owner_person_id)
    assert owner is not None
    is_owner = role.person is not None and role.person.id == item.owner_person_id
    if not (is_owner or role.is_chair or role.is_administrator):
        raise Refusal(N_("Only the owner, the chair or the administrator can mark this item done."))
    if item.status != "open":
        raise Refusal(N_("This action item is already marked done."))
    item.status = "done"
    item.done_at = now
    session.add(item)
    repo.add(
        session,
        AuditEntry(
            partnership_id=body.partnership_id,
            at=now,
            actor_user_id=role.person.telegram_user_id if role.person else None,
            action="action.done",
            detail={"action_id": item.id},
        ),
    )
    assert item.id is not None
    reminders.cancel_source(session, action_source(item.id), now)
    return item, owner


def action_item_facts(
    session: Session, partnership_id: int
) -> list[tuple[str, date, BodyKind | None, str]]:
    """(key, due, body, owner) of every open item, for the deadline list."""
    return [
        (str(item.id), item.due_on, body.kind, owner_label(owner))  # type: ignore[misc]
        for item, body, owner in repo.open_items_of_partnership(session, partnership_id)
    ]
