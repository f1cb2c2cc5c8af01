"""The half-yearly verksamhetsrapport: open it, fill in each activity's form, compile, send on.

Use cases, each in the caller's transaction (the handler's), returning results for the views:

* `open_report` – `/rapport` in the samverkansgrupp by the file's `responsible` (001: its chair;
  004: any member of the body): the report due (see `governance.report_periods`) with one entry
  per reporting unit.
* `begin_form`, `form_text`, `form_choice` – the private form of one entry, for a confirmed
  member of the samverkansgrupp who represents the entry's party. The state is in the database.
* `compile_report` – when every entry is submitted (automatically on the last submission), or by
  the chair from the due date with the missing ones named.
* `send_on` – the chair sends the compiled report to the styrgrupp; its deadline is met.
* `compile_annual` – 004's annual compilation from the two half-years of a year.
* `financial_overview`, `mark_financial_submitted` – the annexes' budgets and each
  organisation's yearly financial report, marked submitted with a button.

Deadline reminders of a report go through the deadline engine (`services.deadlines`), which asks
`services.report_reminders` for the members whose activity has not submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from delivery import outbox
from governance import report_form as form
from governance.deadlines import agreement_term, deadlines_for
from governance.partnership_schema import PartnershipSpec
from governance.report_figures import Compilation, UnitResult, compile_units, merge_figures
from governance.report_periods import (
    HalfYear,
    ReportYear,
    annual_year_to_compile,
    half_year_containing,
    period_to_report,
    previous_half_year,
)
from i18n import N_
from services.errors import Refusal
from services.partnerships import spec_of
from services.roles import Role
from storage import bodies, deadline_facts, people
from storage import reports as repo
from storage.models import (
    AuditEntry,
    Body,
    Membership,
    MembershipStatus,
    Partnership,
    Party,
    Person,
)
from storage.reports import ActivityReport, EntryState, ReportEntry, ReportKind, ReportStatus

__all__ = [
    "BudgetView",
    "FinancialView",
    "FormView",
    "ReportView",
    "begin_form",
    "compile_annual",
    "compile_report",
    "financial_overview",
    "form_choice",
    "form_text",
    "mark_financial_submitted",
    "my_entries",
    "open_report",
    "report_view",
    "send_on",
]

DONE_STATUSES = (ReportStatus.COMPILED, ReportStatus.SENT)


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportView:
    """A report with its entries, as the group status message and the files show it."""

    partnership: Partnership
    report: ActivityReport
    entries: tuple[ReportEntry, ...]
    # Compiled: the figures, and the previous period's for the comparison (None: none stored).
    compilation: Compilation | None = None
    previous: Compilation | None = None
    previous_period: tuple[date, date] | None = None
    can_compile_now: bool = False  # the due date has come: the chair may compile with gaps
    just_compiled: bool = False

    @property
    def all_submitted(self) -> bool:
        return all(e.state == EntryState.SUBMITTED for e in self.entries)


@dataclass(frozen=True)
class FormView:
    partnership: Partnership
    report: ActivityReport
    entry: ReportEntry
    context: form.FormContext
    state: form.FormState
    problem: form.Problem | None = None
    notes: tuple[form.Problem, ...] = ()
    submitted_now: bool = False
    # Set when this submission completed the report and compiled it.
    compiled: ReportView | None = None


@dataclass(frozen=True)
class BudgetView:
    party_name: str
    title: str
    heading: str | None
    lines: tuple[tuple[str, int], ...]
    total: int
    period_months: int


@dataclass(frozen=True)
class FinancialView:
    partnership: Partnership
    budgets: tuple[BudgetView, ...]
    parties_without_budget: tuple[str, ...]
    # (deadline key, party name, year end, due) of financial reports not yet submitted
    open_reports: tuple[tuple[str, str, date, date], ...] = field(default_factory=tuple)


# --- helpers ------------------------------------------------------------------------------


def _today(partnership: Partnership, now: datetime) -> date:
    return now.astimezone(ZoneInfo(partnership.timezone)).date()


def _done_keys(session: Session, partnership_id: int) -> set[str]:
    done = {r.key for r in repo.reports_of(session, partnership_id, statuses=DONE_STATUSES)}
    return done | deadline_facts.met_keys(session, partnership_id)


def _may_open(spec: PartnershipSpec, role: Role) -> bool:
    if role.is_administrator or role.is_chair:
        return True
    return spec.reports.activity.responsible == "body" and role.is_member


def _audit(
    session: Session,
    partnership_id: int,
    person: Person | None,
    action: str,
    now: datetime,
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            partnership_id=partnership_id,
            at=now,
            actor_user_id=person.telegram_user_id if person else None,
            action=action,
            detail=detail,
        )
    )


def _context(spec: PartnershipSpec, report: ActivityReport, entry: ReportEntry) -> form.FormContext:
    units = {u.key: u for u in form.reporting_units(spec)}
    unit = units.get(entry.unit_key) or form.ReportUnit(
        key=entry.unit_key,
        party_key=entry.party_key,
        party_name=entry.party_name,
        name=entry.unit_name,
    )
    return form.form_context(spec, unit, report.period_start, report.period_end)


def report_view(
    session: Session, report: ActivityReport, *, now: datetime, just_compiled: bool = False
) -> ReportView:
    assert report.id is not None
    partnership = session.get(Partnership, report.partnership_id)
    assert partnership is not None
    compilation = previous = None
    previous_period = None
    if report.compilation:
        compilation = Compilation.from_json(report.compilation["current"])
        if report.compilation.get("previous"):
            previous = Compilation.from_json(report.compilation["previous"])
        if report.compilation.get("previous_period"):
            first, last = report.compilation["previous_period"]
            previous_period = (date.fromisoformat(first), date.fromisoformat(last))
    return ReportView(
        partnership=partnership,
        report=report,
        entries=tuple(repo.entries_of(session, report.id)),
        compilation=compilation,
        previous=previous,
        previous_period=previous_period,
        can_compile_now=_today(partnership, now) >= report.due_on,
        just_compiled=just_compiled,
    )


# --- opening ------------------------------------------------------------------------------


def open_report(
    session: Session, *, body: Body, partnership: Partnership, role: Role, now: datetime
) -> ReportView:
    """The report due (created with its entries the first time), for the status message."""
    assert partnership.id is not None and body.id is not None
    spec = spec_of(partnership)
    rule = spec.reports.activity
    if body.kind != rule.from_body:
        raise Refusal(N_("The activity report is gathered in the samverkansgrupp's chat."))
    if not _may_open(spec, role):
        if rule.responsible == "chair":
            raise Refusal(N_("Only the chair of the samverkansgrupp opens the activity report."))
        raise Refusal(N_("Only confirmed members of the group open the activity report."))
    today = _today(partnership, now)
    term = agreement_term(spec, None, today)
    # An open report stays the one shown until it is compiled.
    opened = repo.reports_of(session, partnership.id, statuses=[ReportStatus.OPEN])
    half_years = [r for r in opened if r.kind == ReportKind.HALF_YEAR]
    if half_years:
        return report_view(session, half_years[0], now=now)
    period = period_to_report(
        spec,
        today,
        compiled=_done_keys(session, partnership.id),
        agreement_start=spec.agreement.start,
        agreement_end=term.final_end,
    )
    if period is None:
        raise Refusal(N_("Every half-year of the agreement has its report; there is none to open."))
    report = _create(session, spec, partnership, body, period, role.person, now)
    return report_view(session, report, now=now)


def _create(
    session: Session,
    spec: PartnershipSpec,
    partnership: Partnership,
    body: Body,
    period: HalfYear,
    person: Person | None,
    now: datetime,
) -> ActivityReport:
    assert partnership.id is not None and body.id is not None
    existing = repo.report_by_key(session, partnership.id, period.key)
    if existing is not None:
        return existing
    report = ActivityReport(
        partnership_id=partnership.id,
        body_id=body.id,
        kind=ReportKind.HALF_YEAR,
        key=period.key,
        period_start=period.start,
        period_end=period.end,
        due_on=period.due,
        opened_at=now,
        opened_by_person_id=person.id if person else None,
    )
    session.add(report)
    session.flush()
    assert report.id is not None
    for position, unit in enumerate(form.reporting_units(spec)):
        session.add(
            ReportEntry(
                report_id=report.id,
                position=position,
                unit_key=unit.key,
                party_key=unit.party_key,
                party_name=unit.party_name,
                unit_name=unit.name,
                updated_at=now,
            )
        )
    _audit(session, partnership.id, person, "report.opened", now, key=period.key)
    session.flush()
    return report


def remember_status(session: Session, report_id: int, key: str) -> None:
    """The group's latest status message (an outbox row's key), edited as entries move on."""
    report = repo.get_report(session, report_id, lock=True)
    if report is not None:
        report.status_key = key
        session.add(report)
        session.flush()


def status_target(session: Session, report: ActivityReport) -> tuple[str, int] | None:
    """(outbox key, chat id) of the group's latest status message, if there is one."""
    if report.status_key is None:
        return None
    body = session.get(Body, report.body_id)
    if body is None or body.chat_id is None:
        return None
    return report.status_key, body.chat_id


