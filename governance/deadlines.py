"""Every deadline of a partnership, as data: derived from its file and from recorded facts.

Pure and synchronous. ``deadlines_for`` returns what lies between today and the horizon, plus
the overdue ones still open; callers render the text, schedule the reminders and decide which
chat gets them. Dates are calendar dates in the partnership's time zone; ``params`` hold only
JSON-ready values (dates as ISO strings), so they can go straight into a reminder's payload.

Readings of the agreements, where the text leaves a choice:

* A term ends at the close of its last day. The current term end is the agreement's end, or the
  latest extension recorded in the facts.
* Notice of termination given on day N with a notice period of M months ends the commitment
  at the close of ``add_months(N, M)`` (same day-number M months later, clamped to month end).
  The last day to give notice so that the agreement ends by a term end T is therefore the last
  N with ``add_months(N, M) <= T``: 2026-01-31 for 001 (T 2026-04-30, three months).
* Extension by agreement (001): "six months before expiry" follows ``Renewal.announce_by``
  (2025-10-31 for the term ending 2026-04-30). A recorded notice ends the agreement at the
  earlier of the term end and the end of the notice period (001 §5.7).
* Automatic extension (004): after each term the agreement extends by ``step_months`` up to
  ``latest_end`` unless notice is given by ``notice_by`` (31 December). The notice date for the
  extension starting on day S is the last ``notice_by`` day before S, i.e. 31 December of the
  year before the extension starts: 2023-12-31 for the extension starting 2024-07-01, and
  2024-12-31 for both those starting 2025-01-01 and 2025-07-01. A notice given on day N stops
  every extension whose notice date is on or after N; extensions whose date had passed still
  happen; and the agreement does not end before the notice period has run, so it ends at the
  later of that term end and ``add_months(N, M)`` (never after ``latest_end``): a notice never
  shortens a term, it stops extensions. Without a notice the recurring obligations (reports,
  payments) are listed up to ``latest_end``, the outcome if nobody acts.
* For 004 the last day to give notice so that the agreement ends at the end of the earliest
  term still reachable is the earlier of its 31 December date and the notice-period date; when
  it is the 31 December date it is listed once, as the ``renewal_announcement`` (params
  ``mode`` = ``"notice_against_extension"``), not a second time as ``termination_notice``. In
  the last possible term there is no termination deadline: it ends at ``latest_end`` anyway.
* Reports: a half-year's activity report is due ``due_days_after_period_end`` after the period
  and goes to the socialnämnd meeting in the first ``committee_month`` after the period (the
  May–October 2025 report: due 2025-11-30, January 2026). Operating years end on ``year_end``
  (a 02-29 year end is the last day of February in other years). Only periods and years that
  overlap the agreement are listed.
* Payments (informational) are listed on the first day of each payment period, counted from the
  agreement's start ("betalas ut kvartalsvis": paid at the start of each quarter).
* The financial report and payments concern the styrgrupp chat (the organisations' managers sit
  there); the activity report the chat of the body that delivers it; the agreement's end both.
* A term that ended under extension by announcement with no extension, notice or end recorded
  keeps its ``agreement_end`` listed as overdue (``governance.lifecycle``: "lapsed") until the
  administrator records one; an agreement that has ended lists nothing (``has_ended``).
* Pending approvals have no due date of their own: they are listed from the day they became
  pending (so always as open) until their key is met.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, TypeAlias

from governance.cadence import cadence_window, effective_interval, needs_reminder
from governance.calendar import add_months, month_end
from governance.partnership_schema import (
    BodyKind,
    DeadlineKind,
    PartnershipSpec,
    PaymentSchedule,
    Renewal,
)

__all__ = [
    "AgreementTerm",
    "AnyDeadlineKind",
    "Deadline",
    "Facts",
    "Param",
    "agreement_term",
    "deadlines_for",
    "has_ended",
    "last_notice_day",
    "lead_days_for",
    "notice_date_for_extension",
]

AnyDeadlineKind: TypeAlias = DeadlineKind | Literal["cadence"]
Param: TypeAlias = str | int | bool | None

_DAY = timedelta(days=1)
_PAYMENT_MONTHS: dict[PaymentSchedule, int] = {
    "monthly": 1,
    "quarterly": 3,
    "half_yearly": 6,
    "yearly": 12,
}
# Kinds that stay listed after their day until met: duties someone still owes.
_OPEN_WHEN_OVERDUE: frozenset[str] = frozenset(
    {
        "activity_report",
        "annual_compilation",
        "financial_report",
        "renewal_announcement",
        "chair_term",
        "action_item",
        "pending_approval",
        "cadence",
    }
)


@dataclass(frozen=True)
class Deadline:
    kind: AnyDeadlineKind
    # Unique per occurrence and stable across recomputation: "cadence:styrgrupp:2025-10-20".
    key: str
    due: date
    body: BodyKind | None = None  # the chat it concerns; None: both bodies
    party_key: str | None = None
    params: Mapping[str, Param] = field(default_factory=dict)
    informational: bool = False  # nothing to deliver (payments, documentation rotation)

    def is_overdue(self, today: date) -> bool:
        return self.due < today and not self.informational


@dataclass(frozen=True)
class Facts:
    """What has been recorded, as plain data loaded by the caller."""

    met_keys: AbstractSet[str] = frozenset()
    # New term ends agreed (001 extensions, or any recorded change of the end).
    extensions: Sequence[date] = ()
    notice_given_on: date | None = None
    chair_terms: Sequence[tuple[BodyKind, date]] = ()
    # (key, due, body, owner label)
    action_items: Sequence[tuple[str, date, BodyKind | None, str]] = ()
    # (key, pending since, body)
    pending_approvals: Sequence[tuple[str, date, BodyKind | None]] = ()
    last_meetings: Mapping[BodyKind, date | None] = field(default_factory=dict)
    # Interval in months decided by a body (004), replacing the file's when adjustable.
    cadence_overrides: Mapping[BodyKind, int] = field(default_factory=dict)
    # The next meeting already called per body, if any.
    next_meetings: Mapping[BodyKind, date | None] = field(default_factory=dict)
    # Rotations of the documentation duty decided by a body (rotation = "by_decision").
    documentation_rotations: Sequence[tuple[BodyKind, date]] = ()
    # The administrator recorded that the agreement ended on this day (governance.lifecycle).
    ended_on: date | None = None
    # The last day of a party's participation (notice, expulsion): its reports and payments
    # stop after the operating year or payment period that day falls in.
    party_ends: Mapping[str, date] = field(default_factory=dict)


# --- agreement period ---------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementTerm:
    """The agreement's period as of a day."""

    term_end: date  # end of the current term (the last one if the agreement has ended)
    final_end: date  # the end if nobody acts from now on
    next_term_end: date | None  # end of the next possible extension of the current term
    automatic: bool  # the agreement extends by itself after term_end (004, no notice given)
    notice_given_on: date | None


