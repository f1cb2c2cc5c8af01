"""Votes on inline buttons: opening, ballots, closing into a decision, reminders to non-voters.

Rules (readings noted where the brief leaves a choice):

* The chair (or the partnership's administrator) opens a vote. In a meeting in session the vote
  belongs to the meeting and its current agenda item and needs no deadline; outside one it needs
  a deadline (``closes_at``).
* Entitlement is fixed at opening: the body's confirmed members with a party. A pending member
  (party not yet confirmed), someone who joined later, or a non-member cannot vote.
* The voting rule is the body's ``Voting`` table from the partnership file, stored with the vote.
  Its ``designated_representatives`` are Telegram user ids; they are matched to the entitled
  persons when counting.
* Every press is kept (the audit trail); pressing the choice one already has adds nothing.
* A vote past its deadline is closed on first touch (press, command, sweep); a ballot after the
  deadline is refused. Closing locks the vote row: a second close is refused.
* The chair may close a vote in a meeting at any time; a standalone vote before its deadline only
  when no further ballot could change any unit's vote (``governance.voting.can_close_early``).
* Closing stores the tally; adopted, rejected and tied votes become a decision in the register
  (and a decision line of the minutes when the vote's meeting is still in session). Without
  quorum or without any yes/no nothing is decided: a note goes to the minutes instead.
* A standalone vote reminds the entitled who have not voted, once, 24 hours before it closes
  (half-way for votes shorter than two days): privately to those who started the bot, else one
  group message naming them. Each ballot recomputes who is still to be reminded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from delivery import hooks, outbox
from governance import voting
from governance.partnership_schema import Voting
from i18n import N_, pick_language
from services import agreement, decisions
from services.errors import Refusal
from services.partnerships import spec_of
from services.roles import Role
from storage import bodies, people, reminders
from storage import minutes as minutes_repo
from storage import votes as repo
from storage.models import (
    AuditEntry,
    Ballot,
    Body,
    Decision,
    Meeting,
    MinuteEntry,
    Partnership,
    Person,
    Vote,
)

__all__ = [
    "CHOICES",
    "KIND_REMINDER",
    "MAX_QUESTION_CHARS",
    "VOTE_SENT",
    "Cast",
    "Closed",
    "RollCallParty",
    "cast_ballot",
    "close_vote",
    "closed_key",
    "counted_rule",
    "message_target",
    "open_vote",
    "reminder_instant",
    "roll_call",
    "settle_overdue",
    "sync_vote_reminders",
    "tally_of",
    "vote_key",
    "vote_source",
]

KIND_REMINDER = "vote.reminder"
MAX_QUESTION_CHARS = 1000
CHOICES = {"y": voting.Choice.YES, "n": voting.Choice.NO, "a": voting.Choice.ABSTAIN}
DECIDING = (voting.Outcome.ADOPTED, voting.Outcome.REJECTED, voting.Outcome.TIE)

DecisionWording = Callable[[Vote, voting.Tally], str]


def vote_source(vote_id: int) -> str:
    return f"vote:{vote_id}"


@dataclass(frozen=True)
class _Rule:
    """A body's Voting with designated representatives as person ids (what `tally` counts)."""

    rule: Any
    majority: Any
    quorum: int | None
    designated_representatives: Mapping[str, int] = field(default_factory=dict)


def counted_rule(vote: Vote) -> _Rule:
    stored = Voting.model_validate(vote.rule)
    by_user = {int(e["user_id"]): int(e["person_id"]) for e in vote.entitled if "user_id" in e}
    designated = {
        party: by_user[user_id]
        for party, user_id in stored.designated_representatives.items()
        if user_id in by_user
    }
    return _Rule(stored.rule, stored.majority, stored.quorum, designated)


def _voters(vote: Vote) -> list[voting.Voter]:
    return [voting.Voter(int(e["person_id"]), str(e["party_key"])) for e in vote.entitled]


def tally_of(session: Session, vote: Vote) -> voting.Tally:
    assert vote.id is not None
    ballots = [
        voting.Ballot(b.person_id, voting.Choice(b.choice))
        for b in repo.ballots_of(session, vote.id)
    ]
    return voting.tally(counted_rule(vote), _voters(vote), ballots)