def report_in_body(session: Session, *, report_id: int, body: Body) -> ActivityReport:
    """A report named by a button pressed in `body`'s chat (another chat's: refused)."""
    report = repo.get_report(session, report_id)
    if report is None or report.body_id != body.id:
        raise Refusal(N_("This button is no longer valid."))
    return report


def party_order(partnership: Partnership) -> list[str]:
    """The parties' keys in the file's order (the financial buttons name them by index)."""
    return [party.key for party in spec_of(partnership).parties]


def person_of(session: Session, telegram_user_id: int | None) -> Person:
    """The acting person (recorded by the pre-handler); an anonymous sender is refused."""
    person = (
        people.get_person_by_telegram_id(session, telegram_user_id)
        if telegram_user_id is not None
        else None
    )
    if person is None or person.id is None:
        raise Refusal(N_("Write this from your own account, not anonymously."))
    return person


# --- the private form ---------------------------------------------------------------------


def _member_party_keys(session: Session, body_id: int, person: Person) -> set[str]:
    assert person.id is not None
    rows = session.exec(
        select(Party.key)
        .join(Membership, col(Membership.party_id) == Party.id)
        .where(
            Membership.body_id == body_id,
            Membership.person_id == person.id,
            Membership.status == MembershipStatus.CONFIRMED,
        )
    ).all()
    return set(rows)


