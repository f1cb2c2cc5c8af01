"""The agreement's lifecycle facts: extensions, an end, notices, expulsions, new parties.

One row per fact (see `governance.lifecycle.FactKind`), written by `services.agreement` from a
decision or from the administrator's buttons in /avtal; never edited, so the history stays.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column
from sqlmodel import Field, Session, SQLModel, col, select

from governance.lifecycle import FactKind, LifecycleFact
from storage.models import Body, Decision
from storage.types import UTCDateTime


class AgreementFact(SQLModel, table=True):
    __tablename__ = "agreement_fact"

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    kind: str = Field(max_length=16)  # extension | ended | notice | expulsion | new_party
    # extension: the new end; ended: the last day; notice: the day it was given; expulsion:
    # the party's last day; new_party: its first day.
    effective_on: date
    party_key: str | None = Field(default=None, max_length=200)  # a party's key
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def facts_of(session: Session, partnership_id: int) -> list[AgreementFact]:
    return list(
        session.exec(
            select(AgreementFact)
            .where(AgreementFact.partnership_id == partnership_id)
            .order_by(col(AgreementFact.effective_on), col(AgreementFact.id))
        ).all()
    )


def lifecycle_facts(session: Session, partnership_id: int) -> list[LifecycleFact]:
    """The facts as the pure rules want them, each with its decision's register number."""
    rows = session.exec(
        select(AgreementFact, Decision, Body)
        .join(Decision, col(Decision.id) == AgreementFact.decision_id, isouter=True)
        .join(Body, col(Body.id) == Decision.body_id, isouter=True)
        .where(AgreementFact.partnership_id == partnership_id)
        .order_by(col(AgreementFact.effective_on), col(AgreementFact.id))
    ).all()
    return [
        LifecycleFact(
            FactKind(fact.kind),
            fact.effective_on,
            party=fact.party_key,
            decision=(
                f"{body.decision_prefix} {decision.year}:{decision.number}"
                if decision is not None and body is not None
                else None
            ),
        )
        for fact, decision, body in rows
    ]


def add_fact(session: Session, fact: AgreementFact) -> AgreementFact:
    session.add(fact)
    session.flush()
    return fact


__all__ = ["AgreementFact", "add_fact", "facts_of", "lifecycle_facts"]