def _result_json(result: voting.Tally) -> dict[str, Any]:
    return {
        "rule": result.rule,
        "yes": result.yes,
        "no": result.no,
        "abstain": result.abstain,
        "votes_cast": result.votes_cast,
        "entitled": result.entitled,
        "not_voted": result.not_voted,
        "turnout": round(result.turnout, 4),
        "quorum": None
        if result.quorum is None
        else {"required": result.quorum.required, "present": result.quorum.present,
              "reached": result.quorum.reached},
        "outcome": result.outcome.value,
        "splits": list(result.splits),
        "unresolved_splits": list(result.unresolved_splits),
        "units": {str(u.unit): (u.choice.value if u.choice else None) for u in result.units},
    }  # fmt: skip


def _audit(session: Session, body: Body, actor: Person | None, action: str, now: datetime,
           **detail: Any) -> None:  # fmt: skip
    session.add(
        AuditEntry(
            partnership_id=body.partnership_id,
            at=now,
            actor_user_id=actor.telegram_user_id if actor is not None else None,
            action=action,
            detail=detail,
        )
    )


def _partnership(session: Session, body: Body) -> Partnership:
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    return partnership


def _may_lead(role: Role) -> bool:
    return role.is_chair or role.is_administrator


# --- opening -------------------------------------------------------------------------------


def open_vote(
    session: Session,
    *,
    body: Body,
    role: Role,
    question: str,
    closes_at: datetime | None,
    now: datetime,
) -> Vote:
    """Open a vote with the body's rule and its entitled members fixed now."""
    assert body.id is not None
    if not _may_lead(role):
        raise Refusal(N_("Only the chair can open a vote."))
    question = question.strip()
    if not question:
        raise Refusal(
            N_("Write the question after the command: /omrostning question | deadline (the deadline can be left out during a meeting).")
        )  # fmt: skip
    if len(question) > MAX_QUESTION_CHARS:
        raise Refusal(N_("The question is too long: at most {limit} characters."),
                      limit=MAX_QUESTION_CHARS)  # fmt: skip
    meeting = minutes_repo.open_meeting(session, body.id)
    if closes_at is None and meeting is None:
        raise Refusal(
            N_("Outside a meeting a vote needs a deadline: /omrostning question | Friday 17:00.")
        )
    if closes_at is not None and closes_at <= now:
        raise Refusal(N_("The deadline has already passed. Choose a later time."))
    partnership = _partnership(session, body)
    rule = spec_of(partnership).bodies.get(body.kind)  # type: ignore[call-overload]
    if rule is None:
        raise Refusal(
            N_("The partnership file sets no voting rule for the {body}."), body=body.name
        )
    parties = {p.id: p for p in bodies.parties_of(session, partnership.id or 0, active_only=False)}
    # A party whose participation has ended (notice, removal) or not yet begun has no vote.
    today = agreement.today_of(partnership, now)
    entitled = [
        {"person_id": person.id, "party_key": party.key, "user_id": person.telegram_user_id}
        for membership, person, party in people.confirmed_members(session, body.id)
        if membership.party_id in parties
        and not person.erased
        and agreement.takes_part(session, partnership, party.key, today)
    ]
    if not entitled:
        raise Refusal(N_("No confirmed members can vote yet. Members say their party with /jag."))
    vote = Vote(
        body_id=body.id,
        meeting_id=meeting.id if meeting is not None else None,
        agenda_item_id=meeting.current_item_id if meeting is not None else None,
        question=question,
        entitled=entitled,
        rule=rule.voting.model_dump(mode="json"),
        closes_at=closes_at,
        opened_by_person_id=role.person.id if role.person else None,
        opened_at=now,
    )
    repo.add(session, vote)
    _audit(session, body, role.person, "vote.opened", now, vote_id=vote.id,
           entitled=len(entitled), closes_at=closes_at.isoformat() if closes_at else None)  # fmt: skip
    sync_vote_reminders(session, vote, body=body, now=now)
    return vote


def _vote_of_body(session: Session, body: Body, vote_id: int, *, lock: bool) -> Vote:
    vote = repo.get_vote(session, vote_id, lock=lock)
    if vote is None or vote.body_id != body.id:
        # Another chat's vote, or tampered data: nothing is revealed about it.
        raise Refusal(N_("This button is no longer valid."))
    return vote


# --- ballots -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    vote: Vote
    choice: voting.Choice
    previous: voting.Choice | None
    changed: bool  # False: the same choice pressed again, nothing stored