def _check_reporter(
    session: Session, report: ActivityReport, entry: ReportEntry, person: Person
) -> None:
    if person.erased:
        raise Refusal(N_("Your data was erased; ask the chair to add you again."))
    if entry.party_key not in _member_party_keys(session, report.body_id, person):
        raise Refusal(
            N_("This form is filled in by a confirmed member of the samverkansgrupp for {party}."),
            party=entry.party_name,
        )


def _open_entry(
    session: Session, entry_id: int, person: Person
) -> tuple[ActivityReport, ReportEntry]:
    entry = repo.get_entry(session, entry_id, lock=True)
    report = repo.get_report(session, entry.report_id) if entry is not None else None
    if entry is None or report is None:
        raise Refusal(N_("This form no longer exists."))
    _check_reporter(session, report, entry, person)
    if report.status != ReportStatus.OPEN:
        raise Refusal(N_("This report is already compiled; its figures can no longer change."))
    return report, entry


def _view(
    session: Session,
    report: ActivityReport,
    entry: ReportEntry,
    ctx: form.FormContext,
    state: form.FormState,
    **extra: Any,
) -> FormView:
    partnership = session.get(Partnership, report.partnership_id)
    assert partnership is not None
    return FormView(
        partnership=partnership, report=report, entry=entry, context=ctx, state=state, **extra
    )


