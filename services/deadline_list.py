"""/tidsfrister and /klart: the deadlines a chat sees, and marking one met."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
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
    """/tidsfrister. A chat linked mid-term does not get a wall of overdue items: of what fell
    due before the chat was linked, the latest open one of each kind is listed, marked
    (`before_link`), and the older ones only counted (`older`, listed on request)."""

    partnership: Partnership
    body: Body
    show_all: bool
    today: date
    deadlines: list[Deadline]
    names: Names
    # The agreement's state (ended, period ended without extension, under notice, in force).
    agreement: AgreementState | None = None
    linked_on: date | None = None
    before_link: frozenset[str] = frozenset()  # keys, among `deadlines`
    older: list[Deadline] = field(default_factory=list)

    def markable(self) -> list[Deadline]:
        """What the chair or the administrator may mark met from this list, by date."""
        return sorted((d for d in self.deadlines if is_markable(d)), key=lambda d: (d.due, d.key))


def is_markable(deadline: Deadline) -> bool:
    """Gets a "Done" button: not what passes by itself, nor action items and approvals, which
    are marked done where they live (/uppgifter, /godkann)."""
    return (
        not deadline.informational
        and deadline.kind not in NOT_MARKABLE
        and deadline.kind not in service.OWN_REMINDERS
    )


def button_token(key: str) -> str:
    """A short stand-in for a deadline's key in a button (callback data is at most 64 bytes)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def linked_on(body: Body, partnership: Partnership) -> date | None:
    """The local day the body's chat was first linked: deadlines before it are "före koppling"."""
    if body.linked_at is None:
        return None
    return body.linked_at.astimezone(service.zone_of(partnership)).date()


def split_before_link(
    deadlines: list[Deadline], first_day: date | None
) -> tuple[list[Deadline], frozenset[str], list[Deadline]]:
    """(listed, keys of the listed ones from before linking, older ones): of the deadlines due
    before `first_day`, the latest of each kind stays listed, the rest are older. A kind is the
    same duty of the same party and body: each party's latest financial report stays listed
    (they are due on the same day; none is older than another's)."""
    if first_day is None:
        return deadlines, frozenset(), []
    latest: dict[tuple[str, str | None, str | None], Deadline] = {}
    for d in deadlines:
        if d.due < first_day:
            kind = (d.kind, d.party_key, d.body)
            held = latest.get(kind)
            if held is None or (d.due, d.key) > (held.due, held.key):
                latest[kind] = d
    kept = {d.key for d in latest.values()}
    listed = [d for d in deadlines if d.due >= first_day or d.key in kept]
    older = [d for d in deadlines if d.due < first_day and d.key not in kept]
    return listed, frozenset(kept), older


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
    first_day = linked_on(body, partnership)
    listed, before_link, older = split_before_link(chosen, first_day)
    return Listing(
        partnership,
        body,
        show_all,
        today,
        listed,
        _names(session, partnership.id),
        state,
        linked_on=first_day,
        before_link=before_link,
        older=older,
    )


@dataclass(frozen=True)
class Met:
    deadline: Deadline
    names: Names


ONLY_CHAIR = N_(
    "Only the chair of this body or the partnership's administrator can mark a deadline as met."
)


def _require_marker(role: Role) -> None:
    if not (role.is_chair or role.is_administrator):
        raise Refusal(ONLY_CHAIR)


def _open_markable(
    session: Session, partnership: Partnership, body: Body, role: Role, today: date
) -> list[Deadline]:
    return [
        d
        for d in service.list_deadlines(session, partnership, today)
        if not d.informational
        and d.kind not in NOT_MARKABLE
        and (role.is_administrator or concerns(d, body))
    ]


def _record(
    session: Session, partnership: Partnership, role: Role, deadline: Deadline, now: datetime
) -> Met:
    assert partnership.id is not None
    service.mark_met(
        session,
        partnership,
        deadline.key,
        role.person.telegram_user_id if role.person else None,
        now,
    )
    return Met(deadline, _names(session, partnership.id))


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
    _require_marker(role)
    if not key:
        raise Refusal(
            N_("Say which deadline is met: {command} and its key, as /tidsfrister shows."),
            command=command,
        )
    open_ones = _open_markable(session, partnership, body, role, today)
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
    return _record(session, partnership, role, deadline, now)


def mark_met_by_button(
    session: Session,
    *,
    partnership: Partnership,
    body: Body,
    role: Role,
    token: str,
    now: datetime,
) -> Met:
    """A "Klar" button under /tidsfrister or /klart: the chair or the administrator records the
    deadline whose `button_token` it carries. A second press, or one on an old list, changes
    nothing and says why."""
    assert partnership.id is not None
    today = now.astimezone(service.zone_of(partnership)).date()
    _require_marker(role)
    for deadline in _open_markable(session, partnership, body, role, today):
        if is_markable(deadline) and button_token(deadline.key) == token:
            return _record(session, partnership, role, deadline, now)
    if not role.is_administrator and any(
        button_token(d.key) == token for d in service.list_deadlines(session, partnership, today)
    ):
        # Under "/tidsfrister alla": the other body's deadline is for its chair to mark.
        raise Refusal(
            N_(
                "This deadline belongs to another body: its chair or the partnership's "
                "administrator marks it met."
            )
        )
    if any(button_token(k) == token for k in facts_repo.met_keys(session, partnership.id)):
        raise Refusal(N_("This deadline is already recorded as met."))
    raise Refusal(N_("This deadline is no longer open. /tidsfrister shows the current ones."))


def pick(
    session: Session, *, partnership: Partnership, body: Body, role: Role, now: datetime
) -> Listing:
    """/klart without a key: the open deadlines the chair or the administrator can mark met,
    as in /tidsfrister (older ones from before the chat was linked left out)."""
    _require_marker(role)
    found = listing(session, partnership=partnership, body=body, show_all=False, now=now)
    return replace(found, deadlines=found.markable())
