"""Plain model objects for view tests: no database, no Telegram."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from storage.models import ActionItem, Body, Decision, Meeting, Partnership, Party, Person

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def partnership(**kw: Any) -> Partnership:
    values: dict[str, Any] = dict(
        id=1,
        diarienummer="SOF 2025/144",
        name="Stöd till EU-medborgare",
        timezone="Europe/Stockholm",
        language="sv",
        spec={},
        spec_hash="x",
        imported_at=NOW,
        updated_at=NOW,
    )
    return Partnership(**(values | kw))


def body(**kw: Any) -> Body:
    values: dict[str, Any] = dict(
        id=10, partnership_id=1, kind="styrgrupp", name="Styrgruppen", decision_prefix="SG",
        chat_id=-100, thread_id=None,
    )  # fmt: skip
    return Body(**(values | kw))


def person(pid: int = 1, first: str = "Anna", last: str | None = "Berg", **kw: Any) -> Person:
    values: dict[str, Any] = dict(
        id=pid, telegram_user_id=1000 + pid, first_name=first, last_name=last, created_at=NOW
    )
    return Person(**(values | kw))


def party(pid: int = 1, name: str = "Convictus", **kw: Any) -> Party:
    values: dict[str, Any] = dict(
        id=pid, partnership_id=1, key=name.lower(), name=name, org_number="802000-0000",
        kind="ngo",
    )  # fmt: skip
    return Party(**(values | kw))


def decision(number: int = 1, text: str = "Dagordningen godkänns.", **kw: Any) -> Decision:
    values: dict[str, Any] = dict(
        id=number, body_id=10, year=2026, number=number, decided_on=date(2026, 12, 3), text=text,
        created_at=NOW,
    )  # fmt: skip
    return Decision(**(values | kw))


def action_item(iid: int = 1, text: str = "Skicka statistiken", **kw: Any) -> ActionItem:
    values: dict[str, Any] = dict(
        id=iid, body_id=10, owner_person_id=1, due_on=date(2026, 12, 10), text=text,
        created_at=NOW,
    )  # fmt: skip
    return ActionItem(**(values | kw))


def meeting(mid: int = 5, **kw: Any) -> Meeting:
    values: dict[str, Any] = dict(
        id=mid, body_id=10, uid="m5@iop", starts_at=datetime(2026, 12, 10, 13, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC), place="Stadshuset", number=3,
        year=2026, status="published", sequence=0, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    return Meeting(**(values | kw))