def begin_form(session: Session, *, person: Person, entry_id: int, now: datetime) -> FormView:
    """Open (or resume) an entry's form in the person's private chat."""
    assert person.id is not None
    report, entry = _open_entry(session, entry_id, person)
    partnership = session.get(Partnership, report.partnership_id)
    assert partnership is not None
    ctx = _context(spec_of(partnership), report, entry)
    if entry.form is not None:
        state = form.FormState.from_json(entry.form)
    else:
        state = form.start_state(ctx, entry.figures)
    if entry.state == EntryState.NOT_STARTED:
        entry.state = EntryState.IN_PROGRESS
    entry.form = state.to_json()
    entry.person_id = person.id
    entry.updated_at = now
    session.add(entry)
    repo.set_active_entry(session, person.id, entry.id, now)
    return _view(session, report, entry, ctx, state)


def active_form(session: Session, person: Person) -> int | None:
    """The entry the person's private chat is filling in, if its report is still open."""
    if person.id is None:
        return None
    entry = repo.active_entry(session, person.id)
    if entry is None or entry.id is None:
        return None
    report = repo.get_report(session, entry.report_id)
    if report is None or report.status != ReportStatus.OPEN:
        return None
    return entry.id


def _store(
    session: Session,
    entry: ReportEntry,
    before: form.FormState,
    after: form.FormState,
    now: datetime,
) -> None:
    if after == before:
        return
    entry.form = after.to_json()
    if entry.state == EntryState.SUBMITTED and after.figures != before.figures:
        entry.correcting = True
    entry.updated_at = now
    session.add(entry)
    session.flush()


def form_text(session: Session, *, person: Person, text: str, now: datetime) -> FormView | None:
    """A message in the private chat: the active form's answer (None: no form is active)."""
    entry_id = active_form(session, person)
    if entry_id is None:
        return None
    report, entry = _open_entry(session, entry_id, person)
    partnership = session.get(Partnership, report.partnership_id)
    assert partnership is not None
    ctx = _context(spec_of(partnership), report, entry)
    state = form.FormState.from_json(entry.form)
    outcome = form.handle_text(ctx, state, text)
    _store(session, entry, state, outcome.state, now)
    return _view(
        session, report, entry, ctx, outcome.state, problem=outcome.problem, notes=outcome.notes
    )


def form_choice(
    session: Session, *, person: Person, entry_id: int, choice: str, now: datetime
) -> FormView:
    """A button of the form (its message may be on another device: the entry is in the data)."""
    assert person.id is not None
    report, entry = _open_entry(session, entry_id, person)
    partnership = session.get(Partnership, report.partnership_id)
    assert partnership is not None
    ctx = _context(spec_of(partnership), report, entry)
    repo.set_active_entry(session, person.id, entry_id, now)
    state = (
        form.FormState.from_json(entry.form) if entry.form else form.start_state(ctx, entry.figures)
    )
    if choice == "submit":
        return _submit(session, partnership, report, entry, ctx, state, person, now)
    outcome = form.handle_choice(ctx, state, choice)
    _store(session, entry, state, outcome.state, now)
    return _view(
        session, report, entry, ctx, outcome.state, problem=outcome.problem, notes=outcome.notes
    )