def notice_date_for_extension(renewal: Renewal, extension_start: date) -> date | None:
    """Last day to give notice against an automatic extension starting on extension_start: the
    last ``notice_by`` day before it. None for renewals without a notice day."""
    if renewal.notice_by is None:
        return None
    month, day = (int(part) for part in renewal.notice_by.split("-"))
    for year in (extension_start.year, extension_start.year - 1):
        candidate = _month_day(year, month, day)
        if candidate < extension_start:
            return candidate
    raise AssertionError("unreachable: a notice day exists in the previous year")


def last_notice_day(term_end: date, notice_months: int) -> date:
    """Last day to give notice so that `notice_months` run out by the close of term_end."""
    day = add_months(term_end, -notice_months) + timedelta(days=3)
    while add_months(day, notice_months) > term_end:
        day -= _DAY
    return day


def _term_ends(spec: PartnershipSpec, facts: Facts) -> list[date]:
    """The current base end, then each automatic extension after it."""
    agreement = spec.agreement
    ends = [max([agreement.end, *facts.extensions])]
    renewal = agreement.renewal
    if renewal is not None and renewal.kind == "automatic_extension":
        while (nxt := renewal.extended_end(ends[-1])) is not None:
            ends.append(nxt)
    return ends


def agreement_term(spec: PartnershipSpec, facts: Facts | None, today: date) -> AgreementTerm:
    """Current and final term end as of `today` (see the module's readings)."""
    facts = facts or Facts()
    agreement = spec.agreement
    renewal = agreement.renewal
    ends = _term_ends(spec, facts)
    notice = facts.notice_given_on
    automatic = renewal is not None and renewal.kind == "automatic_extension"

    if automatic and renewal is not None:
        final = ends[-1]
        if notice is not None:
            stopped = next(
                (
                    end
                    for end in ends[:-1]
                    if (d := notice_date_for_extension(renewal, end + _DAY)) is not None
                    and d >= notice
                ),
                ends[-1],
            )
            final = min(max(stopped, add_months(notice, agreement.notice_period_months)), ends[-1])
        ends = [end for end in ends if end < final] + [final]
    else:
        final = ends[0]
        if notice is not None:
            final = min(final, add_months(notice, agreement.notice_period_months))
        ends = [final]

    if facts.ended_on is not None and facts.ended_on < ends[-1]:
        ends = [end for end in ends if end < facts.ended_on] + [facts.ended_on]
    term_end = next((end for end in ends if end >= today), ends[-1])
    next_end: date | None = None
    if automatic:
        index = ends.index(term_end)
        next_end = ends[index + 1] if index + 1 < len(ends) else None
    elif notice is None and facts.ended_on is None and renewal is not None:
        next_end = renewal.extended_end(term_end)
    return AgreementTerm(
        term_end=term_end,
        final_end=ends[-1],
        next_term_end=next_end,
        automatic=automatic and next_end is not None,
        notice_given_on=notice,
    )


