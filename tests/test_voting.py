from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.partnership_file import load_partnership_file
from governance.partnership_schema import Voting
from governance.voting import (
    Ballot,
    Choice,
    Outcome,
    Quorum,
    Voter,
    can_close_early,
    entitled_units,
    tally,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
Y, N, A = Choice.YES, Choice.NO, Choice.ABSTAIN

# 001 styrgrupp: four parties, Convictus with two representatives.
STAD, CONV1, CONV2, FA, NG = 11, 21, 22, 31, 41
VOTERS_001 = (
    Voter(STAD, "stockholms-stad"),
    Voter(CONV1, "convictus"),
    Voter(CONV2, "convictus"),
    Voter(FA, "fralsningsarmen"),
    Voter(NG, "ny-gemenskap"),
)
PER_PARTY = Voting(rule="per_party")

# 004 styrgrupp: two from the city, one from Street Minds, one vote each.
VOTERS_004 = (Voter(1, "stockholms-stad"), Voter(2, "stockholms-stad"), Voter(3, "street-minds"))
PER_REP = Voting(rule="per_representative")


def b(voter_id: int, choice: Choice) -> Ballot:
    return Ballot(voter_id, choice)


def test_example_files_rules() -> None:
    assert (
        load_partnership_file(EXAMPLES / "sof-2025-144.toml").bodies["styrgrupp"].voting.rule
        == "per_party"
    )
    spec_004 = load_partnership_file(EXAMPLES / "sof-2023-202.toml")
    result = tally(spec_004.bodies["styrgrupp"].voting, VOTERS_004, [b(1, Y)])
    assert result.entitled == 3 and result.yes == 1


def test_entitled_units() -> None:
    assert entitled_units(PER_PARTY, VOTERS_001) == (
        "convictus",
        "fralsningsarmen",
        "ny-gemenskap",
        "stockholms-stad",
    )
    assert entitled_units(PER_REP, VOTERS_004) == (1, 2, 3)


def test_duplicate_voter_rejected() -> None:
    with pytest.raises(ValueError):
        tally(PER_PARTY, [Voter(1, "a"), Voter(1, "b")], [])


def test_per_party_split_not_counted() -> None:
    result = tally(
        PER_PARTY, VOTERS_001, [b(STAD, Y), b(CONV1, Y), b(CONV2, N), b(FA, N), b(NG, Y)]
    )
    assert result.choices["convictus"] is None
    assert result.splits == ("convictus",)
    assert result.unresolved_splits == ("convictus",)
    assert (result.yes, result.no, result.abstain) == (2, 1, 0)
    assert result.votes_cast == 3 and result.entitled == 4 and result.not_voted == 0
    assert result.turnout == 0.75
    assert result.outcome is Outcome.ADOPTED
    assert not can_close_early(result)


def test_per_party_agreeing_counts_once() -> None:
    result = tally(
        PER_PARTY, VOTERS_001, [b(STAD, N), b(CONV1, Y), b(CONV2, Y), b(FA, N), b(NG, Y)]
    )
    assert result.choices["convictus"] is Y
    assert result.splits == () and result.unresolved_splits == ()
    assert (result.yes, result.no) == (2, 2)
    assert result.outcome is Outcome.TIE
    assert can_close_early(result)


def test_split_resolved_by_changing_vote() -> None:
    ballots = [b(CONV1, Y), b(CONV2, N), b(CONV2, Y)]
    result = tally(PER_PARTY, VOTERS_001, ballots)
    assert result.choices["convictus"] is Y and result.splits == ()


def test_one_representative_voting_counts_but_is_not_settled() -> None:
    result = tally(PER_PARTY, VOTERS_001, [b(STAD, Y), b(CONV1, Y), b(FA, Y), b(NG, Y)])
    assert result.choices["convictus"] is Y
    assert result.yes == 4 and result.outcome is Outcome.ADOPTED
    # CONV2 could still vote no and split the party, so the chair waits or closes explicitly.
    assert not can_close_early(result)


def test_abstain_against_yes_is_a_split() -> None:
    result = tally(PER_PARTY, VOTERS_001, [b(CONV1, A), b(CONV2, Y)])
    assert result.unresolved_splits == ("convictus",)
    assert result.votes_cast == 0 and result.not_voted == 3


def test_designated_representative_decides() -> None:
    voting = Voting(rule="per_party", designated_representatives={"convictus": CONV2})
    ballots = [b(STAD, Y), b(CONV1, Y), b(CONV2, N), b(FA, N), b(NG, Y)]
    result = tally(voting, VOTERS_001, ballots)
    conv = next(u for u in result.units if u.unit == "convictus")
    assert conv.choice is N and conv.split and conv.decided_by == CONV2
    assert result.splits == ("convictus",) and result.unresolved_splits == ()
    assert (result.yes, result.no) == (2, 2)
    assert can_close_early(result)


def test_designated_alone_settles_party() -> None:
    voting = Voting(rule="per_party", designated_representatives={"convictus": CONV1})
    ballots = [b(STAD, Y), b(CONV1, N), b(FA, Y), b(NG, Y)]
    result = tally(voting, VOTERS_001, ballots)
    assert result.choices["convictus"] is N and can_close_early(result)


def test_designated_not_voted_others_split() -> None:
    voters = (*VOTERS_001, Voter(23, "convictus"))
    voting = Voting(rule="per_party", designated_representatives={"convictus": 23})
    result = tally(voting, voters, [b(CONV1, Y), b(CONV2, N)])
    assert result.unresolved_splits == ("convictus",)


def test_designated_outside_party_ignored() -> None:
    voting = Voting(rule="per_party", designated_representatives={"convictus": FA})
    result = tally(voting, VOTERS_001, [b(CONV1, Y), b(CONV2, N), b(FA, N)])
    assert result.unresolved_splits == ("convictus",)
    assert result.choices["fralsningsarmen"] is N


def test_per_representative_counts_each() -> None:
    result = tally(PER_REP, VOTERS_004, [b(1, Y), b(2, N), b(3, N)])
    assert result.choices == {1: Y, 2: N, 3: N}
    assert (result.yes, result.no, result.entitled) == (1, 2, 3)
    assert result.splits == ()  # two city representatives disagreeing is not a split here
    assert result.outcome is Outcome.REJECTED
    assert can_close_early(result)


def test_tie_per_representative() -> None:
    result = tally(PER_REP, VOTERS_004, [b(1, Y), b(2, N), b(3, A)])
    assert (result.yes, result.no, result.abstain, result.votes_cast) == (1, 1, 1, 3)
    assert result.outcome is Outcome.TIE


def test_abstentions_do_not_count_towards_majority() -> None:
    result = tally(PER_REP, VOTERS_004, [b(1, Y), b(2, A), b(3, A)])
    assert result.outcome is Outcome.ADOPTED and result.turnout == 1.0
    only_abstain = tally(PER_REP, VOTERS_004, [b(1, A)])
    assert only_abstain.outcome is Outcome.NO_VOTES
    assert tally(PER_REP, VOTERS_004, []).outcome is Outcome.NO_VOTES


def test_quorum_counts_abstentions() -> None:
    voting = Voting(rule="per_representative", quorum=2)
    result = tally(voting, VOTERS_004, [b(1, Y)])
    assert result.quorum == Quorum(required=2, present=1, reached=False)
    assert result.outcome is Outcome.NO_QUORUM
    reached = tally(voting, VOTERS_004, [b(1, Y), b(2, A)])
    assert reached.quorum == Quorum(required=2, present=2, reached=True)
    assert reached.outcome is Outcome.ADOPTED


def test_quorum_split_party_not_present() -> None:
    voting = Voting(rule="per_party", quorum=3)
    result = tally(voting, VOTERS_001, [b(STAD, Y), b(FA, Y), b(CONV1, Y), b(CONV2, N)])
    assert result.quorum is not None and result.quorum.present == 2
    assert result.outcome is Outcome.NO_QUORUM


def test_no_quorum_in_file() -> None:
    assert tally(PER_PARTY, VOTERS_001, []).quorum is None


def test_latest_ballot_wins() -> None:
    result = tally(PER_REP, VOTERS_004, [b(1, Y), b(2, Y), b(1, N), b(1, A)])
    assert result.choices[1] is A
    assert (result.yes, result.abstain) == (1, 1)


def test_non_entitled_ballots_ignored_and_reported() -> None:
    result = tally(PER_REP, VOTERS_004, [b(99, N), b(1, Y), b(98, N), b(99, Y)])
    assert result.ignored_voter_ids == (98, 99)
    assert (result.yes, result.no, result.votes_cast) == (1, 0, 1)


# --- properties -------------------------------------------------------------------------

PARTIES = ("a", "b", "c", "d")
voters_st = st.dictionaries(
    st.integers(1, 12), st.sampled_from(PARTIES), min_size=1, max_size=8
).map(lambda d: tuple(Voter(i, p) for i, p in d.items()))
choice_st = st.sampled_from(list(Choice))
ballot_st = st.lists(st.builds(Ballot, st.integers(1, 15), choice_st), max_size=20)


@st.composite
def voting_st(draw: st.DrawFn) -> Voting:
    rule = draw(st.sampled_from(["per_party", "per_representative"]))
    quorum = draw(st.none() | st.integers(1, 6))
    designated = {}
    if rule == "per_party":
        designated = draw(st.dictionaries(st.sampled_from(PARTIES), st.integers(1, 12)))
    return Voting(rule=rule, quorum=quorum, designated_representatives=designated)


@settings(max_examples=200, deadline=None)
@given(voting_st(), voters_st, ballot_st)
def test_counts_are_consistent(
    voting: Voting, voters: tuple[Voter, ...], ballots: list[Ballot]
) -> None:
    result = tally(voting, voters, ballots)
    counted = sum(1 for u in result.units if u.choice is not None)
    assert result.yes + result.no + result.abstain == result.votes_cast == counted
    assert result.votes_cast <= result.entitled == len(entitled_units(voting, voters))
    assert result.entitled == result.votes_cast + len(result.unresolved_splits) + result.not_voted
    assert set(result.unresolved_splits) <= set(result.splits)
    if voting.rule == "per_party":
        assert result.entitled == len({v.party_key for v in voters})
    else:
        assert result.entitled == len(voters) and result.splits == ()
    ids = {v.voter_id for v in voters}
    assert set(result.ignored_voter_ids) == {x.voter_id for x in ballots} - ids
    assert 0.0 <= result.turnout <= 1.0
    if can_close_early(result):
        assert result.votes_cast == result.entitled


@settings(max_examples=200, deadline=None)
@given(voting_st(), voters_st, ballot_st, st.randoms(use_true_random=False))
def test_order_between_voters_does_not_matter(
    voting: Voting, voters: tuple[Voter, ...], ballots: list[Ballot], rnd
) -> None:
    # Keep each voter's own ballots in order; interleave different voters arbitrarily.
    queues: dict[int, list[Ballot]] = {}
    for x in ballots:
        queues.setdefault(x.voter_id, []).append(x)
    shuffled: list[Ballot] = []
    keys = [k for k, q in queues.items() for _ in q]
    rnd.shuffle(keys)
    for k in keys:
        shuffled.append(queues[k].pop(0))
    assert tally(voting, voters, shuffled) == tally(voting, voters, ballots)