def _submit(
    session: Session,
    partnership: Partnership,
    report: ActivityReport,
    entry: ReportEntry,
    ctx: form.FormContext,
    state: form.FormState,
    person: Person,
    now: datetime,
) -> FormView:
    if state.step != form.SUMMARY or not form.is_complete(ctx, state.figures):
        return _view(
            session,
            report,
            entry,
            ctx,
            state,
            problem=form.Problem(N_("Answer every part before submitting.")),
        )
    figures = form.submitted_figures(ctx, state.figures)
    resubmitted = entry.state == EntryState.SUBMITTED
    entry.figures = figures
    entry.state = EntryState.SUBMITTED
    entry.correcting = False
    entry.submitted_at = now
    entry.submitted_by_person_id = person.id
    entry.form = form.FormState(step=form.SUMMARY, figures=figures).to_json()
    entry.updated_at = now
    session.add(entry)
    assert partnership.id is not None
    _audit(
        session,
        partnership.id,
        person,
        "report.corrected" if resubmitted else "report.submitted",
        now,
        key=report.key,
        unit=entry.unit_key,
    )
    session.flush()
    compiled = None
    entries = repo.entries_of(session, report.id or 0)
    if all(e.state == EntryState.SUBMITTED for e in entries):
        compiled = compile_report(session, report_id=report.id or 0, role=None, now=now)
    _resync(session, partnership, now)
    return _view(
        session,
        report,
        entry,
        ctx,
        form.FormState.from_json(entry.form),
        submitted_now=True,
        compiled=compiled,
    )


def my_entries(session: Session, *, person: Person) -> list[tuple[ReportEntry, ActivityReport]]:
    """Open entries the person answers for (their parties in the samverkansgrupp)."""
    found: list[tuple[ReportEntry, ActivityReport]] = []
    for membership, body in people.body_memberships_of(session, person.id or 0):
        if membership.status != MembershipStatus.CONFIRMED or body.id is None:
            continue
        keys = _member_party_keys(session, body.id, person)
        for entry, report in repo.entries_for_party(session, sorted(keys)):
            if report.body_id == body.id:
                found.append((entry, report))
    return found


# --- compiling ----------------------------------------------------------------------------


def _previous_compilation(
    session: Session, spec: PartnershipSpec, report: ActivityReport
) -> tuple[Compilation | None, HalfYear]:
    period = half_year_containing(spec, report.period_start)
    before = previous_half_year(spec, period)
    row = repo.report_by_key(session, report.partnership_id, before.key)
    if row is None or not row.compilation:
        return None, before
    return Compilation.from_json(row.compilation["current"]), before


def compile_report(
    session: Session, *, report_id: int, role: Role | None, now: datetime
) -> ReportView:
    """Compile the report (role None: automatically, every entry submitted). The chair may
    compile with entries missing from the due date on; they are named in the report."""
    report = repo.get_report(session, report_id, lock=True)
    if report is None:
        raise Refusal(N_("This report no longer exists."))
    if report.status != ReportStatus.OPEN:
        raise Refusal(N_("This report is already compiled."))
    partnership = session.get(Partnership, report.partnership_id)
    assert partnership is not None and partnership.id is not None
    spec = spec_of(partnership)
    entries = repo.entries_of(session, report_id)
    missing = [e for e in entries if e.state != EntryState.SUBMITTED]
    if role is not None:
        if not (role.is_chair or role.is_administrator):
            raise Refusal(N_("Only the chair compiles the report."))
        if missing and _today(partnership, now) < report.due_on:
            raise Refusal(
                N_(
                    "Not every activity has submitted. Compiling with some missing is possible "
                    "from the due date, {due}."
                ),
                due=report.due_on,
            )
    elif missing:
        raise Refusal(N_("Not every activity has submitted."))
    units = [
        UnitResult(
            e.unit_key,
            e.party_key,
            e.party_name,
            e.unit_name,
            e.figures if e.state == EntryState.SUBMITTED else None,
        )
        for e in entries
    ]
    current = compile_units(units, top=spec.statistics.top_countries)
    previous, before = _previous_compilation(session, spec, report)
    report.compilation = {
        "current": current.to_json(),
        "previous": previous.to_json() if previous else None,
        "previous_period": [before.start.isoformat(), before.end.isoformat()],
    }
    report.status = ReportStatus.COMPILED
    report.compiled_at = now
    report.compiled_by_person_id = role.person.id if role and role.person else None
    session.add(report)
    for entry in entries:
        entry.correcting = False
        session.add(entry)
    _audit(
        session,
        partnership.id,
        role.person if role else None,
        "report.compiled",
        now,
        key=report.key,
        missing=[e.unit_key for e in missing],
    )
    session.flush()
    # Compiled: the figures can no longer change, so nobody is asked privately to submit them.
    _resync(session, partnership, now)
    _queue_files(session, partnership, report, now, to_styrgrupp=False)
    return report_view(session, report, now=now, just_compiled=True)


