"""Views of votes, escalations, deadlines and the bot's greeting: pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from governance import voting
from governance.deadlines import Deadline
from i18n import language
from services.chats import LinkResult
from services.deadline_list import Listing, Names
from services.escalations import OpenEscalation
from services.votes import Closed, RollCallParty, VoteState, counted_rule
from storage.models import Escalation, Vote
from tests import viewdata as v
from views import chats as chats_view
from views import deadlines as deadlines_view
from views import escalations as escalations_view
from views import votes as votes_view

RULE = {"rule": "per_representative", "majority": "simple", "quorum": None}


def _state(status: str = "open", label: str | None = None) -> tuple[VoteState, voting.Tally]:
    anna, bo = v.person(1, "Anna"), v.person(2, "Bo", None)
    vote = Vote(id=4, body_id=10, question="Ska <vi> anta rutinen?", status=status, rule=RULE,
                entitled=[{"person_id": 1, "party_key": "a", "user_id": 1001},
                          {"person_id": 2, "party_key": "b", "user_id": 1002}],
                opened_at=v.NOW)  # fmt: skip
    voters = [voting.Voter(1, "a"), voting.Voter(2, "b")]
    tally = voting.tally(counted_rule(vote), voters, [voting.Ballot(1, voting.Choice.YES)])
    rows = [
        RollCallParty("a", "Convictus", [(anna, voting.Choice.YES)], voting.Choice.YES, False),
        RollCallParty("b", "Stadsmission", [(bo, None)], None, False),
    ]
    return VoteState(vote, v.body(), v.partnership(), tally, rows, label), tally


def test_open_vote_panel_has_the_question_escaped_the_count_and_four_buttons() -> None:
    state, _tally = _state()
    text, keyboard = votes_view.panel(state)
    assert "<b>Ska &lt;vi&gt; anta rutinen?</b>" in text
    assert "Ja 1 · Nej 0 · Avstår 0" in text and "Bo: har inte röstat" in text
    assert keyboard is not None
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert data == ["vt:4:y", "vt:4:n", "vt:4:a", "vt:4:c"]


def test_closed_vote_has_no_buttons_and_names_its_decision() -> None:
    state, tally = _state("closed", "SG 2026:9")
    text, keyboard = votes_view.panel(state)
    assert keyboard is None and "SG 2026:9" in text
    note = votes_view.closed_note(Closed(state.vote, tally, "SG 2026:9"), "en")
    assert note == "The vote is closed: Adopted. Recorded as decision SG 2026:9."


def _escalation(status: str = "proposed", **kw: object) -> Escalation:
    values: dict[str, object] = dict(
        id=7, partnership_id=1, from_body_id=11, to_body_id=10, question="Fler <nattplatser>?",
        status=status, created_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
    )  # fmt: skip
    return Escalation(**(values | kw))  # type: ignore[arg-type]


def test_escalation_proposal_outcome_and_list() -> None:
    with language("en"):
        text, keyboard = escalations_view.proposal(_escalation(), v.person())
        kept = escalations_view.outcome(_escalation("raised"), None)
        withdrawn = escalations_view.outcome(_escalation("withdrawn"), v.person())
        listed = escalations_view.open_list(
            [OpenEscalation(_escalation("on_agenda"), 13, v.meeting())],
            ZoneInfo("Europe/Stockholm"),
        )
        nothing = escalations_view.open_list([], ZoneInfo("Europe/Stockholm"))
    assert "<blockquote>Fler &lt;nattplatser&gt;?</blockquote>" in text
    assert [b.callback_data for b in keyboard.inline_keyboard[0]] == ["es:7:c", "es:7:w"]
    assert "not linked yet" in kept
    assert withdrawn.startswith("<b>Withdrawn</b> #7") and "styrgrupp" not in withdrawn[20:]
    assert "on the agenda of the meeting on 10 December 2026 14:00" in listed
    assert "(13 days)" in listed
    assert nothing.startswith("No questions raised to the styrgrupp are open.")
    assert "/lyfta alla" in nothing


def test_deadline_list_by_date_with_keys_and_overdue_marks() -> None:
    names = Names({"convictus": "Convictus"}, {"styrgrupp": "Styrgruppen"})
    report = Deadline("financial_report", "financial_report:convictus:2026", date(2026, 11, 30),
                      party_key="convictus",
                      params={"year_start": "2025-01-01", "year_end": "2025-12-31"})  # fmt: skip
    payment = Deadline("payment", "payment:2026-12-31", date(2026, 12, 31), informational=True,
                       params={"period_start": "2027-01-01", "period_end": "2027-03-31"})  # fmt: skip
    found = Listing(v.partnership(), v.body(), False, date(2026, 12, 3), [payment, report], names)
    with language("en"):
        text = deadlines_view.listing(found, "en")
    assert text.index("overdue") < text.index("for information")
    assert "<code>/done financial_report:convictus:2026</code>" in text
    with language("en"):
        empty = deadlines_view.render_list(
            [], today=date(2026, 12, 3), title="T", names=names, language="en"
        )
    assert empty == "T\n\nNo deadlines in the coming months."


def test_link_answer() -> None:
    result = LinkResult(v.partnership(), v.body(), None, already_linked=True)
    with language("en"):
        assert chats_view.linked(result) == (
            "This chat is already the Styrgruppen of Stöd till EU-medborgare (SOF 2025/144)."
        )
        assert "/koppla SOF 2025/144 samverkansgrupp" in chats_view.greeting()
