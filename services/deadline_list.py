"""/tidsfrister and /klart: the deadlines a chat sees, and marking one met."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from governance.deadlines import Deadline
from governance.lifecycle import AgreementState
from i18n import N_
from services import agreement
from services import deadlines as service
from services.errors import Refusal
from services.roles import Role
from storage import bodies
from storage import deadline_facts as facts_repo
from storage.models import Body, Partnership

NOT_MARKABLE = service.PASSES_BY_ITSELF


@dataclass(frozen=True)
class Names:
    """How deadlines name parties and bodies: by their keys in the partnership file."""

    parties: dict[str, str]
    bodies: dict[str, str]


@dataclass(frozen=True)
class Listing:
    partnership: Partnership
    body: Body
    show_all: bool
    today: date
    deadlines: list[Deadline]
    names: Names
    # The agreement's state (ended, period ended without extension, under notice, in force).
    agreement: AgreementState | None = None


def concerns(deadline: Deadline, body: Body) -> bool:
    """Deadlines of this body, of both bodies, and reports delivered to it."""
    return deadline.body in (None, body.kind) or deadline.params.get("to_body") == body.kind


def _names(session: Session, partnership_id: int) -> Names:
    parties = {p.key: p.name for p in bodies.parties_of(session, partnership_id, active_only=False)}
    body_names = {b.kind: b.name for b in bodies.bodies_of(session, partnership_id)}
    return Names(parties, body_names)


def listing(
    session: Session, *, partnership: Partnership, body: Body, show_all: bool, now: datetime
) -> Listing:
    """What is due, by date: this body's deadlines (or all), its reminders brought up to date."""
    assert partnership.id is not None
    today = now.astimezone(service.zone_of(partnership)).date()
    # Listing is a good moment to bring the reminders up to date as well.
    service.sync_reminders(session, partnership, now=now)
    found = service.list_deadlines(session, partnership, today)
    chosen = [d for d in found if show_all or concerns(d, body)]
    state = agreement.state_of(session, partnership, today)
    return Listing(
        partnership, body, show_all, today, chosen, _names(session, partnership.id), state
    )


@dataclass(frozen=True)
class Met:
    deadline: Deadline
    names: Names


def mark_met(
    session: Session,
    *,
    partnership: Partnership,
    body: Body,
    role: Role,
    key: str,
    command: str,
    now: datetime,
) -> Met:
    """/klart <key>: the chair or the administrator records a deadline as met."""
    assert partnership.id is not None
    today = now.astimezone(service.zone_of(partnership)).date()
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
        and (role.is_administrator or concerns(d, body))
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
            N_("There is no open deadline {key} for this chat. /tidsfrister lists them."), key=key
        )
    service.mark_met(
        session,
        partnership,
        deadline.key,
        role.person.telegram_user_id if role.person else None,
        now,
    )
    return Met(deadline, _names(session, partnership.id))