def send_on(
    session: Session, *, report_id: int, role: Role, now: datetime
) -> tuple[ReportView, Body]:
    """The chair sends the compiled report to the styrgrupp: the report's deadline is met."""
    from services import deadlines

    report = repo.get_report(session, report_id, lock=True)
    if report is None:
        raise Refusal(N_("This report no longer exists."))
    if not (role.is_chair or role.is_administrator):
        raise Refusal(N_("Only the chair sends the report on to the styrgrupp."))
    if report.status == ReportStatus.SENT:
        raise Refusal(N_("This report was already sent to the styrgrupp."))
    if report.status != ReportStatus.COMPILED:
        raise Refusal(N_("The report is not compiled yet."))
    partnership = session.get(Partnership, report.partnership_id)
    assert partnership is not None and partnership.id is not None
    spec = spec_of(partnership)
    target_kind = (
        spec.reports.activity.to_body if report.kind == ReportKind.HALF_YEAR else "styrgrupp"
    )
    target = bodies.get_body(session, partnership.id, target_kind)
    if target is None or target.chat_id is None:
        raise Refusal(N_("The styrgrupp's chat is not linked yet: link it with /koppla first."))
    report.status = ReportStatus.SENT
    report.sent_at = now
    report.sent_by_person_id = role.person.id if role.person else None
    session.add(report)
    deadlines.mark_met(
        session,
        partnership,
        report.key,
        role.person.telegram_user_id if role.person else None,
        now,
    )
    _audit(session, partnership.id, role.person, "report.sent", now, key=report.key)
    session.flush()
    _queue_files(session, partnership, report, now, to_styrgrupp=True)
    return report_view(session, report, now=now), target


def _resync(session: Session, partnership: Partnership, now: datetime) -> None:
    """Reminders follow who has submitted: the submitting unit's stop."""
    from services import deadlines

    deadlines.sync_reminders(session, partnership, now=now)


FILES_KIND = "report.files"


def files_payload(
    partnership: Partnership, report: ActivityReport, *, to_styrgrupp: bool
) -> dict[str, Any]:
    """Everything the files' renderer (views.report_outbox) needs, as JSON."""
    assert report.compilation is not None and report.compiled_at is not None
    spec = spec_of(partnership)
    rule = spec.reports.activity
    period = half_year_containing(spec, report.period_start)
    metrics = spec.statistics.metrics
    counted = (
        "reached"
        if "reached_by_gender" in metrics and "visitors_by_gender" not in metrics
        else "visitors"
    )
    annual = report.kind == ReportKind.ANNUAL
    return {
        "report_id": report.id,
        "kind": report.kind,
        "key": report.key,
        "diarienummer": partnership.diarienummer,
        "partnership_name": partnership.name,
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "due_on": report.due_on.isoformat(),
        "compiled_at": report.compiled_at.isoformat(),
        "timezone": partnership.timezone,
        "counted": counted,
        "compilation": report.compilation["current"],
        "previous": report.compilation.get("previous"),
        "previous_period": report.compilation.get("previous_period"),
        "missing_halves": report.compilation.get("missing_halves") or [],
        "committee_month": None if annual else period.committee_month,
        "committee_year": None if annual else period.committee_year,
        "from_body": spec.body(rule.from_body).name,
        "to_body": spec.body(rule.to_body).name,
        "to_styrgrupp": to_styrgrupp,
        "send_button": not to_styrgrupp,
    }