def cast_ballot(
    session: Session, *, body: Body, vote_id: int, role: Role, choice: voting.Choice,
    now: datetime,
) -> Cast:  # fmt: skip
    """Store a press of an entitled member who is still a member (the latest counts)."""
    person = role.person
    vote = _vote_of_body(session, body, vote_id, lock=True)
    if vote.status != "open" or (vote.closes_at is not None and vote.closes_at <= now):
        raise Refusal(N_("This vote is closed."))
    entitled = {int(e["person_id"]): str(e["party_key"]) for e in vote.entitled}
    if person is None or person.id not in entitled or not role.is_member:
        raise Refusal(
            N_("Only the members of the body who were confirmed when the vote opened can vote.")
        )
    partnership = _partnership(session, body)
    if not agreement.takes_part(
        session, partnership, entitled[person.id], agreement.today_of(partnership, now)
    ):
        raise Refusal(N_("Your party no longer takes part in the partnership, so it has no vote."))
    assert person.id is not None and vote.id is not None
    last = repo.latest_ballot(session, vote.id, person.id)
    previous = voting.Choice(last.choice) if last is not None else None
    if previous == choice:
        return Cast(vote, choice, previous, False)
    repo.add(session, Ballot(vote_id=vote.id, person_id=person.id, choice=choice.value,
                             cast_at=now))  # fmt: skip
    sync_vote_reminders(session, vote, body=body, now=now)
    return Cast(vote, choice, previous, True)


# --- closing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Closed:
    vote: Vote
    tally: voting.Tally
    decision_label: str | None


def close_vote(
    session: Session,
    *,
    body: Body,
    vote_id: int,
    role: Role | None,
    now: datetime,
    wording: DecisionWording,
    today: date | None = None,
) -> Closed:
    """Close a vote (``role`` None: its deadline passed) and record the result."""
    vote = _vote_of_body(session, body, vote_id, lock=True)
    if vote.status != "open":
        raise Refusal(N_("This vote is already closed."))
    assert vote.id is not None
    result = tally_of(session, vote)
    if role is not None:
        if not _may_lead(role):
            raise Refusal(N_("Only the chair can close the vote."))
        before_deadline = vote.closes_at is not None and now < vote.closes_at
        if before_deadline and vote.meeting_id is None and not voting.can_close_early(result):
            raise Refusal(
                N_("Members can still vote or change the result until the deadline, so the vote stays open until then.")
            )  # fmt: skip
    vote.status = "closed"
    vote.closed_at = now
    vote.result = _result_json(result)
    zone = ZoneInfo(_partnership(session, body).timezone)
    decided_on = today or now.astimezone(zone).date()
    text = wording(vote, result)
    meeting = session.get(Meeting, vote.meeting_id) if vote.meeting_id else None
    in_session = meeting is not None and meeting.opened_at is not None and meeting.closed_at is None
    entry: MinuteEntry | None = None
    if in_session and meeting is not None and meeting.id is not None:
        entry = MinuteEntry(
            meeting_id=meeting.id,
            agenda_item_id=vote.agenda_item_id,
            kind="decision" if result.outcome in DECIDING else "note",
            text=text,
            author_person_id=role.person.id if role is not None and role.person else None,
            created_at=now,
            updated_at=now,
        )
        session.add(entry)
        session.flush()
    label = None
    if result.outcome in DECIDING:
        decision = decisions.record_decision(
            session,
            body=body,
            decision=decisions.DecisionInput("ordinary", None, None, None, text),
            decided_on=decided_on,
            now=now,
            meeting_id=vote.meeting_id,
            agenda_item_id=vote.agenda_item_id,
            entry_id=entry.id if entry is not None else None,
        )
        vote.decision_id = decision.id
        label = decisions.decision_label(body, decision)
    session.add(vote)
    session.flush()
    _audit(session, body, role.person if role else None, "vote.closed", now, vote_id=vote.id,
           outcome=result.outcome.value, automatic=role is None, decision=label)  # fmt: skip
    reminders.cancel_source(session, vote_source(vote.id), now)
    return Closed(vote, result, label)


