"""Repository functions for votes and ballots.

Functions flush; the caller owns the transaction. A vote is locked (FOR UPDATE on PostgreSQL;
SQLite serialises writers with BEGIN IMMEDIATE) before a ballot is cast or the vote is closed,
so two presses or two closes at once are decided one after the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Ballot, Vote

__all__ = [
    "add",
    "ballots_of",
    "get_vote",
    "latest_ballot",
    "open_votes",
    "overdue_votes",
]


def add(session: Session, row: Vote | Ballot) -> None:
    session.add(row)
    session.flush()


def get_vote(session: Session, vote_id: int, *, lock: bool = False) -> Vote | None:
    query = select(Vote).where(Vote.id == vote_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def ballots_of(session: Session, vote_id: int) -> list[Ballot]:
    """Every press, in the order cast (the audit trail; the latest per person counts)."""
    return list(
        session.exec(
            select(Ballot)
            .where(Ballot.vote_id == vote_id)
            .order_by(col(Ballot.cast_at), col(Ballot.id))
        ).all()
    )


def latest_ballot(session: Session, vote_id: int, person_id: int) -> Ballot | None:
    return session.exec(
        select(Ballot)
        .where(Ballot.vote_id == vote_id, Ballot.person_id == person_id)
        .order_by(col(Ballot.cast_at).desc(), col(Ballot.id).desc())
    ).first()


def open_votes(session: Session, body_id: int | None = None) -> list[Vote]:
    query = select(Vote).where(Vote.status == "open")
    if body_id is not None:
        query = query.where(Vote.body_id == body_id)
    return list(session.exec(query.order_by(col(Vote.id))).all())


def overdue_votes(session: Session, now: datetime) -> list[Vote]:
    """Open votes whose deadline has passed (closed on first touch or by the sweep)."""
    return list(
        session.exec(
            select(Vote)
            .where(
                Vote.status == "open",
                col(Vote.closes_at).is_not(None),
                col(Vote.closes_at) <= now,
            )
            .order_by(col(Vote.id))
        ).all()
    )