def _queue_files(
    session: Session,
    partnership: Partnership,
    report: ActivityReport,
    now: datetime,
    *,
    to_styrgrupp: bool,
) -> None:
    """The compiled report's files, through the outbox: to the samverkansgrupp with the
    chair's button, or the copy sent on to the styrgrupp."""
    assert partnership.id is not None and report.id is not None
    spec = spec_of(partnership)
    kind = spec.reports.activity.to_body if to_styrgrupp else spec.reports.activity.from_body
    body = bodies.get_body(session, partnership.id, kind)
    if body is None or body.chat_id is None:
        return
    outbox.enqueue(
        session,
        key=f"report:{report.id}:{'sent' if to_styrgrupp else 'compiled'}",
        kind=FILES_KIND,
        chat_id=body.chat_id,
        thread_id=body.thread_id,
        payload=files_payload(partnership, report, to_styrgrupp=to_styrgrupp),
        now=now,
        language=partnership.language,
        partnership_id=partnership.id,
    )


# --- the annual compilation (004) ---------------------------------------------------------


def compile_annual(
    session: Session, *, body: Body, partnership: Partnership, role: Role, now: datetime
) -> ReportView:
    """The last operating year's compilation from its half-years' compiled reports."""
    assert partnership.id is not None and body.id is not None
    spec = spec_of(partnership)
    rule = spec.reports.annual_compilation
    if rule is None:
        raise Refusal(N_("This partnership's agreement has no annual compilation."))
    if body.kind != rule.by_body:
        raise Refusal(N_("The annual compilation is made in the samverkansgrupp's chat."))
    if not _may_open(spec, role):
        raise Refusal(N_("Only confirmed members of the group make the annual compilation."))
    today = _today(partnership, now)
    term = agreement_term(spec, None, today)
    year = annual_year_to_compile(
        spec,
        today,
        compiled=_done_keys(session, partnership.id),
        agreement_start=spec.agreement.start,
        agreement_end=term.final_end,
    )
    if year is None:
        raise Refusal(N_("There is no ended year left to compile."))
    halves = [repo.report_by_key(session, partnership.id, h.key) for h in year.halves]
    compiled = [h for h in halves if h is not None and h.compilation]
    if not compiled:
        raise Refusal(
            N_("No half-year of {year} has a compiled report yet: compile those first."),
            year=str(year.end.year),
        )
    report = _annual_report(session, partnership, body, year, compiled, role.person, now)
    _queue_files(session, partnership, report, now, to_styrgrupp=False)
    return report_view(session, report, now=now, just_compiled=True)


def _annual_report(
    session: Session,
    partnership: Partnership,
    body: Body,
    year: ReportYear,
    halves: Sequence[ActivityReport],
    person: Person | None,
    now: datetime,
) -> ActivityReport:
    assert partnership.id is not None and body.id is not None
    spec = spec_of(partnership)
    per_unit: dict[str, list[tuple[str, dict[str, Any] | None]]] = {}
    names: dict[str, UnitResult] = {}
    for half in halves:
        assert half.compilation is not None
        label = f"{half.period_start:%Y-%m}–{half.period_end:%Y-%m}"
        for unit in Compilation.from_json(half.compilation["current"]).units:
            per_unit.setdefault(unit.unit_key, []).append(
                (label, dict(unit.figures) if unit.figures is not None else None)
            )
            names.setdefault(unit.unit_key, unit)
    units = [
        UnitResult(
            key, names[key].party_key, names[key].party_name, names[key].name, merge_figures(items)
        )
        for key, items in per_unit.items()
    ]
    current = compile_units(units, top=spec.statistics.top_countries)
    previous_row = repo.report_by_key(
        session, partnership.id, f"annual_compilation:{year.end.year - 1}"
    )
    previous = (
        Compilation.from_json(previous_row.compilation["current"])
        if previous_row is not None and previous_row.compilation
        else None
    )
    missing_halves = [h.key for h in year.halves if h.key not in {r.key for r in halves}]
    report = ActivityReport(
        partnership_id=partnership.id,
        body_id=body.id,
        kind=ReportKind.ANNUAL,
        key=year.key,
        period_start=year.start,
        period_end=year.end,
        due_on=year.due,
        status=ReportStatus.COMPILED,
        opened_at=now,
        opened_by_person_id=person.id if person else None,
        compiled_at=now,
        compiled_by_person_id=person.id if person else None,
        compilation={
            "current": current.to_json(),
            "previous": previous.to_json() if previous else None,
            "previous_period": [
                date(year.start.year - 1, year.start.month, year.start.day).isoformat(),
                date(year.end.year - 1, year.end.month, year.end.day).isoformat(),
            ],
            "missing_halves": missing_halves,
        },
    )
    session.add(report)
    _audit(session, partnership.id, person, "report.annual_compiled", now, key=year.key)
    session.flush()
    return report


