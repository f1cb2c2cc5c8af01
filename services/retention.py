"""Retention (GDPR art. 5(1)(e)): personal data kept no longer than each partnership's
`[privacy]` periods allow. Run daily; idempotent, so a missed or doubled run does no harm.

The database says what is due at `now`: members whose memberships all ended longer ago than
the period are erased (their names stay only in locked minutes), people who wrote to the bot
but never became members are erased after the same period, and finished reminders, processed
update ids, audit rows and export records older than their periods are pruned. Each step works
in small transactions, so handlers never wait long for SQLite's write lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlmodel import Session, col, select

from governance.partnership_schema import Privacy
from governance.privacy import RetentionCutoffs, erasure_due, shared_cutoffs
from services.errors import Refusal
from services.partnerships import spec_of
from services.privacy import FINISHED, delete_files, erase, file_ids, not_archived
from storage.db import SessionFactory, transaction
from storage.inbox import InboundUpdate
from storage.models import (
    Administrator,
    AuditEntry,
    Body,
    ExportRecord,
    Membership,
    MembershipStatus,
    Partnership,
    Person,
    ProcessedUpdate,
)
from storage.personal_data import PERSON_COLUMNS, PLAIN_PERSON_ID_COLUMNS
from storage.reminders import Reminder

BATCH = 500
ACTIVE = (MembershipStatus.PENDING, MembershipStatus.CONFIRMED)
PRUNED = "pruned"  # last_error of a tombstone: its payload was emptied


@dataclass
class RetentionReport:
    """Counts only: what the run erased or pruned (the log line shows nothing else)."""

    departed_erased: int = 0
    bystanders_erased: int = 0
    processed_updates: int = 0
    inbox_updates: int = 0
    reminders_deleted: int = 0
    reminders_emptied: int = 0
    audit_rows: int = 0
    export_records: int = 0

    def as_text(self) -> str:
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


def run_retention(factory: SessionFactory, *, now: datetime) -> RetentionReport:
    report = RetentionReport()
    with transaction(factory) as session:
        policies = _policies(session)
    shared = shared_cutoffs(policies.values(), now)
    report.departed_erased = _erase_departed(factory, policies, now)
    report.bystanders_erased = _erase_bystanders(factory, shared, now)
    report.processed_updates = _delete_batches(
        factory,
        ProcessedUpdate,
        ProcessedUpdate.update_id,
        col(ProcessedUpdate.processed_at) < shared.processed_updates,
    )
    report.inbox_updates = _delete_batches(
        factory,
        InboundUpdate,
        InboundUpdate.update_id,
        col(InboundUpdate.handled_at) < shared.processed_updates,
    )
    deleted, emptied = _prune_reminders(factory, policies, shared, now)
    report.reminders_deleted, report.reminders_emptied = deleted, emptied
    report.audit_rows = _prune_by_partnership(
        factory, AuditEntry, AuditEntry.at, AuditEntry.partnership_id, policies, shared, now
    )
    report.export_records = _prune_by_partnership(
        factory,
        ExportRecord,
        ExportRecord.requested_at,
        ExportRecord.partnership_id,
        policies,
        shared,
        now,
    )
    return report


def _policies(session: Session) -> dict[int, Privacy]:
    return {
        p.id: spec_of(p).privacy
        for p in session.exec(select(Partnership)).all()
        if p.id is not None
    }


# --- people -----------------------------------------------------------------------------------


def _administrator_ids(session: Session) -> set[int]:
    return set(session.exec(select(Administrator.telegram_user_id)).all())


def _still_needed(person: Person, admins: set[int]) -> bool:
    """An administrator (appointed in the partnership file or by the CLI) is still part of
    the partnership's work, whatever their memberships say. Nothing else holds an erasure up:
    a departed chair's term or open action items keep a pseudonymous reference."""
    return person.telegram_user_id in admins


def _erase_departed(factory: SessionFactory, policies: dict[int, Privacy], now: datetime) -> int:
    with transaction(factory) as session:
        rows = session.exec(
            select(Membership, Body.partnership_id)
            .join(Body, col(Body.id) == Membership.body_id)
            .join(Person, col(Person.id) == Membership.person_id)
            .where(col(Person.erased).is_(False))
        ).all()
    ends: dict[int, list[tuple[datetime, Privacy]]] = defaultdict(list)
    active: set[int] = set()
    for membership, partnership_id in rows:
        if membership.status in ACTIVE:
            active.add(membership.person_id)
            continue
        ended = membership.ended_at or membership.decided_at or membership.requested_at
        ends[membership.person_id].append((ended, policies.get(partnership_id, Privacy())))
    due = sorted(
        pid for pid, ended in ends.items() if pid not in active and erasure_due(ended, now)
    )
    return _erase_each(factory, due, now, reason="retention")