def has_ended(spec: PartnershipSpec, facts: Facts | None, today: date) -> bool:
    """Whether the agreement has ended by `today`: its last term is over and no further step
    can follow (a term under extension by announcement that ended with no extension and no end
    recorded has not ended: it waits for the administrator, see `governance.lifecycle`)."""
    facts = facts or Facts()
    term = agreement_term(spec, facts, today)
    if today <= term.final_end:
        return False
    renewal = spec.agreement.renewal
    waiting = (
        renewal is not None
        and renewal.kind == "extension_by_agreement"
        and facts.notice_given_on is None
        and facts.ended_on is None
        and renewal.extended_end(term.final_end) is not None
    )
    return not waiting


def _agreement_deadlines(
    spec: PartnershipSpec, facts: Facts, today: date, term: AgreementTerm
) -> Iterator[Deadline]:
    agreement = spec.agreement
    renewal = agreement.renewal
    months = agreement.notice_period_months
    yield Deadline(
        "agreement_end",
        f"agreement_end:{term.term_end.isoformat()}",
        term.term_end,
        params={
            "term_end": term.term_end.isoformat(),
            "final_end": term.final_end.isoformat(),
            "next_term_end": _iso(term.next_term_end),
            "extends_automatically": term.automatic,
            "latest_end": _iso(renewal.latest_end if renewal else None),
            "notice_given_on": _iso(term.notice_given_on),
        },
    )
    if term.notice_given_on is not None or term.term_end < today:
        return
    if renewal is not None and renewal.kind == "automatic_extension":
        yield from _automatic_deadlines(spec, facts, today, renewal)
        return

    if renewal is not None and term.next_term_end is not None:
        announce = renewal.announce_by(term.term_end)
        if announce is not None:
            yield Deadline(
                "renewal_announcement",
                f"renewal_announcement:{announce.isoformat()}",
                announce,
                body="styrgrupp",
                params={
                    "mode": "announce_extension",
                    "term_end": term.term_end.isoformat(),
                    "extension_end": term.next_term_end.isoformat(),
                    "step_months": renewal.step_months,
                    "months_before_end": renewal.announce_months_before_end,
                },
            )
    last_day = last_notice_day(term.term_end, months)
    if last_day >= today:
        yield _termination(last_day, term.term_end, months)


