"""The activity report's use cases on a real database: the comparison with the previous compiled
half-year, compiling with gaps only from the due date, corrections until compiled, the deadline
engine's private reminders to members whose activity has not submitted, 004's annual
compilation, and the compiled files queued in the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.app import make_services
from governance.report_figures import Compilation
from services import deadlines, reports
from services.errors import Refusal
from services.roles import role_in_body
from storage import bodies
from storage.db import transaction
from storage.models import Body, ChairTerm, Membership, Partnership, Person
from storage.reminders import Reminder, ReminderState
from storage.reports import ReportEntry
from tests.conftest import FakeClock, import_example, make_settings

# Each unit's answers: total, genders, countries, ages, night places, hours, complaints, text.
EU_ANSWERS: list[tuple[str, str]] = [
    ("text", "100"),
    ("text", "40 55 5"),
    ("text", "Rumänien 60\nBulgarien 30"),
    ("choice", "done"),
    ("text", "0 20 40 30 8 2"),
    ("choice", "none"),
    ("text", "300 290"),
    ("text", "0"),
    ("choice", "skip"),
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 11, 10, 9, 0, tzinfo=UTC))


@pytest.fixture
def svc(sqlite_url: str, clock: FakeClock) -> Iterator[Any]:
    runtime = make_services(make_settings(sqlite_url), clock=clock)
    import_example(runtime, "sof-2025-144.toml")
    import_example(runtime, "sof-2023-202.toml")
    yield runtime
    runtime.engine.dispose()


def _setup(s: Session, dnr: str, now: datetime) -> tuple[Partnership, Body, dict[str, Person]]:
    """The samverkansgrupp linked, one confirmed member with a private chat per non-profit
    party, the first of them chair; the styrgrupp linked too."""
    partnership = bodies.get_partnership_by_diarienummer(s, dnr)
    assert partnership is not None and partnership.id is not None
    body = bodies.get_body(s, partnership.id, "samverkansgrupp")
    styrgrupp = bodies.get_body(s, partnership.id, "styrgrupp")
    assert body is not None and body.id is not None and styrgrupp is not None
    offset = 0 if dnr == "SOF 2025/144" else 100
    body.chat_id, styrgrupp.chat_id = -5001 - offset, -5002 - offset
    s.add(body)
    s.add(styrgrupp)
    members: dict[str, Person] = {}
    for number, party in enumerate(bodies.parties_of(s, partnership.id), start=1):
        if party.kind != "nonprofit":
            continue
        person = Person(
            telegram_user_id=7000 + offset + number,
            first_name=party.name,
            private_chat_id=7000 + offset + number,
            created_at=now,
        )
        s.add(person)
        s.flush()
        s.add(
            Membership(
                body_id=body.id,
                person_id=person.id,
                party_id=party.id,
                status="confirmed",
                requested_at=now,
            )
        )
        members[party.key] = person
    first = next(iter(members.values()))
    s.add(ChairTerm(body_id=body.id, person_id=first.id, starts_on=now.date(), created_at=now))
    s.flush()
    return partnership, body, members


def _role(s: Session, body: Body, person: Person, now: datetime) -> Any:
    return role_in_body(s, body, person.telegram_user_id, now.date(), is_chat_admin=False)


def _fill(
    s: Session, person: Person, entry_id: int, now: datetime, answers: list[tuple[str, str]]
) -> Any:
    shown = reports.begin_form(s, person=person, entry_id=entry_id, now=now)
    for kind, value in answers:
        if kind == "text":
            shown = reports.form_text(s, person=person, text=value, now=now)
        else:
            shown = reports.form_choice(s, person=person, entry_id=entry_id, choice=value, now=now)
        assert shown is not None and shown.problem is None, (value, shown and shown.problem)
    return reports.form_choice(s, person=person, entry_id=entry_id, choice="submit", now=now)


def _entries(s: Session, report_id: int) -> list[ReportEntry]:
    return list(s.exec(select(ReportEntry).where(ReportEntry.report_id == report_id)).all())


def test_private_reminders_follow_who_has_submitted(svc: Any, clock: FakeClock) -> None:
    now = clock()
    with transaction(svc.session_factory) as s:
        partnership, body, members = _setup(s, "SOF 2025/144", now)
        deadlines.sync_reminders(s, partnership, now=now)
        key = "activity_report:2025-05..2025-10"
        private = [
            r
            for r in s.exec(
                select(Reminder).where(Reminder.kind == "report.private_reminder")
            ).all()
            if r.source.endswith(key)
        ]
        assert {r.person_id for r in private} == {p.id for p in members.values()}
        assert all(r.chat_id > 0 and r.payload["units"] for r in private)  # private chats
        group = [
            r
            for r in s.exec(
                select(Reminder).where(Reminder.kind == "deadline.activity_report")
            ).all()
            if key in r.source
        ]
        assert group and "Mötesplats Vårberg" in group[0].payload["missing"]
        # The chair opens the report; Convictus submits: its reminders stop, the others' stay.
        opened = reports.open_report(
            s,
            body=body,
            partnership=partnership,
            role=_role(s, body, members["convictus"], now),
            now=now,
        )
        assert opened.report.key == key
        entry = next(e for e in opened.entries if e.party_key == "convictus")
        assert entry.id is not None
        _fill(s, members["convictus"], entry.id, now, EU_ANSWERS)
        rows = s.exec(
            select(Reminder)
            .where(Reminder.kind == "report.private_reminder")
            .execution_options(populate_existing=True)
        ).all()
        states = {r.person_id: r.state for r in rows if r.due_at > now and r.source.endswith(key)}
        assert states[members["convictus"].id] == ReminderState.CANCELLED
        assert states[members["fralsningsarmen"].id] == ReminderState.PENDING


def test_compile_at_the_deadline_and_compare_with_the_previous_half_year(
    svc: Any, clock: FakeClock
) -> None:
    now = clock()
    with transaction(svc.session_factory) as s:
        partnership, body, members = _setup(s, "SOF 2025/144", now)
        chair = _role(s, body, members["convictus"], now)
        member = _role(s, body, members["fralsningsarmen"], now)
        first = reports.open_report(s, body=body, partnership=partnership, role=chair, now=now)
        assert first.report.id is not None
        for entry in first.entries:
            assert entry.id is not None
            _fill(s, members[entry.party_key], entry.id, now, EU_ANSWERS)
        # The last submission compiled it and queued its files for the samverkansgrupp.
        compiled = s.get(type(first.report), first.report.id)
        assert compiled is not None and compiled.status == "compiled"
        files = s.exec(select(Reminder).where(Reminder.kind == "report.files")).all()
        assert [(r.chat_id, r.payload["send_button"]) for r in files] == [(body.chat_id, True)]
        # Corrections end with the compilation.
        entry_id = first.entries[0].id
        assert entry_id is not None
        with pytest.raises(Refusal):
            reports.begin_form(s, person=members["convictus"], entry_id=entry_id, now=now)

    # The next half-year: two activities submit; compiling with gaps waits for the due date.
    clock.set(datetime(2026, 5, 10, 9, 0, tzinfo=UTC))
    now = clock()
    with transaction(svc.session_factory) as s:
        partnership = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert partnership is not None and partnership.id is not None
        body = bodies.get_body(s, partnership.id, "samverkansgrupp")
        assert body is not None
        chair = _role(s, body, members_of(s, partnership, "convictus"), now)
        second = reports.open_report(s, body=body, partnership=partnership, role=chair, now=now)
        assert second.report.key == "activity_report:2025-11..2026-04"
        for entry in second.entries[:2]:
            assert entry.id is not None
            person = members_of(s, partnership, entry.party_key)
            answers = [("text", "120"), ("text", "50 65 5"), *EU_ANSWERS[2:]]
            answers[2] = ("text", "Rumänien 70\nBulgarien 20\nPolen 10")
            answers[4] = ("text", "0 20 50 40 8 2")
            _fill(s, person, entry.id, now, answers)
        report_id = second.report.id
        assert report_id is not None
        with pytest.raises(Refusal) as refused:
            reports.compile_report(s, report_id=report_id, role=member, now=now)
        assert refused.value.message == "Only the chair compiles the report."
        with pytest.raises(Refusal) as refused:
            reports.compile_report(s, report_id=report_id, role=chair, now=now)
        assert refused.value.params == {"due": date(2026, 5, 30)}
    clock.set(datetime(2026, 5, 30, 9, 0, tzinfo=UTC))
    now = clock()
    with transaction(svc.session_factory) as s:
        partnership = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert partnership is not None and partnership.id is not None
        body = bodies.get_body(s, partnership.id, "samverkansgrupp")
        assert body is not None
        chair = _role(s, body, members_of(s, partnership, "convictus"), now)
        view = reports.compile_report(s, report_id=report_id, role=chair, now=now)
        assert view.compilation is not None and view.previous is not None
        assert [u.name for u in view.compilation.missing] == [
            "Ny Gemenskap", "Mötesplats Vårberg", "Mötesplats Hässelby",
        ]  # fmt: skip
        assert view.compilation.total == 240 and view.previous.total == 500
        # The chair sends it on: the deadline is met, the styrgrupp gets the files.
        sent, target = reports.send_on(s, report_id=report_id, role=chair, now=now)
        assert sent.report.status == "sent" and target.kind == "styrgrupp"
        assert "activity_report:2025-11..2026-04" in deadlines.load_facts(s, partnership).met_keys
        to_styrgrupp = [
            r
            for r in s.exec(select(Reminder).where(Reminder.kind == "report.files")).all()
            if r.chat_id == target.chat_id
        ]
        assert len(to_styrgrupp) == 1 and to_styrgrupp[0].payload["to_styrgrupp"] is True
        stored = Compilation.from_json(to_styrgrupp[0].payload["compilation"])
        assert stored.total == 240


def members_of(s: Session, partnership: Partnership, party_key: str) -> Person:
    assert partnership.id is not None
    body = bodies.get_body(s, partnership.id, "samverkansgrupp")
    assert body is not None
    from storage import people

    for _membership, person, party in people.confirmed_members(s, body.id or 0):
        if party.key == party_key:
            return person
    raise AssertionError(party_key)


def test_annual_compilation_of_004(svc: Any, clock: FakeClock) -> None:
    answers = [
        ("text", "40"),
        ("text", "10 29 1"),
        ("text", "2"),
        ("choice", "t:food"),
        ("text", "2"),
        ("choice", "done"),
        ("text", "Bra halvår."),
    ]
    for day, key in (
        (datetime(2025, 7, 10, 9, tzinfo=UTC), "activity_report:2025-01..2025-06"),
        (datetime(2026, 1, 10, 9, tzinfo=UTC), "activity_report:2025-07..2025-12"),
    ):
        clock.set(day)
        now = clock()
        with transaction(svc.session_factory) as s:
            partnership = bodies.get_partnership_by_diarienummer(s, "SOF 2023/202")
            assert partnership is not None and partnership.id is not None
            if key.endswith("2025-06"):
                _p, body, members = _setup(s, "SOF 2023/202", now)
            body = bodies.get_body(s, partnership.id, "samverkansgrupp")
            assert body is not None
            person = members_of(s, partnership, "street-minds")
            # 004: the body is responsible, so any confirmed member opens it.
            role = role_in_body(s, body, person.telegram_user_id, now.date(), is_chat_admin=False)
            opened = reports.open_report(s, body=body, partnership=partnership, role=role, now=now)
            assert opened.report.key == key
            (entry,) = opened.entries
            assert entry.id is not None
            shown = _fill(s, person, entry.id, now, answers)
            assert shown.compiled is not None
    with transaction(svc.session_factory) as s:
        partnership = bodies.get_partnership_by_diarienummer(s, "SOF 2023/202")
        assert partnership is not None and partnership.id is not None
        body = bodies.get_body(s, partnership.id, "samverkansgrupp")
        assert body is not None
        person = members_of(s, partnership, "street-minds")
        role = role_in_body(s, body, person.telegram_user_id, clock().date(), is_chat_admin=False)
        annual = reports.compile_annual(
            s, body=body, partnership=partnership, role=role, now=clock()
        )
        assert annual.report.key == "annual_compilation:2025"
        assert annual.compilation is not None
        assert annual.compilation.total == 80 and annual.compilation.themes == {"food": 4}
        (unit,) = annual.compilation.units
        assert unit.figures is not None
        assert "2025-01–2025-06: Bra halvår." in unit.figures["needs"]
        with pytest.raises(Refusal):
            reports.compile_annual(s, body=body, partnership=partnership, role=role, now=clock())
    # 001 has no annual compilation.
    with transaction(svc.session_factory) as s:
        partnership = bodies.get_partnership_by_diarienummer(s, "SOF 2025/144")
        assert partnership is not None and partnership.id is not None
        body = bodies.get_body(s, partnership.id, "samverkansgrupp")
        assert body is not None
        _p, body, members = _setup(s, "SOF 2025/144", clock())
        with pytest.raises(Refusal) as refused:
            reports.compile_annual(
                s,
                body=body,
                partnership=partnership,
                role=_role(s, body, members["convictus"], clock()),
                now=clock(),
            )
        assert refused.value.message == "This partnership's agreement has no annual compilation."