# --- financial reports and budgets --------------------------------------------------------


def financial_overview(
    session: Session, *, partnership: Partnership, now: datetime
) -> FinancialView:
    assert partnership.id is not None
    spec = spec_of(partnership)
    names = {p.key: p.name for p in spec.parties}
    budgets = tuple(
        BudgetView(
            party_name=names.get(annex.party, annex.party),
            title=annex.title,
            heading=annex.budget.heading,
            lines=tuple((line.label, line.amount_sek) for line in annex.budget.lines),
            total=annex.budget.total_sek,
            period_months=annex.budget.period_months,
        )
        for annex in spec.annexes
        if annex.budget is not None
    )
    with_budget = {a.party for a in spec.annexes if a.budget is not None}
    without = tuple(p.name for p in spec.nonprofit_parties if p.key not in with_budget)
    today = _today(partnership, now)
    met = deadline_facts.met_keys(session, partnership.id)
    open_reports = tuple(
        (
            d.key,
            names.get(d.party_key or "", d.party_key or ""),
            date.fromisoformat(str(d.params["year_end"])),
            d.due,
        )
        for d in deadlines_for(spec, today=today, horizon_days=400)
        if d.kind == "financial_report"
        and d.key not in met
        and date.fromisoformat(str(d.params["year_end"])) < today
    )
    return FinancialView(
        partnership=partnership,
        budgets=budgets,
        parties_without_budget=without,
        open_reports=open_reports,
    )


def mark_financial_submitted(
    session: Session, *, partnership: Partnership, key: str, role: Role, now: datetime
) -> str:
    """Record an organisation's yearly financial report as submitted; returns the party's name.
    The administrator, a chair, or a confirmed member of that party may."""
    from services import deadlines

    assert partnership.id is not None
    spec = spec_of(partnership)
    today = _today(partnership, now)
    found = next(
        (
            d
            for d in deadlines_for(spec, today=today, horizon_days=400)
            if d.kind == "financial_report" and d.key == key
        ),
        None,
    )
    if found is None or found.party_key is None:
        if deadline_facts.get_met(session, partnership.id, key) is not None:
            raise Refusal(N_("That financial report is already marked as submitted."))
        raise Refusal(N_("This button is no longer valid."))
    party_name = spec.party(found.party_key).name
    allowed = role.is_administrator or role.is_chair
    if not allowed and role.person is not None and role.membership is not None:
        party = session.get(Party, role.membership.party_id) if role.membership.party_id else None
        allowed = role.is_member and party is not None and party.key == found.party_key
    if not allowed:
        raise Refusal(
            N_("Only the administrator, the chair or a member for {party} can mark this."),
            party=party_name,
        )
    if not deadlines.mark_met(
        session, partnership, key, role.person.telegram_user_id if role.person else None, now
    ):
        raise Refusal(N_("That financial report is already marked as submitted."))
    return party_name
