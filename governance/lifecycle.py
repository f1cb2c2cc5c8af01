"""An agreement's life as dated facts: its periods, its state at a day, each party's participation.

Pure and synchronous. The partnership file gives the rules (``[agreement]``, ``[agreement.renewal]``,
the parties); what happened since is a list of `LifecycleFact` (recorded from decisions or by the
administrator). Nothing here knows one agreement from another: 001 (extension by announcement,
one year at a time) and 004 (automatic extension by half a year unless notice is given) differ
only in their files.

Readings, where the agreements leave a choice:

* A fact of kind ``extension`` gives the new end of the agreement (001 §5.1 "förlängas med ett år i
  taget"): it must be the end of the next step from the current end, and not after ``latest_end``.
  Announcing it after the announcement day is allowed (the parties may still agree) and recorded.
* A period that ended under an extension-by-announcement rule with no extension and no end recorded
  is ``lapsed``: "period ended, extension not recorded" until the administrator records one or the
  other. Where no further step is allowed, or under an automatic rule, the agreement has ``ended``.
* Notice by a party (001 §5.7, 004 "Uppsägning"): the participation ends ``notice_period_months``
  after the day notice was given (same day-number, clamped to month end). In an agreement of two
  parties a notice by either ends the agreement itself (see `governance.deadlines` for how a notice
  stops automatic extensions).
* Expulsion (001 §5.5, 004 "Hävning"): the participation ends on the decided day.
* A new party (001 §5.6.1) takes part from the day of the decision that admits it.
* A party takes part (and its members vote) through the last day of its participation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from governance.calendar import add_months
from governance.deadlines import (
    Facts,
    agreement_term,
    has_ended,
    last_notice_day,
    notice_date_for_extension,
)
from governance.partnership_schema import PartnershipSpec

__all__ = [
    "AgreementState",
    "ExtensionProblem",
    "FactKind",
    "LifecycleFact",
    "Participation",
    "Period",
    "Status",
    "agreement_state",
    "check_extension",
    "consequences",
    "deadline_facts",
    "participation",
    "takes_part",
]

_DAY = timedelta(days=1)


class FactKind(StrEnum):
    EXTENSION = "extension"  # on: the new end
    ENDED = "ended"  # on: the last day (the administrator: "the agreement ended")
    NOTICE = "notice"  # on: the day notice was given; party: who (None: the whole agreement)
    EXPULSION = "expulsion"  # on: the last day of the party's participation
    NEW_PARTY = "new_party"  # on: the first day; party: the new party's key (or name)


class Status(StrEnum):
    IN_FORCE = "in_force"
    UNDER_NOTICE = "under_notice"
    LAPSED = "lapsed"  # the period ended, no extension recorded (yet)
    ENDED = "ended"


@dataclass(frozen=True)
class LifecycleFact:
    kind: FactKind
    on: date
    party: str | None = None
    decision: str | None = None  # the decision's label, e.g. "SG 2026:4"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    basis: Literal["initial", "decision", "automatic"]
    decision: str | None = None


@dataclass(frozen=True)
class Participation:
    party: str
    status: Literal["active", "leaving", "left", "joining"]
    starts_on: date | None = None  # set for parties admitted by decision
    ends_on: date | None = None  # set once notice is given or an expulsion decided
    reason: Literal["notice", "expulsion"] | None = None
    decision: str | None = None  # the decision that admitted or removed it


@dataclass(frozen=True)
class AgreementState:
    today: date
    status: Status
    period: Period  # the current period, or the last one
    periods: tuple[Period, ...]
    end: date  # the end if nobody acts from now on (for LAPSED: the end of the last period)
    notice_given_on: date | None
    next_extension_end: date | None  # where the next step would end, if one is allowed
    announce_by: date | None  # last day to announce the next extension (by announcement)
    notice_by: date | None  # last day of a notice against the next automatic extension
    termination_by: date | None  # last day of a notice that ends the agreement at period.end
    notice_months: int
    parties: tuple[Participation, ...]

    @property
    def open_for_business(self) -> bool:
        """New meetings can be called: the agreement has not ended (a lapsed period waits for
        the administrator; the bodies carry on meanwhile)."""
        return self.status != Status.ENDED


class ExtensionProblem(StrEnum):
    NO_RENEWAL = "no_renewal"  # the file has no renewal rule
    AUTOMATIC = "automatic"  # it extends by itself
    ENDED = "ended"  # notice given or an end recorded
    BEYOND_LATEST = "beyond_latest"  # after latest_end
    NOT_NEXT_STEP = "not_next_step"  # not the end of the next step (detail: the expected end)
    NOT_LATER = "not_later"  # not after the current end


def _agreement_notice(spec: PartnershipSpec, facts: Sequence[LifecycleFact]) -> date | None:
    """The day notice was given on the whole agreement: a notice without party, or by either
    party of a two-party agreement."""
    whole = len(spec.parties) <= 2
    days = [f.on for f in facts if f.kind == FactKind.NOTICE and (f.party is None or whole)]
    return min(days, default=None)


def _ended_on(facts: Sequence[LifecycleFact]) -> date | None:
    return min((f.on for f in facts if f.kind == FactKind.ENDED), default=None)


def _extensions(facts: Sequence[LifecycleFact]) -> list[LifecycleFact]:
    return sorted((f for f in facts if f.kind == FactKind.EXTENSION), key=lambda f: f.on)


def deadline_facts(
    spec: PartnershipSpec, facts: Sequence[LifecycleFact], base: Facts | None = None
) -> Facts:
    """The deadline engine's facts with the lifecycle's: extensions, notice, end, parties."""
    base = base or Facts()
    return replace(
        base,
        extensions=tuple(f.on for f in _extensions(facts)),
        notice_given_on=_agreement_notice(spec, facts),
        ended_on=_ended_on(facts),
        party_ends={
            p.party: p.ends_on for p in _participations(spec, facts, None) if p.ends_on is not None
        },
    )


def _periods(
    spec: PartnershipSpec, facts: Sequence[LifecycleFact], final_end: date
) -> list[Period]:
    agreement = spec.agreement
    periods = [Period(agreement.start, agreement.end, "initial")]
    for fact in _extensions(facts):
        if fact.on <= periods[-1].end:
            continue
        periods.append(Period(periods[-1].end + _DAY, fact.on, "decision", fact.decision))
    renewal = agreement.renewal
    if renewal is not None and renewal.kind == "automatic_extension":
        while periods[-1].end < final_end:
            nxt = renewal.extended_end(periods[-1].end)
            if nxt is None:
                break
            periods.append(Period(periods[-1].end + _DAY, min(nxt, final_end), "automatic"))
    # A notice or a recorded end cuts the last period short.
    cut = [p for p in periods if p.start <= final_end]
    last = cut[-1]
    if last.end > final_end:
        cut[-1] = Period(last.start, final_end, last.basis, last.decision)
    return cut


def _participations(
    spec: PartnershipSpec, facts: Sequence[LifecycleFact], today: date | None
) -> list[Participation]:
    months = spec.agreement.notice_period_months
    keys = [p.key for p in spec.parties]
    keys += [
        f.party
        for f in facts
        if f.kind == FactKind.NEW_PARTY and f.party is not None and f.party not in keys
    ]
    out = []
    for key in keys:
        joined = next((f for f in facts if f.kind == FactKind.NEW_PARTY and f.party == key), None)
        leaving = sorted(
            (
                (add_months(f.on, months), "notice", f.decision)
                if f.kind == FactKind.NOTICE
                else (f.on, "expulsion", f.decision)
            )
            for f in facts
            if f.party == key and f.kind in (FactKind.NOTICE, FactKind.EXPULSION)
        )
        ends_on, reason, decision = leaving[0] if leaving else (None, None, None)
        starts_on = joined.on if joined is not None else None
        status: Literal["active", "leaving", "left", "joining"] = "active"
        if today is not None:
            if starts_on is not None and today < starts_on:
                status = "joining"
            elif ends_on is not None:
                status = "left" if today > ends_on else "leaving"
        out.append(
            Participation(
                party=key,
                status=status,
                starts_on=starts_on,
                ends_on=ends_on,
                reason=reason,  # type: ignore[arg-type]
                decision=decision or (joined.decision if joined is not None else None),
            )
        )
    return out


def participation(
    spec: PartnershipSpec, facts: Sequence[LifecycleFact], party: str, today: date
) -> Participation | None:
    return next((p for p in _participations(spec, facts, today) if p.party == party), None)


def takes_part(
    spec: PartnershipSpec, facts: Sequence[LifecycleFact], party: str, day: date
) -> bool:
    """Whether `party` takes part (votes) on `day`: between its first and last day."""
    found = participation(spec, facts, party, day)
    return found is None or found.status in ("active", "leaving")


def agreement_state(
    spec: PartnershipSpec, facts: Sequence[LifecycleFact], today: date
) -> AgreementState:
    agreement = spec.agreement
    renewal = agreement.renewal
    engine_facts = deadline_facts(spec, facts)
    term = agreement_term(spec, engine_facts, today)
    final_end = term.final_end
    periods = _periods(spec, facts, final_end)
    period = next((p for p in periods if p.start <= today <= p.end), periods[-1])
    notice = _agreement_notice(spec, facts)
    ended = _ended_on(facts)
    next_end = (
        renewal.extended_end(period.end)
        if renewal is not None and notice is None and ended is None
        else None
    )
    if today <= final_end:
        status = Status.UNDER_NOTICE if notice is not None or ended is not None else Status.IN_FORCE
    elif has_ended(spec, engine_facts, today):
        status = Status.ENDED
    else:
        status = Status.LAPSED
    announce_by = notice_by = termination_by = None
    if status == Status.IN_FORCE and renewal is not None and next_end is not None:
        if renewal.kind == "extension_by_agreement":
            announce_by = renewal.announce_by(period.end)
        else:
            notice_by = notice_date_for_extension(renewal, period.end + _DAY)
    if status == Status.IN_FORCE:
        termination_by = last_notice_day(period.end, agreement.notice_period_months)
    return AgreementState(
        today=today,
        status=status,
        period=period,
        periods=tuple(periods),
        end=final_end,
        notice_given_on=notice,
        next_extension_end=next_end if status in (Status.IN_FORCE, Status.LAPSED) else None,
        announce_by=announce_by,
        notice_by=notice_by,
        termination_by=termination_by,
        notice_months=agreement.notice_period_months,
        parties=tuple(_participations(spec, facts, today)),
    )


def check_extension(
    spec: PartnershipSpec, facts: Sequence[LifecycleFact], new_end: date
) -> tuple[ExtensionProblem, date | None] | None:
    """Why `new_end` cannot be recorded as the agreement's new end (None: it can). The date in
    the answer is the end the rule allows next, or the latest end."""
    renewal = spec.agreement.renewal
    if renewal is None:
        return ExtensionProblem.NO_RENEWAL, None
    if renewal.kind == "automatic_extension":
        return ExtensionProblem.AUTOMATIC, renewal.latest_end
    if _agreement_notice(spec, facts) is not None or _ended_on(facts) is not None:
        return ExtensionProblem.ENDED, None
    current = max([spec.agreement.end, *(f.on for f in _extensions(facts))])
    expected = renewal.extended_end(current)
    if new_end <= current:
        return ExtensionProblem.NOT_LATER, current
    if new_end > renewal.latest_end or expected is None:
        return ExtensionProblem.BEYOND_LATEST, renewal.latest_end
    if new_end != expected:
        return ExtensionProblem.NOT_NEXT_STEP, expected
    return None


def consequences(old: AgreementState, new: AgreementState) -> list[str]:
    """What a changed partnership file changes in the agreement's life as of the same day, one
    line each (for the import's dry run): "notice period 3 → 4 months: …"."""

    def iso(day: date | None) -> str:
        return day.isoformat() if day is not None else "none"

    lines: list[str] = []
    if old.status != new.status:
        lines.append(f"state: {old.status.value} → {new.status.value}")
    if old.end != new.end:
        lines.append(f"end of the agreement: {iso(old.end)} → {iso(new.end)}")
    if old.period != new.period:
        lines.append(
            f"current period: {iso(old.period.start)}..{iso(old.period.end)}"
            f" → {iso(new.period.start)}..{iso(new.period.end)}"
        )
    dates = (
        ("last day to announce an extension", old.announce_by, new.announce_by),
        ("last day of notice against the next extension", old.notice_by, new.notice_by),
        ("last day to give notice for the period's end", old.termination_by, new.termination_by),
        ("next extension would end", old.next_extension_end, new.next_extension_end),
    )
    moved = [f"{what} moves {iso(a)} → {iso(b)}" for what, a, b in dates if a != b]
    if old.notice_months != new.notice_months:
        head = f"notice period {old.notice_months} → {new.notice_months} months"
        lines.append(head + (": " + "; ".join(moved) if moved else ""))
    else:
        lines += moved
    old_parties = {p.party: p for p in old.parties}
    for party in new.parties:
        before = old_parties.get(party.party)
        if before is not None and before.ends_on != party.ends_on:
            lines.append(
                f"participation of {party.party} ends {iso(before.ends_on)} → {iso(party.ends_on)}"
            )
    return lines
