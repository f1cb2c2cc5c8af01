"""Counting a vote, as data: who is entitled, what each unit counts, and the outcome.

Pure and synchronous; callers store ballots, render texts and record the decision. The rule
comes from a body's ``Voting`` table (any object with the same fields will do).

Readings of the agreements, where the text leaves a choice:

* A voting unit is a party (``per_party``, 001 §3.1 "varje part en röst oberoende av antal
  representanter") or a person (``per_representative``, 004). The entitled voters are fixed when
  the vote opens; ballots from anyone else are ignored and reported in ``ignored_voter_ids``.
* Each voter's latest ballot counts (a voter may change their vote until it is closed).
* Per party, the party's vote is the common choice of those of its representatives who have
  voted; representatives who have not voted do not block it. If those who voted disagree, the
  party is split and its vote is not counted, unless the party's designated representative has
  voted: that ballot then decides. An abstention is a choice like the others, so one
  representative abstaining while another votes yes is a split.
* Majority is of votes cast for or against: abstentions count as cast (and towards quorum) but
  not towards the majority. More yes than no adopts, more no than yes rejects, equal and non-zero
  is a tie; with no yes or no at all the outcome is ``NO_VOTES``.
* Quorum, when the file sets one, is a minimum number of units with a counted vote (abstentions
  included). A split party has voted but has no counted vote, so it does not count as present.
  Without quorum nothing is decided, whatever the votes.
* Closing early (before the deadline) is allowed only when no entitled voter's ballot could still
  change a unit's vote: per person, everyone has voted; per party, the designated representative
  has voted, or every representative has voted and they agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

Unit = str | int
"""A voting unit: a party key (``per_party``) or a voter id (``per_representative``)."""


class Choice(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Outcome(StrEnum):
    ADOPTED = "adopted"
    REJECTED = "rejected"
    TIE = "tie"
    NO_QUORUM = "no_quorum"
    NO_VOTES = "no_votes"


class VotingRule(Protocol):
    """The fields of ``governance.partnership_schema.Voting`` that counting needs."""

    @property
    def rule(self) -> Literal["per_party", "per_representative"]: ...

    @property
    def majority(self) -> Literal["simple"]: ...

    @property
    def quorum(self) -> int | None: ...

    @property
    def designated_representatives(self) -> Mapping[str, int]: ...


@dataclass(frozen=True)
class Voter:
    voter_id: int
    party_key: str


@dataclass(frozen=True)
class Ballot:
    voter_id: int
    choice: Choice


@dataclass(frozen=True)
class UnitVote:
    """How one unit stands: its counted choice (None: nobody voted, or an unresolved split)."""

    unit: Unit
    party_key: str
    voter_ids: tuple[int, ...]
    voted: tuple[int, ...]
    choice: Choice | None
    split: bool
    decided_by: int | None
    """The designated representative whose ballot decided a split, if any."""
    settled: bool
    """No entitled voter's further ballot could change this unit's vote."""


@dataclass(frozen=True)
class Quorum:
    required: int
    present: int
    reached: bool


@dataclass(frozen=True)
class Tally:
    rule: Literal["per_party", "per_representative"]
    units: tuple[UnitVote, ...]
    splits: tuple[str, ...]
    """Parties whose voting representatives disagree (resolved by a designated one or not)."""
    unresolved_splits: tuple[str, ...]
    """Split parties without a counted vote; a chair closing now should see them."""
    yes: int
    no: int
    abstain: int
    votes_cast: int
    entitled: int
    not_voted: int
    """Units where nobody has voted (``entitled = votes_cast + unresolved + not_voted``)."""
    turnout: float
    quorum: Quorum | None
    outcome: Outcome
    ignored_voter_ids: tuple[int, ...]

    @property
    def choices(self) -> dict[Unit, Choice | None]:
        return {u.unit: u.choice for u in self.units}


def entitled_units(voting: VotingRule, voters: Iterable[Voter]) -> tuple[Unit, ...]:
    """The voting units of ``voters`` under the rule, sorted."""
    voter_list = _checked(voters)
    if voting.rule == "per_party":
        return tuple(sorted({v.party_key for v in voter_list}))
    return tuple(sorted(v.voter_id for v in voter_list))


def tally(voting: VotingRule, voters: Iterable[Voter], ballots: Iterable[Ballot]) -> Tally:
    """Count ``ballots`` (in the order cast) of the entitled ``voters`` under ``voting``."""
    voter_list = _checked(voters)
    entitled_ids = {v.voter_id for v in voter_list}
    latest: dict[int, Choice] = {}
    ignored: set[int] = set()
    for ballot in ballots:
        if ballot.voter_id in entitled_ids:
            latest[ballot.voter_id] = Choice(ballot.choice)
        else:
            ignored.add(ballot.voter_id)

    if voting.rule == "per_party":
        units = _per_party(voting, voter_list, latest)
    else:
        units = tuple(
            _unit(v.voter_id, v.party_key, (v.voter_id,), latest, None)
            for v in sorted(voter_list, key=lambda v: v.voter_id)
        )

    counted = [u.choice for u in units if u.choice is not None]
    yes = counted.count(Choice.YES)
    no = counted.count(Choice.NO)
    abstain = counted.count(Choice.ABSTAIN)
    votes_cast = len(counted)
    entitled = len(units)
    quorum = None
    if voting.quorum is not None:
        quorum = Quorum(voting.quorum, votes_cast, votes_cast >= voting.quorum)
    return Tally(
        rule=voting.rule,
        units=units,
        splits=tuple(str(u.unit) for u in units if u.split),
        unresolved_splits=tuple(str(u.unit) for u in units if u.split and u.choice is None),
        yes=yes,
        no=no,
        abstain=abstain,
        votes_cast=votes_cast,
        entitled=entitled,
        not_voted=sum(1 for u in units if not u.voted),
        turnout=votes_cast / entitled if entitled else 0.0,
        quorum=quorum,
        outcome=_outcome(yes, no, quorum),
        ignored_voter_ids=tuple(sorted(ignored)),
    )


def can_close_early(result: Tally) -> bool:
    """True when every unit has a counted vote that no further ballot could change."""
    return all(u.choice is not None and u.settled for u in result.units)


def _checked(voters: Iterable[Voter]) -> list[Voter]:
    voter_list = list(voters)
    ids = [v.voter_id for v in voter_list]
    if len(ids) != len(set(ids)):
        raise ValueError("a voter is listed twice")
    return voter_list


def _per_party(
    voting: VotingRule, voters: list[Voter], latest: Mapping[int, Choice]
) -> tuple[UnitVote, ...]:
    by_party: dict[str, list[int]] = {}
    for v in voters:
        by_party.setdefault(v.party_key, []).append(v.voter_id)
    units = []
    for party in sorted(by_party):
        ids = tuple(sorted(by_party[party]))
        designated = voting.designated_representatives.get(party)
        # A designated id that is not one of the party's entitled voters carries no weight.
        units.append(_unit(party, party, ids, latest, designated if designated in ids else None))
    return tuple(units)


def _unit(
    unit: Unit,
    party_key: str,
    ids: tuple[int, ...],
    latest: Mapping[int, Choice],
    designated: int | None,
) -> UnitVote:
    voted = tuple(i for i in ids if i in latest)
    distinct = {latest[i] for i in voted}
    split = len(distinct) > 1
    decided_by = None
    if designated is not None and designated in latest:
        choice: Choice | None = latest[designated]
        decided_by = designated if split else None
        settled = True
    else:
        choice = distinct.pop() if len(distinct) == 1 else None
        settled = len(voted) == len(ids) and not split
    return UnitVote(unit, party_key, ids, voted, choice, split, decided_by, settled)


def _outcome(yes: int, no: int, quorum: Quorum | None) -> Outcome:
    if quorum is not None and not quorum.reached:
        return Outcome.NO_QUORUM
    if yes > no:
        return Outcome.ADOPTED
    if no > yes:
        return Outcome.REJECTED
    return Outcome.TIE if yes else Outcome.NO_VOTES