def _automatic_deadlines(
    spec: PartnershipSpec, facts: Facts, today: date, renewal: Renewal
) -> Iterator[Deadline]:
    """The next notice date against an extension, and the last day of a notice that ends the
    agreement at the earliest term end still reachable (see the module's readings)."""
    months = spec.agreement.notice_period_months
    ends = _term_ends(spec, facts)
    for end, nxt in zip(ends, [*ends[1:], None], strict=True):
        if end < today:
            continue
        stop_by = None if nxt is None else notice_date_for_extension(renewal, end + _DAY)
        if stop_by is not None and stop_by < today:
            continue  # the extension after `end` can no longer be stopped
        last_day = last_notice_day(end, months)
        if stop_by is not None and nxt is not None:
            yield Deadline(
                "renewal_announcement",
                f"renewal_announcement:{stop_by.isoformat()}",
                stop_by,
                body="styrgrupp",
                params={
                    "mode": "notice_against_extension",
                    "term_end": end.isoformat(),
                    "extension_end": nxt.isoformat(),
                    "step_months": renewal.step_months,
                    "notice_months": months,
                },
            )
            if last_day < stop_by and last_day >= today:
                yield _termination(last_day, end, months)
            # Otherwise one date serves both, listed once, as the notice against extension.
        # In the last term the agreement ends at latest_end whenever notice is given.
        return


def _termination(last_day: date, term_end: date, months: int) -> Deadline:
    return Deadline(
        "termination_notice",
        f"termination_notice:{last_day.isoformat()}",
        last_day,
        body="styrgrupp",
        params={"notice_months": months, "term_end": term_end.isoformat()},
    )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _month_day(year: int, month: int, day: int) -> date:
    """MM-DD in a year; 02-29 is the last day of February in other years."""
    return min(date(year, month, 1) + timedelta(days=day - 1), month_end(year, month))


# --- reports and payments -----------------------------------------------------------------


def _activity_reports(spec: PartnershipSpec, start: date, end: date) -> Iterator[Deadline]:
    report = spec.reports.activity
    for year in range(start.year - 1, end.year + 1):
        for period in report.periods:
            first = date(year, period.start_month, 1)
            last_month = add_months(first, len(period.months) - 1)
            last = month_end(last_month.year, last_month.month)
            if last < start or first > end:
                continue
            params: dict[str, Param] = {
                "period_start": first.isoformat(),
                "period_end": last.isoformat(),
                "to_body": report.to_body,
                "responsible": report.responsible,
                "committee_month": period.committee_month,
                "committee_year": None,
            }
            if period.committee_month is not None:
                # The first committee meeting after the period.
                after = period.committee_month > last.month
                params["committee_year"] = last.year if after else last.year + 1
            yield Deadline(
                "activity_report",
                f"activity_report:{first:%Y-%m}..{last:%Y-%m}",
                last + timedelta(days=report.due_days_after_period_end),
                body=report.from_body,
                params=params,
            )


def _operating_years(year_end: str, start: date, end: date) -> Iterator[tuple[date, date]]:
    """(first day, last day) of each operating year overlapping start..end."""
    month, day = (int(part) for part in year_end.split("-"))
    for year in range(start.year - 1, end.year + 2):
        first = _month_day(year - 1, month, day) + _DAY
        last = _month_day(year, month, day)
        if last >= start and first <= end:
            yield first, last


