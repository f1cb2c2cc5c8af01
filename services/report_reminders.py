"""Who is reminded of a half-year's activity report: the deadline engine asks this module.

Privately: each confirmed member of the samverkansgrupp whose party has an activity that has not
submitted, when they have started the bot in private. The group's reminder names every activity
still missing, which also covers members the bot cannot write to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from governance import report_form as form
from governance.report_periods import period_from_key
from services.partnerships import spec_of
from storage import bodies, people
from storage import reports as repo
from storage.models import Partnership, Person
from storage.reports import EntryState, ReportStatus

__all__ = ["ReminderTarget", "report_reminder_targets"]


@dataclass(frozen=True)
class ReminderTarget:
    person: Person
    chat_id: int
    units: tuple[str, ...]  # names of the person's activities still missing


def report_reminder_targets(
    session: Session, partnership: Partnership, deadline_key: str
) -> tuple[list[ReminderTarget], list[str]]:
    """Who to remind privately of a half-year's report, and the names of every unit still
    missing (for the group's reminder). Members without a private chat are covered by the
    group's reminder."""
    assert partnership.id is not None
    spec = spec_of(partnership)
    period = period_from_key(spec, deadline_key)
    body = bodies.get_body(session, partnership.id, spec.reports.activity.from_body)
    if period is None or body is None or body.id is None:
        return [], []
    report = repo.report_by_key(session, partnership.id, deadline_key)
    if report is not None and report.status != ReportStatus.OPEN:
        return [], []
    if report is not None and report.id is not None:
        missing = [
            (e.party_key, e.unit_name)
            for e in repo.entries_of(session, report.id)
            if e.state != EntryState.SUBMITTED
        ]
    else:
        missing = [(u.party_key, u.name) for u in form.reporting_units(spec)]
    by_party: dict[str, list[str]] = {}
    for party_key, name in missing:
        by_party.setdefault(party_key, []).append(name)
    targets: list[ReminderTarget] = []
    for _membership, person, party in people.confirmed_members(session, body.id):
        names = by_party.get(party.key)
        if names and person.private_chat_id is not None and not person.erased:
            targets.append(ReminderTarget(person, person.private_chat_id, tuple(names)))
    return targets, [name for _p, name in missing]
