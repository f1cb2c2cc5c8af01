"""Deadlines of a stored partnership: facts from the database, listing, reminders, /klart.

The rules live in `governance.deadlines` (pure); this module loads the facts they need, turns
each deadline into reminder rows for the chat of the body it concerns, and records a deadline
as met. Each deadline's reminders share one source, ``deadline:<partnership id>:<key>``, so a
recomputation or a met fact replaces or cancels exactly them.

Which reminder instants are kept (see ``_instants``):

* each lead reminder expires when the next one of the same deadline is due (the last one at the
  end of the due day), and the overdue one a few days after it: after a pause the bot sends the
  most recent reminder once, never a backlog of stale ones;
* an instant more than the grace period in the past is not scheduled afresh (linking a chat
  does not replay old reminders), but a row that already exists for it is kept, so a bot that was
  down across a reminder still sends it, marked late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from governance import lifecycle as lifecycle_rules
from governance.deadlines import Deadline, Facts, deadlines_for, lead_days_for
from governance.decision_input import CADENCE_CHANGE
from governance.partnership_schema import BodyKind, PartnershipSpec
from governance.reminder_times import OVERDUE, local_instant, reminder_instants
from i18n import pick_language
from services import actions, decisions, events, report_reminders
from services.partnerships import spec_of
from storage import agreement_facts, bodies, deadline_facts
from storage import reminders as repo
from storage.models import AuditEntry, Body, ChairTerm, Meeting, MeetingStatus, Partnership
from storage.types import utcnow

HORIZON_DAYS = 400
REMINDER_AT = time(9, 0)
OVERDUE_VALID_DAYS = 3  # an overdue reminder not sent within this many days is dropped
KIND_PREFIX = "deadline."
# Dates that pass by themselves: nobody marks them met, and "overdue" makes no sense for them.
PASSES_BY_ITSELF = frozenset({"agreement_end", "party_leaves"})
# Listed here, reminded by their own services (the owner privately; weekly until approved).
OWN_REMINDERS = frozenset({"action_item", "pending_approval"})

__all__ = [
    "HORIZON_DAYS",
    "KIND_PREFIX",
    "PASSES_BY_ITSELF",
    "SyncResult",
    "asks_administrator",
    "find_deadline",
    "list_deadlines",
    "load_facts",
    "mark_met",
    "partnership_ids",
    "reminder_kind",
    "source_of",
    "sync_all",
    "sync_reminders",
    "sync_some",
    "target_bodies",
]


def asks_administrator(deadline: Deadline) -> bool:
    """The end of a period that may be extended by announcement (001): the day after it, unless
    an extension, a notice or the end was recorded, the administrator is asked with buttons
    (extended to … / ended) in its reminder."""
    params = deadline.params
    return (
        deadline.kind == "agreement_end"
        and bool(params.get("next_term_end"))
        and not params.get("extends_automatically")
        and not params.get("notice_given_on")
    )


def source_of(partnership_id: int, key: str) -> str:
    return f"deadline:{partnership_id}:{key}"


def reminder_kind(deadline: Deadline) -> str:
    return f"{KIND_PREFIX}{deadline.kind}"


def zone_of(partnership: Partnership) -> ZoneInfo:
    return ZoneInfo(partnership.timezone)


def load_facts(session: Session, partnership: Partnership, *, today: date | None = None) -> Facts:
    """What is recorded for the partnership, as the pure rules want it: met keys, current chair
    terms, published meetings, open action items, pending approvals, decided meeting intervals (`today` in the partnership's zone; default: now)."""
    assert partnership.id is not None
    if today is None:
        today = utcnow().astimezone(zone_of(partnership)).date()
    last_meetings, next_meetings = _meeting_days(session, partnership, today)
    chair_terms: list[tuple[BodyKind, date]] = []
    for body in bodies.bodies_of(session, partnership.id):
        # Only the latest term counts: an earlier one ended because a new chair was chosen.
        latest = session.exec(
            select(ChairTerm)
            .where(ChairTerm.body_id == body.id)
            .order_by(col(ChairTerm.starts_on).desc(), col(ChairTerm.id).desc())
        ).first()
        if latest is not None and latest.ends_on is not None:
            chair_terms.append((body.kind, latest.ends_on))  # type: ignore[arg-type]
    recorded = Facts(
        met_keys=frozenset(deadline_facts.met_keys(session, partnership.id)),
        chair_terms=tuple(chair_terms),
        last_meetings=last_meetings,
        next_meetings=next_meetings,
        # 004: a body may decide another interval ("cadence_change"); the latest one counts.
        cadence_overrides=decisions.cadence_overrides(session, partnership),
        action_items=tuple(actions.action_item_facts(session, partnership.id)),
        pending_approvals=tuple(decisions.pending_approval_facts(session, partnership.id)),
    )
    # Extensions, notices, an end, parties leaving (governance.lifecycle).
    lifecycle = agreement_facts.lifecycle_facts(session, partnership.id)
    return lifecycle_rules.deadline_facts(spec_of(partnership), lifecycle, recorded)


def _meeting_days(
    session: Session, partnership: Partnership, today: date
) -> tuple[dict[BodyKind, date | None], dict[BodyKind, date | None]]:
    """Per body: the local day of the last published meeting held (on or before `today`) and of
    the next one called (after it). Drafts and cancelled meetings count for nothing."""
    zone = zone_of(partnership)
    last: dict[BodyKind, date | None] = {}
    upcoming: dict[BodyKind, date | None] = {}
    rows = session.exec(
        select(Body.kind, Meeting.starts_at)
        .join(Body, col(Body.id) == Meeting.body_id)
        .where(Body.partnership_id == partnership.id, Meeting.status == MeetingStatus.PUBLISHED)
    ).all()
    for kind, starts_at in rows:
        day = starts_at.astimezone(zone).date()
        key: BodyKind = kind  # type: ignore[assignment]
        if day <= today:
            held = last.get(key)
            last[key] = day if held is None else max(held, day)
        else:
            called = upcoming.get(key)
            upcoming[key] = day if called is None else min(called, day)
    return last, upcoming


def list_deadlines(
    session: Session, partnership: Partnership, today: date, *, horizon_days: int = HORIZON_DAYS
) -> list[Deadline]:
    """Open deadlines from `today` over the horizon, plus those overdue and still owed."""
    return deadlines_for(
        spec_of(partnership),
        today=today,
        horizon_days=horizon_days,
        facts=load_facts(session, partnership, today=today),
    )


def target_bodies(deadline: Deadline, linked: dict[str, Body]) -> list[Body]:
    """The linked bodies whose chat a deadline's reminders go to (no body: both)."""
    kinds: Sequence[str] = (
        [deadline.body] if deadline.body is not None else ["styrgrupp", "samverkansgrupp"]
    )
    return [linked[k] for k in kinds if k in linked]


def find_deadline(
    deadlines: Sequence[Deadline], text: str
) -> tuple[Deadline | None, list[Deadline]]:
    """The deadline `text` names: its key, or a prefix of exactly one key.
    Returns (match, candidates); candidates are listed when the prefix is ambiguous."""
    wanted = text.strip()
    if not wanted:
        return None, []
    for deadline in deadlines:
        if deadline.key == wanted:
            return deadline, []
    folded = wanted.casefold()
    found = [d for d in deadlines if d.key.casefold().startswith(folded)]
    if len(found) == 1:
        return found[0], []
    return None, found


# --- reminders ----------------------------------------------------------------------------


@dataclass
class SyncResult:
    deadlines: int = 0
    scheduled: int = 0  # reminder specs handed to the repository
    cancelled: int = 0


def _instants(
    spec: PartnershipSpec, deadline: Deadline, zone: ZoneInfo
) -> list[tuple[str, datetime, datetime]]:
    """(label, due instant, expiry) of each reminder of a deadline."""
    lead_days = lead_days_for(spec, deadline)
    if not lead_days:
        return []
    found = reminder_instants(
        deadline.due,
        lead_days,
        tz=zone,
        at=REMINDER_AT,
        overdue_once=spec.reminders.overdue_once
        and (deadline.kind not in PASSES_BY_ITSELF or asks_administrator(deadline)),
    )
    end_of_due_day = local_instant(deadline.due + timedelta(days=1), time(0, 0), zone)
    leads = [(label, at) for label, at in found if label != OVERDUE]
    out: list[tuple[str, datetime, datetime]] = []
    for index, (label, at) in enumerate(leads):
        # Superseded by the next reminder of the same deadline.
        expires = leads[index + 1][1] if index + 1 < len(leads) else end_of_due_day
        out.append((label, at, max(expires, at + timedelta(minutes=1))))
    for label, at in found:
        if label == OVERDUE:
            out.append((label, at, at + timedelta(days=OVERDUE_VALID_DAYS)))
    return out


def _existing_keys(session: Session, source: str) -> set[str]:
    return set(
        session.exec(select(repo.Reminder.dedupe_key).where(repo.Reminder.source == source)).all()
    )


def _payload(
    partnership: Partnership,
    deadline: Deadline,
    body: Body,
    label: str,
    party_names: dict[str, str],
) -> dict[str, Any]:
    return {
        "kind": deadline.kind,
        "key": deadline.key,
        "due": deadline.due.isoformat(),
        "label": label,
        "params": dict(deadline.params),
        "body": deadline.body,
        "body_name": body.name,
        "party_key": deadline.party_key,
        "party_name": party_names.get(deadline.party_key or "", deadline.party_key),
        "diarienummer": partnership.diarienummer,
        "partnership_name": partnership.name,
    }


@events.subscribe(events.DecisionRecorded)
def _interval_decided(session: Session, event: events.DecisionRecorded, now: datetime) -> None:
    """A decision on the meeting interval moves the meeting-interval reminders."""
    if event.kind == CADENCE_CHANGE:
        partnership = session.get(Partnership, event.partnership_id)
        if partnership is not None:
            sync_reminders(session, partnership, now=now)


@events.subscribe(events.ChatLinked)
def _chat_linked(session: Session, event: events.ChatLinked, now: datetime) -> None:
    """The chat now receives this body's deadline reminders."""
    partnership = session.get(Partnership, event.partnership_id)
    if partnership is not None:
        sync_reminders(session, partnership, now=now)


@events.subscribe(events.ChairAppointed)
def _chair_appointed(session: Session, event: events.ChairAppointed, now: datetime) -> None:
    """The end of the new chair's term is a deadline with its own reminders."""
    partnership = session.get(Partnership, event.partnership_id)
    if partnership is not None:
        sync_reminders(session, partnership, now=now)


def sync_reminders(session: Session, partnership: Partnership, *, now: datetime) -> SyncResult:
    """Bring the partnership's deadline reminders in line with its deadlines as of `now`.

    Runs in the caller's transaction; idempotent (rows are keyed by deadline, chat's body and
    lead). Reminders of deadlines no longer listed (met, changed, past) are cancelled.
    """
    assert partnership.id is not None
    spec = spec_of(partnership)
    zone = zone_of(partnership)
    today = now.astimezone(zone).date()
    grace = timedelta(hours=spec.reminders.late_send_grace_hours)
    all_bodies = bodies.bodies_of(session, partnership.id)
    linked = {b.kind: b for b in all_bodies if b.chat_id is not None}
    party_names = {
        p.key: p.name for p in bodies.parties_of(session, partnership.id, active_only=False)
    }
    result = SyncResult()
    deadlines = list_deadlines(session, partnership, today)
    result.deadlines = len(deadlines)
    sources: set[str] = set()
    for deadline in deadlines:
        if deadline.kind in OWN_REMINDERS:
            continue
        source = source_of(partnership.id, deadline.key)
        sources.add(source)
        instants = _instants(spec, deadline, zone)
        existing = _existing_keys(session, source) if instants else set()
        specs: list[repo.ReminderSpec] = []
        extra: dict[str, Any] = {}
        too_old = bool(linked) and all(_before_link(deadline, b, zone) for b in linked.values())
        if deadline.kind == "activity_report" and instants and not too_old:
            # The group's reminder names who is missing; each of them is also reminded
            # privately where the bot can write to them (services.report_reminders).
            targets, missing = report_reminders.report_reminder_targets(
                session, partnership, deadline.key
            )
            extra["missing"] = missing
            specs += _private_report_specs(
                partnership, deadline, targets, instants, source, existing, now, grace
            )
        for body in target_bodies(deadline, linked):
            assert body.chat_id is not None
            if _before_link(deadline, body, zone):
                continue  # listed as "före koppling" in /tidsfrister, never reminded
            for label, at, expires in instants:
                dedupe = f"{source}:{body.kind}:{label}"
                if expires <= now:
                    continue
                if at < now - grace and dedupe not in existing:
                    continue
                specs.append(
                    repo.ReminderSpec(
                        kind=reminder_kind(deadline),
                        source=source,
                        dedupe_key=dedupe,
                        chat_id=body.chat_id,
                        thread_id=body.thread_id,
                        partnership_id=partnership.id,
                        due_at=at,
                        expires_at=expires,
                        grace_seconds=int(grace.total_seconds()),
                        payload={
                            **_payload(partnership, deadline, body, label, party_names),
                            **extra,
                        },
                        language=partnership.language,
                    )
                )
        outcome = repo.replace_for_source(session, source, specs, now=now)
        result.scheduled += len(specs)
        result.cancelled += outcome.cancelled
    result.cancelled += _cancel_unlisted(session, partnership.id, sources, now)
    return result


def _before_link(deadline: Deadline, body: Body, zone: ZoneInfo) -> bool:
    """A deadline that fell before the body's chat was first linked: a chat starting mid-term
    gets no burst of reminders for it."""
    return body.linked_at is not None and deadline.due < body.linked_at.astimezone(zone).date()


REPORT_PRIVATE_KIND = "report.private_reminder"


def _private_report_specs(
    partnership: Partnership,
    deadline: Deadline,
    targets: Sequence[report_reminders.ReminderTarget],
    instants: Sequence[tuple[str, datetime, datetime]],
    source: str,
    existing: set[str],
    now: datetime,
    grace: timedelta,
) -> list[repo.ReminderSpec]:
    spec = spec_of(partnership)
    out: list[repo.ReminderSpec] = []
    for target in targets:
        assert target.person.id is not None
        language = pick_language(
            target.person.language_code, partnership.language, tuple(spec.languages)
        )
        for label, at, expires in instants:
            dedupe = f"{source}:p{target.person.id}:{label}"
            if expires <= now or (at < now - grace and dedupe not in existing):
                continue
            out.append(
                repo.ReminderSpec(
                    kind=REPORT_PRIVATE_KIND,
                    source=source,
                    dedupe_key=dedupe,
                    chat_id=target.chat_id,
                    person_id=target.person.id,
                    partnership_id=partnership.id,
                    due_at=at,
                    expires_at=expires,
                    grace_seconds=int(grace.total_seconds()),
                    payload={
                        "key": deadline.key,
                        "due": deadline.due.isoformat(),
                        "label": label,
                        "params": dict(deadline.params),
                        "units": list(target.units),
                        "diarienummer": partnership.diarienummer,
                        "partnership_name": partnership.name,
                    },
                    language=language,
                )
            )
    return out


def _cancel_unlisted(session: Session, partnership_id: int, keep: set[str], now: datetime) -> int:
    prefix = source_of(partnership_id, "")
    open_sources = session.exec(
        select(repo.Reminder.source)
        .where(
            col(repo.Reminder.source).startswith(prefix, autoescape=True),
            col(repo.Reminder.state).in_(repo.OPEN_STATES),
        )
        .distinct()
    ).all()
    return sum(repo.cancel_source(session, s, now) for s in open_sources if s not in keep)


def sync_all(session: Session, *, now: datetime) -> int:
    """Sync the deadline reminders of every partnership (at start-up, after linking a chat);
    returns how many reminder specs were scheduled."""
    total = 0
    for partnership in bodies.list_partnerships(session):
        total += sync_reminders(session, partnership, now=now).scheduled
    return total


def partnership_ids(session: Session) -> list[int]:
    """Every partnership's id, for syncing them a few at a time (see `sync_some`)."""
    return bodies.partnership_ids(session)


def sync_some(session: Session, ids: list[int], *, now: datetime) -> int:
    """`sync_all` for some partnerships: a chunk of a re-sync that must not hold the database
    (or the event loop) for long. Idempotent, like `sync_reminders`."""
    total = 0
    for partnership_id in ids:
        partnership = session.get(Partnership, partnership_id)
        if partnership is not None:
            total += sync_reminders(session, partnership, now=now).scheduled
    return total


# --- met ----------------------------------------------------------------------------------


def mark_met(
    session: Session,
    partnership: Partnership,
    key: str,
    user_id: int | None,
    now: datetime,
) -> bool:
    """Record `key` as met and cancel its pending reminders, in the caller's transaction.
    Returns False when it was already recorded."""
    assert partnership.id is not None
    if not key:
        raise ValueError("a deadline key is needed")
    _row, created = deadline_facts.record_met(
        session, partnership.id, key, user_id=user_id, now=now
    )
    repo.cancel_source(session, source_of(partnership.id, key), now)
    if created:
        session.add(
            AuditEntry(
                partnership_id=partnership.id,
                at=now,
                actor_user_id=user_id,
                action="deadline.met",
                detail={"key": key},
            )
        )
        session.flush()
    return created