def _annual_compilations(spec: PartnershipSpec, start: date, end: date) -> Iterator[Deadline]:
    rule = spec.reports.annual_compilation
    if rule is None:
        return
    for first, last in _operating_years(rule.year_end, start, end):
        yield Deadline(
            "annual_compilation",
            f"annual_compilation:{last.year}",
            last + timedelta(days=rule.due_days_after_year_end),
            body=rule.by_body,
            params={
                "year_start": first.isoformat(),
                "year_end": last.isoformat(),
                "includes_complaints_summary": rule.includes_complaints_summary,
            },
        )


def _financial_reports(
    spec: PartnershipSpec, start: date, end: date, party_ends: Mapping[str, date]
) -> Iterator[Deadline]:
    rule = spec.financial_report
    if rule is None:
        return
    for first, last in _operating_years(rule.year_end, start, end):
        for party in spec.nonprofit_parties:
            if party.key in party_ends and first > party_ends[party.key]:
                continue  # it left before this year: its last report is the year it left in
            yield Deadline(
                "financial_report",
                f"financial_report:{party.key}:{last.year}",
                last + timedelta(days=rule.due_days_after_year_end),
                body="styrgrupp",
                party_key=party.key,
                params={"year_start": first.isoformat(), "year_end": last.isoformat()},
            )


def _payments(
    spec: PartnershipSpec, start: date, end: date, party_ends: Mapping[str, date]
) -> Iterator[Deadline]:
    seen: set[str] = set()
    for annex in spec.annexes:
        if annex.payment_schedule is None:
            continue
        step = _PAYMENT_MONTHS[annex.payment_schedule]
        index = 0
        stop = min(end, party_ends.get(annex.party, end))
        while (first := add_months(start, step * index)) <= stop:
            index += 1
            key = f"payment:{annex.party}:{first.isoformat()}"
            if key in seen:
                continue
            seen.add(key)
            last = min(add_months(start, step * index) - _DAY, end)
            yield Deadline(
                "payment",
                key,
                first,
                body="styrgrupp",
                party_key=annex.party,
                params={
                    "period_start": first.isoformat(),
                    "period_end": last.isoformat(),
                    "schedule": annex.payment_schedule,
                },
                informational=True,
            )


# --- bodies -------------------------------------------------------------------------------


def _cadence(spec: PartnershipSpec, facts: Facts) -> Iterator[Deadline]:
    for kind, body in spec.bodies.items():
        last = facts.last_meetings.get(kind)
        override = facts.cadence_overrides.get(kind)
        window = cadence_window(
            body.cadence,
            last_meeting=last,
            agreement_start=spec.agreement.start,
            override_months=override,
        )
        if window is None:
            continue
        called = facts.next_meetings.get(kind)
        yield Deadline(
            "cadence",
            f"cadence:{kind}:{window.isoformat()}",
            window,
            body=kind,
            params={
                "last_meeting": _iso(last),
                "interval_months": effective_interval(body.cadence, override),
                "meeting_called": _iso(called),
                "needs_reminder": needs_reminder(window, called),
            },
        )


def _documentation(
    spec: PartnershipSpec, facts: Facts, cadence: list[Deadline]
) -> Iterator[Deadline]:
    windows = {d.body: d.due for d in cadence}
    for kind, body in spec.bodies.items():
        rule = body.documentation
        if rule.duty != "rotating_party":
            continue
        days: list[tuple[date, str]] = [
            (day, "decision") for k, day in facts.documentation_rotations if k == kind
        ]
        if rule.rotation == "after_each_meeting":
            # The duty passes on after each meeting: the next holder documents the next one.
            called = facts.next_meetings.get(kind)
            if called is not None:
                days.append((called, "next_meeting"))
            elif kind in windows:
                days.append((windows[kind], "cadence_window"))
        for day, basis in days:
            yield Deadline(
                "documentation_rotation",
                f"documentation_rotation:{kind}:{day.isoformat()}",
                day,
                body=kind,
                params={"rotation": rule.rotation, "basis": basis},
                informational=True,
            )


