"""The decision register: numbered decisions per body and year, outside approvals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from storage.models import Body, Decision


@dataclass(frozen=True)
class DecisionInput:
    kind: str
    party_id: int | None
    due_on: date | None
    months: int | None
    text: str


def parse_decision_input(
    session: Session, partnership_id: int, raw: str, *, today: date
) -> DecisionInput:
    """Read an optional leading [tag] and the decision text; raises Refusal on bad tags."""
    return DecisionInput(kind="ordinary", party_id=None, due_on=None, months=None, text=raw.strip())


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
    """Number and store a decision (stub: filled in shortly)."""
    raise NotImplementedError


def decision_label(body: Body, decision: Decision) -> str:
    return f"{body.decision_prefix} {decision.year}:{decision.number}"