def _erase_bystanders(factory: SessionFactory, shared: RetentionCutoffs, now: datetime) -> int:
    """People who wrote to the bot (their names were stored on the way) but never asked to be
    members: erased once the departed-member period has passed since they were first seen."""
    with transaction(factory) as session:
        members = select(Membership.person_id).distinct()
        due = list(
            session.exec(
                select(Person.id).where(
                    col(Person.erased).is_(False),
                    col(Person.created_at) < shared.departed,
                    col(Person.id).not_in(members),
                )
            ).all()
        )
    return _erase_each(factory, [d for d in due if d is not None], now, reason="retention")


def _erase_each(
    factory: SessionFactory, person_ids: Sequence[int], now: datetime, *, reason: str
) -> int:
    erased = 0
    for person_id in person_ids:
        with transaction(factory) as session:
            person = session.get(Person, person_id)
            if person is None or person.erased:
                continue
            if _still_needed(person, _administrator_ids(session)):
                continue
            try:
                erase(session, person, now=now, reason=reason)
            except Refusal:
                continue
            if not _referenced(session, person_id):
                session.delete(person)
            erased += 1
    return erased


def _referenced(session: Session, person_id: int) -> bool:
    for entry in (*PERSON_COLUMNS, *PLAIN_PERSON_ID_COLUMNS):
        found = session.exec(select(func.count()).where(entry.attribute == person_id)).one()
        if found:
            return True
    return False


# --- records ----------------------------------------------------------------------------------


def _delete_batches(factory: SessionFactory, model: Any, key: Any, condition: Any) -> int:
    total = 0
    while True:
        with transaction(factory) as session:
            ids = list(session.exec(select(key).where(condition).limit(BATCH)).all())
            if not ids:
                return total
            session.execute(
                delete(model).where(col(key).in_(ids)).execution_options(synchronize_session=False)
            )
        total += len(ids)
        if len(ids) < BATCH:
            return total


def _by_partnership(
    partnership_column: Any,
    policies: dict[int, Privacy],
    shared: RetentionCutoffs,
    now: datetime,
    instant: Any,
    pick: str,
) -> Any:
    """`instant` older than the cutoff named `pick` of the row's partnership (or the shared one)."""
    clauses = [
        and_(partnership_column == pid, instant < getattr(RetentionCutoffs.of(p, now), pick))
        for pid, p in policies.items()
    ]
    clauses.append(
        and_(
            or_(partnership_column.is_(None), col(partnership_column).not_in(list(policies))),
            instant < getattr(shared, pick),
        )
    )
    return or_(*clauses)


def _prune_by_partnership(
    factory: SessionFactory,
    model: Any,
    instant: Any,
    partnership_column: Any,
    policies: dict[int, Privacy],
    shared: RetentionCutoffs,
    now: datetime,
) -> int:
    condition = _by_partnership(partnership_column, policies, shared, now, col(instant), "audit")
    return _delete_batches(factory, model, model.id, condition)


def _prune_reminders(
    factory: SessionFactory, policies: dict[int, Privacy], shared: RetentionCutoffs, now: datetime
) -> tuple[int, int]:
    """Finished reminders and outbox rows past their period, with the documents they stored.

    A row with an expiry can never be scheduled again (every scheduler skips expired
    occurrences), so it is deleted; a row without one is kept as an empty tombstone, its key
    still saying "already sent". Archives (the locked protokoll's PDF) are never pruned."""

    def older(column: Any) -> Any:
        return _by_partnership(
            col(Reminder.partnership_id), policies, shared, now, col(column), "reminders"
        )

    finished = and_(col(Reminder.state).in_(FINISHED), not_archived())
    deleted = _reminder_batches(
        factory,
        and_(
            finished,
            col(Reminder.expires_at).is_not(None),
            older(Reminder.expires_at),
            older(Reminder.updated_at),
        ),
        lambda ids: delete(Reminder).where(col(Reminder.id).in_(ids)),
    )
    emptied = _reminder_batches(
        factory,
        and_(
            finished,
            col(Reminder.expires_at).is_(None),
            older(Reminder.due_at),
            older(Reminder.updated_at),
            col(Reminder.last_error).is_distinct_from(PRUNED),
        ),
        lambda ids: (
            update(Reminder)
            .where(col(Reminder.id).in_(ids))
            .values(payload={}, last_error=PRUNED, updated_at=now)
        ),
    )
    return deleted, emptied


def _reminder_batches(factory: SessionFactory, condition: Any, change: Any) -> int:
    """Applies `change(ids)` to the rows matching `condition`, a batch per transaction, after
    deleting the documents those rows stored."""
    total = 0
    while True:
        with transaction(factory) as session:
            rows = session.exec(
                select(Reminder.id, Reminder.payload).where(condition).limit(BATCH)
            ).all()
            if not rows:
                return total
            ids = [rid for rid, _payload in rows]
            delete_files(session, [f for _rid, payload in rows for f in file_ids(payload)])
            session.execute(change(ids).execution_options(synchronize_session=False))
        total += len(ids)
        if len(ids) < BATCH:
            return total