def settle_overdue(
    session: Session, *, body: Body, vote_id: int, now: datetime, wording: DecisionWording
) -> Closed | None:
    """Close the vote if its deadline has passed and it is still open (first touch)."""
    vote = repo.get_vote(session, vote_id, lock=True)
    if vote is None or vote.body_id != body.id or vote.status != "open":
        return None
    if vote.closes_at is None or vote.closes_at > now:
        return None
    return close_vote(session, body=body, vote_id=vote_id, role=None, now=now, wording=wording)


# --- roll-call -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RollCallParty:
    party_key: str
    party_name: str
    voters: list[tuple[Person, voting.Choice | None]]
    counted: voting.Choice | None
    split: bool


def roll_call(session: Session, vote: Vote, result: voting.Tally) -> list[RollCallParty]:
    """Who voted what, by party, with the party's counted vote and whether it is split."""
    assert vote.id is not None
    latest: dict[int, voting.Choice] = {}
    for ballot in repo.ballots_of(session, vote.id):
        latest[ballot.person_id] = voting.Choice(ballot.choice)
    body = session.get(Body, vote.body_id)
    assert body is not None
    names = {p.key: p.name for p in bodies.parties_of(session, body.partnership_id,
                                                      active_only=False)}  # fmt: skip
    by_party: dict[str, list[tuple[Person, voting.Choice | None]]] = {}
    for e in vote.entitled:
        person = session.get(Person, int(e["person_id"]))
        if person is not None:
            by_party.setdefault(str(e["party_key"]), []).append(
                (person, latest.get(person.id or 0))
            )
    units = {u.party_key: u for u in result.units} if result.rule == "per_party" else {}
    rows = []
    for key in sorted(by_party, key=lambda k: (names.get(k) or k).casefold()):
        unit = units.get(key)  # per representative a party is no unit: nothing is split
        rows.append(
            RollCallParty(
                party_key=key,
                party_name=names.get(key) or key,
                voters=by_party[key],
                counted=unit.choice if unit is not None else None,
                split=unit.split if unit is not None else False,
            )
        )
    return rows


# --- reminders -----------------------------------------------------------------------------


def reminder_instant(vote: Vote) -> datetime | None:
    """When non-voters are reminded: a day before the deadline, half-way for short votes."""
    if vote.closes_at is None:
        return None
    span = vote.closes_at - vote.opened_at
    if span >= timedelta(days=2):
        return vote.closes_at - timedelta(days=1)
    return vote.opened_at + span / 2


def _plain_name(person: Person) -> str:
    full = person.formal_name or " ".join(p for p in (person.first_name, person.last_name) if p)
    return full or (f"@{person.username}" if person.username else str(person.telegram_user_id))


def sync_vote_reminders(session: Session, vote: Vote, *, body: Body, now: datetime) -> int:
    """The reminder of those entitled who have not voted yet (none once all have)."""
    assert vote.id is not None
    source = vote_source(vote.id)
    at = reminder_instant(vote)
    if vote.status != "open" or at is None or vote.closes_at is None:
        reminders.cancel_source(session, source, now)
        return 0
    partnership = _partnership(session, body)
    spec = spec_of(partnership)
    voted = {b.person_id for b in repo.ballots_of(session, vote.id)}
    waiting = [
        person
        for e in vote.entitled
        if int(e["person_id"]) not in voted
        and (person := session.get(Person, int(e["person_id"]))) is not None
        and not person.erased
    ]
    payload = {
        "vote_id": vote.id,
        "body_id": body.id,
        "group_chat_id": body.chat_id,
        "message_id": vote.message_id,  # the vote in the group, once sent
        "question": vote.question[:500],
        "closes_at": vote.closes_at.astimezone(ZoneInfo(partnership.timezone)).isoformat(),
        "timezone": partnership.timezone,
        "body_name": body.name,
        "diarienummer": partnership.diarienummer,
    }
    common: dict[str, Any] = {
        "kind": KIND_REMINDER,
        "source": source,
        "partnership_id": partnership.id,
        "due_at": at,
        "expires_at": vote.closes_at,
    }
    specs = []
    in_group = []
    for person in waiting:
        if person.private_chat_id is not None:
            language = pick_language(person.language_code, partnership.language,
                                     tuple(spec.languages))  # fmt: skip
            specs.append(
                reminders.ReminderSpec(
                    dedupe_key=f"{source}:remind:p{person.id}",
                    chat_id=person.private_chat_id,
                    person_id=person.id,
                    payload={**payload, "private": True},
                    language=language,
                    **common,
                )
            )
        else:
            in_group.append({"name": _plain_name(person), "user_id": person.telegram_user_id})
    if in_group and body.chat_id is not None:
        specs.append(
            reminders.ReminderSpec(
                dedupe_key=f"{source}:remind:group",
                chat_id=body.chat_id,
                thread_id=body.thread_id,
                payload={**payload, "private": False, "names": in_group},
                language=partnership.language,
                **common,
            )
        )
    reminders.replace_for_source(session, source, specs, now=now)
    return len(specs)


