"""The decision register: numbered decisions per body and year, outside approvals.

Every function runs in the caller's transaction and raises `Refusal` (nothing changed) for what
the user may not do. A decision is numbered with its body's row locked, so two decisions recorded
at once never get the same number. Decisions that need approval outside the styrgrupp (a
significant revision: the förvaltningschef; the budget frame: socialnämnden) stay pending, with a
weekly reminder in the body's chat, until the partnership's administrator records the approval.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from governance.decision_input import (
    CADENCE_CHANGE,
    STYRGRUPP_KINDS,
    TagProblem,
    TagProblemCode,
    parse_decision_text,
)
from governance.partnership_schema import BodyKind
from governance.protokoll import DecisionKind
from governance.reminder_times import local_instant
from i18n import N_
from services import events
from services.errors import Refusal
from services.members import find_party
from services.partnerships import spec_of
from services.roles import Role
from storage import bodies, reminders
from storage import decisions as repo
from storage.models import AuditEntry, Body, Decision, Partnership, Party

__all__ = [
    "APPROVAL_BY",
    "KIND_PENDING",
    "REVISION_KINDS",
    "DecisionInput",
    "approval_source",
    "approve_decision",
    "cadence_overrides",
    "decision_label",
    "parse_decision_input",
    "parse_label",
    "pending_approval_facts",
    "record_decision",
    "revisions_by_party",
    "search_decisions",
    "sync_approval_reminders",
]

KIND_PENDING = "decision.pending"
# Who approves what outside the body, by decision kind.
APPROVAL_BY: dict[str, str] = {
    DecisionKind.REVISION_SIGNIFICANT: "forvaltningschef",
    DecisionKind.BUDGET_FRAME: "socialnamnden",
}
REVISION_KINDS: tuple[str, ...] = (
    DecisionKind.REVISION_MINOR,
    DecisionKind.REVISION_SIGNIFICANT,
    DecisionKind.BUDGET_FRAME,
)
REMINDER_AT = time(9, 0)
APPROVAL_REMINDER_WEEKS = 52

_TAG_PROBLEMS: dict[TagProblemCode, str] = {
    TagProblemCode.UNCLOSED: N_("The type in brackets is not closed: write for example “[mindre revidering Convictus] text”."),
    TagProblemCode.UNKNOWN: N_("“[{detail}]” is not a decision type. Known types: [mindre revidering Party], [väsentlig revidering Party], [budgetram], [brist dialog Party], [åtgärdsplan Party date], [uteslutning Party], [ny part Name], [mötesintervall months], [förlängning till date], [uppsägning Party]."),
    TagProblemCode.PARTY_MISSING: N_("Say which party the decision concerns, for example “[mindre revidering Convictus] text”."),
    TagProblemCode.NAME_MISSING: N_("Give the new party's name: “[ny part Name] text”."),
    TagProblemCode.DATE_MISSING: N_("An action plan needs a due date: “[åtgärdsplan Convictus 2026-03-01] text”."),
    TagProblemCode.DATE_INVALID: N_("The action plan's due date cannot be used: write a future date such as 2026-03-01."),
    TagProblemCode.DATE_AMBIGUOUS: N_("The action plan's due date can be read as more than one day ({detail}). Write it as YYYY-MM-DD."),
    TagProblemCode.MONTHS_INVALID: N_("Give the meeting interval as a number of months from 1 to 12: “[mötesintervall 2] text”."),
    TagProblemCode.END_MISSING: N_("Give the agreement's new end as a date: “[förlängning till 2027-04-30] text”."),
    TagProblemCode.TEXT_MISSING: N_("Write the decision itself after the type, for example “/beslut [budgetram] The frame is raised to 4 000 000 kr.”"),
}  # fmt: skip


@dataclass(frozen=True)
class DecisionInput:
    kind: str
    party_id: int | None
    due_on: date | None
    months: int | None
    text: str


decision_label = repo.decision_label


_LABEL = re.compile(r"^\s*([A-Za-zÅÄÖåäö]{1,6})\s*([0-9]{4})\s*:\s*([0-9]{1,5})\s*$")


def parse_label(text: str) -> tuple[str, int, int] | None:
    """("SG", 2026, 7) from "SG 2026:7" (also "sg2026:7"); None when it is not a label."""
    match = _LABEL.match(text)
    if match is None:
        return None
    return match.group(1).upper(), int(match.group(2)), int(match.group(3))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _existing_party(session: Session, partnership_id: int, name: str) -> Party | None:
    wanted = _fold(" ".join(name.split()))
    for party in bodies.parties_of(session, partnership_id, active_only=False):
        if wanted in (_fold(party.key), _fold(party.name)):
            return party
    return None


def parse_decision_input(
    session: Session, partnership_id: int, raw: str, *, today: date
) -> DecisionInput:
    """Read an optional leading [tag] and the decision text; raises Refusal on bad tags."""
    parsed = parse_decision_text(raw, today=today)
    if isinstance(parsed, TagProblem):
        raise Refusal(_TAG_PROBLEMS[parsed.code], detail=parsed.detail)
    party_id: int | None = None
    text = parsed.text
    if parsed.kind == DecisionKind.NEW_PARTY:
        name = parsed.party or ""
        known = _existing_party(session, partnership_id, name)
        party_id = known.id if known is not None else None
        # The register keeps the name even when the party is not in the file yet.
        if _fold(name) not in _fold(text):
            text = f"{name}: {text}"
    elif parsed.party is not None:
        party_id = find_party(session, partnership_id, parsed.party).id
    return DecisionInput(
        kind=parsed.kind, party_id=party_id, due_on=parsed.due_on, months=parsed.months, text=text
    )


def _check_body(partnership: Partnership, body: Body, decision: DecisionInput) -> None:
    if decision.kind in STYRGRUPP_KINDS and body.kind != "styrgrupp":
        raise Refusal(
            N_(
                "Revisions of commitments, deficiencies and new parties are decided by the styrgrupp. Raise the question there."
            )
        )
    if decision.kind == CADENCE_CHANGE:
        rule = spec_of(partnership).bodies.get(body.kind)  # type: ignore[call-overload]
        if rule is None or not rule.cadence.adjustable_by_decision:
            raise Refusal(
                N_(
                    "The agreement fixes how often the {body} meets; it cannot be changed by a decision."
                ),
                body=body.name,
            )
        if decision.months is None:
            raise Refusal(_TAG_PROBLEMS[TagProblemCode.MONTHS_INVALID])
    if decision.kind == DecisionKind.DEFICIENCY_ACTION_PLAN and decision.due_on is None:
        raise Refusal(_TAG_PROBLEMS[TagProblemCode.DATE_MISSING])
    if not decision.text.strip():
        raise Refusal(_TAG_PROBLEMS[TagProblemCode.TEXT_MISSING])


def record_decision(
    session: Session,
    *,
    body: Body,
    decision: DecisionInput,
    decided_on: date,
    now: datetime,
    meeting_id: int | None = None,
    agenda_item_id: int | None = None,
    entry_id: int | None = None,
) -> Decision:
    """Number and store a decision; a pending one gets its weekly approval reminders and a
    meeting interval decision recomputes the meeting-interval reminders."""
    assert body.id is not None
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None and partnership.id is not None
    _check_body(partnership, body, decision)
    # Two decisions recorded at once must not get the same number.
    repo.lock_body(session, body.id)
    year = decided_on.year
    approval_by = APPROVAL_BY.get(decision.kind)
    row = Decision(
        body_id=body.id,
        year=year,
        number=repo.next_number(session, body.id, year),
        decided_on=decided_on,
        meeting_id=meeting_id,
        agenda_item_id=agenda_item_id,
        entry_id=entry_id,
        text=decision.text.strip(),
        kind=decision.kind,
        party_id=decision.party_id,
        status="pending_approval" if approval_by else "final",
        approval_by=approval_by,
        due_on=decision.due_on,
        created_at=now,
    )
    repo.add(session, row)
    assert row.id is not None
    detail: dict[str, Any] = {
        "decision_id": row.id,
        "label": decision_label(body, row),
        "kind": row.kind,
    }
    repo.add(
        session,
        AuditEntry(
            partnership_id=partnership.id, at=now, action="decision.recorded", detail=detail
        ),
    )
    if decision.kind == CADENCE_CHANGE:
        repo.add(
            session,
            AuditEntry(
                partnership_id=partnership.id,
                at=now,
                action=repo.CADENCE_AUDIT,
                detail={"decision_id": row.id, "months": decision.months, "body": body.kind},
            ),
        )
    if approval_by:
        sync_approval_reminders(session, row, body, partnership, now=now)
    # The meeting interval's reminders (services.deadlines) and an escalated question decided by
    # this decision (services.escalations) follow, in this transaction.
    events.publish(
        session,
        events.DecisionRecorded(
            decision_id=row.id,
            body_id=body.id,
            partnership_id=partnership.id,
            kind=row.kind,
            agenda_item_id=row.agenda_item_id,
        ),
        now=now,
    )
    return row


# --- outside approval ---------------------------------------------------------------------


def approval_source(decision_id: int) -> str:
    return f"decision:{decision_id}:approval"


def _zone(partnership: Partnership) -> ZoneInfo:
    return ZoneInfo(partnership.timezone)


def sync_approval_reminders(
    session: Session, decision: Decision, body: Body, partnership: Partnership, *, now: datetime
) -> int:
    """Weekly reminders in the body's chat while the decision waits for its approval; none once
    it is approved or rejected, or while the body has no chat. Returns how many are wanted."""
    assert decision.id is not None
    source = approval_source(decision.id)
    if decision.status != "pending_approval" or body.chat_id is None:
        reminders.cancel_source(session, source, now)
        return 0
    zone = _zone(partnership)
    grace = timedelta(hours=spec_of(partnership).reminders.late_send_grace_hours)
    specs: list[reminders.ReminderSpec] = []
    weeks = [
        local_instant(decision.decided_on + timedelta(weeks=week), REMINDER_AT, zone)
        for week in range(1, APPROVAL_REMINDER_WEEKS + 2)
    ]
    payload = {
        "label": decision_label(body, decision),
        "text": decision.text[:300],
        "approval_by": decision.approval_by,
        "since": decision.decided_on.isoformat(),
        "body_name": body.name,
        "diarienummer": partnership.diarienummer,
    }
    for at, expires in itertools.pairwise(weeks):
        if expires <= now or at < now - grace:
            continue
        specs.append(
            reminders.ReminderSpec(
                kind=KIND_PENDING,
                source=source,
                dedupe_key=f"{source}:{at.date().isoformat()}",
                chat_id=body.chat_id,
                thread_id=body.thread_id,
                partnership_id=partnership.id,
                due_at=at,
                expires_at=expires,
                grace_seconds=int(grace.total_seconds()),
                payload=payload,
                language=partnership.language,
            )
        )
    reminders.replace_for_source(session, source, specs, now=now)
    return len(specs)


def approve_decision(
    session: Session,
    *,
    partnership: Partnership,
    label: str,
    role: Role,
    note: str | None,
    now: datetime,
) -> tuple[Decision, Body]:
    """The administrator records the outside approval of a pending decision."""
    assert partnership.id is not None
    if not role.is_administrator:
        raise Refusal(
            N_("Only the partnership's administrator records an approval by the förvaltningschef or socialnämnden.")
        )  # fmt: skip
    parsed = parse_label(label)
    if parsed is None:
        raise Refusal(N_("Name the decision by its number, for example /godkann SG 2026:7."))
    found = repo.find_decision(session, partnership.id, *parsed)
    if found is None:
        raise Refusal(N_("There is no decision {label} in the register."), label=label.strip())
    decision, body = found
    assert decision.id is not None
    locked = repo.get_decision(session, decision.id, lock=True)
    assert locked is not None
    if locked.status != "pending_approval":
        raise Refusal(
            N_("{label} is not waiting for an approval."), label=decision_label(body, locked)
        )
    locked.status = "approved"
    locked.approved_at = now
    locked.approval_note = (note or "").strip() or None
    session.add(locked)
    repo.add(
        session,
        AuditEntry(
            partnership_id=partnership.id,
            at=now,
            actor_user_id=role.person.telegram_user_id if role.person else None,
            action="decision.approved",
            detail={"decision_id": locked.id, "approval_by": locked.approval_by},
        ),
    )
    reminders.cancel_source(session, approval_source(decision.id), now)
    return locked, body


# --- reading the register -----------------------------------------------------------------


def search_decisions(
    session: Session, body: Body, query: str, *, parties: Sequence[Party] = (), limit: int = 20
) -> list[Decision]:
    """The body's decisions, newest first, whose text, number or party matches every word of
    `query` (case and diacritics ignored); all of them without a query."""
    assert body.id is not None
    words = [_fold(w) for w in query.split()]
    if not words:  # the newest, read as many as are shown
        return repo.decisions_of(session, body.id, limit=limit)
    names = {p.id: _fold(p.name) for p in parties}
    found: list[Decision] = []
    for decision in repo.decisions_of(session, body.id):
        haystack = " ".join(
            (
                _fold(decision.text),
                _fold(decision_label(body, decision)),
                names.get(decision.party_id, ""),
                decision.kind,
            )
        )
        if all(w in haystack for w in words):
            found.append(decision)
            if len(found) >= limit:
                break
    return found


def revisions_by_party(
    session: Session, partnership_id: int
) -> list[tuple[Party | None, list[tuple[Decision, Body]]]]:
    """Revisions of commitments (and budget frame decisions) grouped by party, in the file's
    party order; those that name no party come last."""
    rows = repo.decisions_of_kinds(session, partnership_id, REVISION_KINDS)
    grouped: dict[int | None, list[tuple[Decision, Body]]] = {}
    for decision, body, _party in rows:
        grouped.setdefault(decision.party_id, []).append((decision, body))
    out: list[tuple[Party | None, list[tuple[Decision, Body]]]] = []
    for party in bodies.parties_of(session, partnership_id, active_only=False):
        if party.id in grouped:
            out.append((party, grouped.pop(party.id)))
    if None in grouped:
        out.append((None, grouped.pop(None)))
    return out


# --- facts for the deadline rules ---------------------------------------------------------


def cadence_overrides(session: Session, partnership: Partnership) -> dict[BodyKind, int]:
    """The meeting interval each body last decided (kind "cadence_change"), in months."""
    assert partnership.id is not None
    months = repo.cadence_months(session, partnership.id)
    latest: dict[BodyKind, tuple[tuple[date, int, int], int]] = {}
    for decision, body, _party in repo.decisions_of_kinds(
        session, partnership.id, (CADENCE_CHANGE,)
    ):
        assert decision.id is not None
        if decision.status not in ("final", "approved") or decision.id not in months:
            continue
        order = (decision.decided_on, decision.year, decision.number)
        kind: BodyKind = body.kind  # type: ignore[assignment]
        if kind not in latest or latest[kind][0] < order:
            latest[kind] = (order, months[decision.id])
    return {kind: value for kind, (_order, value) in latest.items()}


def pending_approval_facts(
    session: Session, partnership_id: int
) -> list[tuple[str, date, BodyKind | None]]:
    """(number, pending since, body) of every decision waiting for an outside approval."""
    return [
        (decision_label(body, decision), decision.decided_on, body.kind)  # type: ignore[misc]
        for decision, body in repo.pending_of_partnership(session, partnership_id)
    ]