def _recorded(facts: Facts) -> Iterator[Deadline]:
    for kind, ends_on in facts.chair_terms:
        yield Deadline(
            "chair_term",
            f"chair_term:{kind}:{ends_on.isoformat()}",
            ends_on,
            body=kind,
            params={"term_end": ends_on.isoformat()},
        )
    for key, due, body, owner in facts.action_items:
        yield Deadline(
            "action_item",
            _prefixed("action_item", key),
            due,
            body=body,
            params={"item": key, "owner": owner},
        )
    for key, since, body in facts.pending_approvals:
        yield Deadline(
            "pending_approval",
            _prefixed("pending_approval", key),
            since,
            body=body,
            params={"item": key, "since": since.isoformat()},
        )


def _parties_leaving(facts: Facts) -> Iterator[Deadline]:
    """The last day of a party's participation (notice, removal): its members vote until then."""
    for party, last_day in facts.party_ends.items():
        yield Deadline(
            "party_leaves",
            f"party_leaves:{party}:{last_day.isoformat()}",
            last_day,
            body="styrgrupp",
            party_key=party,
            params={"last_day": last_day.isoformat()},
        )


def _prefixed(kind: str, key: str) -> str:
    return key if key.startswith(f"{kind}:") else f"{kind}:{key}"


# --- the list -----------------------------------------------------------------------------


def deadlines_for(
    spec: PartnershipSpec,
    *,
    today: date,
    horizon_days: int = 400,
    facts: Facts | None = None,
) -> list[Deadline]:
    """Every deadline due from `today` to `today + horizon_days` (inclusive), plus the overdue
    ones still owed, without those whose key is met; sorted by due date, then key."""
    if horizon_days < 0:
        raise ValueError("horizon_days must not be negative")
    facts = facts or Facts()
    if has_ended(spec, facts, today):
        return []  # reminders stop; /avtal and /tidsfrister say when it ended
    term = agreement_term(spec, facts, today)
    start = spec.agreement.start
    # Recurring obligations run to the end the agreement has if nobody acts from now on.
    end = term.final_end
    cadence = list(_cadence(spec, facts)) if today <= term.final_end else []
    candidates: list[Deadline] = [
        *_agreement_deadlines(spec, facts, today, term),
        *_activity_reports(spec, start, end),
        *_annual_compilations(spec, start, end),
        *_financial_reports(spec, start, end, facts.party_ends),
        *_payments(spec, start, end, facts.party_ends),
        *cadence,
        *_documentation(spec, facts, cadence),
        *_recorded(facts),
        *_parties_leaving(facts),
    ]
    horizon = today + timedelta(days=horizon_days)
    chosen: dict[str, Deadline] = {}
    for deadline in candidates:
        if deadline.key in facts.met_keys or deadline.key in chosen:
            continue
        upcoming = today <= deadline.due <= horizon
        owed = deadline.due < today and deadline.kind in _OPEN_WHEN_OVERDUE
        # A period that ended under extension by announcement with nothing recorded stays
        # listed (and asks the administrator once) until the extension or the end is recorded.
        owed = owed or (deadline.kind == "agreement_end" and today > term.final_end)
        if upcoming or owed:
            chosen[deadline.key] = deadline
    return sorted(chosen.values(), key=lambda d: (d.due, d.key))


def lead_days_for(spec: PartnershipSpec, deadline: Deadline) -> tuple[int, ...]:
    """Days before `deadline.due` to remind: the cadence guard's days for a cadence window (none
    once a meeting is called inside it), none for informational items, else the file's
    reminder settings for the kind."""
    if deadline.informational:
        return ()
    if deadline.kind == "cadence":
        if deadline.body is None or deadline.params.get("needs_reminder") is False:
            return ()
        return spec.body(deadline.body).cadence.guard_lead_days
    return spec.reminders.lead_days_for(deadline.kind)