# --- what the chat shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class VoteState:
    """The vote as it stands: for the message edited in place."""

    vote: Vote
    body: Body
    partnership: Partnership
    tally: voting.Tally
    roll_call: list[RollCallParty]
    decision_label: str | None


def state_of(session: Session, vote: Vote) -> VoteState:
    body = session.get(Body, vote.body_id)
    assert body is not None
    result = tally_of(session, vote)
    label = None
    if vote.decision_id is not None:
        decision = session.get(Decision, vote.decision_id)
        if decision is not None:
            label = decisions.decision_label(body, decision)
    return VoteState(
        vote, body, _partnership(session, body), result, roll_call(session, vote, result), label
    )


def state_by_id(session: Session, vote_id: int) -> VoteState | None:
    vote = repo.get_vote(session, vote_id)
    return state_of(session, vote) if vote is not None else None


VOTE_SENT = "vote.message"  # the on-sent hook that keeps the vote message's id


def vote_key(vote_id: int) -> str:
    """The outbox key of a vote's message (the buttons, edited in place)."""
    return f"vote-message:{vote_id}"


def closed_key(vote_id: int) -> str:
    """The outbox key of the note that a vote closed, and how."""
    return f"vote-result:{vote_id}"


@hooks.on_sent(VOTE_SENT)
def _vote_sent(session: Session, sent: hooks.Sent) -> None:
    message_id = sent.last_id_of(0)
    if message_id is not None:
        set_message(session, int(sent.data["vote_id"]), message_id)


def message_target(session: Session, vote: Vote) -> tuple[str | None, int | None] | None:
    """How an edit finds the vote's message: its outbox row's key, or (a vote opened before the
    outbox carried it) its message id; None where neither exists."""
    assert vote.id is not None
    key = vote_key(vote.id)
    if outbox.delivery_of(session, key) is not None:
        return key, None
    if vote.message_id is not None:
        return None, vote.message_id
    return None


def set_message(session: Session, vote_id: int, message_id: int) -> None:
    """The vote's message, kept for the edits."""
    stored = repo.get_vote(session, vote_id, lock=True)
    if stored is not None:
        stored.message_id = message_id
        # The reminders were scheduled before the message was sent: now they can link to it.
        reminders.update_open_payloads(session, [vote_source(vote_id)], {"message_id": message_id})
        session.add(stored)


def vote_to_close(session: Session, body: Body, replied_message_id: int | None) -> int:
    """The vote replied to, else the body's only open vote."""
    open_ones = repo.open_votes(session, body.id)
    if replied_message_id is not None:
        for vote in open_ones:
            if vote.message_id == replied_message_id and vote.id is not None:
                return vote.id
    if len(open_ones) == 1 and open_ones[0].id is not None:
        return open_ones[0].id
    if not open_ones:
        raise Refusal(N_("There is no open vote in this chat."))
    raise Refusal(N_("Several votes are open: reply to the one to close with /stang_omrostning."))


def overdue_ids(session: Session, now: datetime) -> list[int]:
    return [v.id for v in repo.overdue_votes(session, now) if v.id is not None]


def open_with_deadline(session: Session) -> list[Vote]:
    return [v for v in repo.open_votes(session) if v.closes_at is not None]


def settle_overdue_by_id(
    session: Session,
    vote_id: int,
    *,
    now: datetime,
    wording_for: Callable[[Partnership], DecisionWording],
) -> Closed | None:
    """The deadline passed: close the vote (None where it is gone or already closed)."""
    vote = repo.get_vote(session, vote_id)
    body = session.get(Body, vote.body_id) if vote is not None else None
    if body is None:
        return None
    wording = wording_for(_partnership(session, body))
    return settle_overdue(session, body=body, vote_id=vote_id, now=now, wording=wording)
