"""Votes end to end: /omrostning, the Ja / Nej / Avstår buttons edited in place, closing into
the decision register, per-party (001) and per-representative (004) counting, ties, deadlines
and reminders to non-voters, through the real Application and the fake Telegram server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlmodel import select

from delivery.dispatcher import ReminderDispatcher, get_dispatcher
from handlers import votes as vote_handlers
from i18n import t
from storage import bodies
from storage.db import transaction
from storage.models import AuditEntry, Ballot, Body, Decision, Vote
from storage.reminders import Reminder, ReminderState
from tests import conftest
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser

ADMIN = FakeUser(8001, "Åsa", "asa_admin")
CHAIR = FakeUser(8002, "Agneta", "agneta_c")  # Convictus (EU), Street Minds (BF)
CONVICTUS2 = FakeUser(8003, "Olle", "olle_c")  # Convictus's second representative
STADSMISSION = FakeUser(8004, "Bertil", "bertil_s")
CITY = FakeUser(8005, "Cecilia", "cecilia_city")
CITY2 = FakeUser(8006, "Dan", "dan_city")
PENDING = FakeUser(8007, "Pia", "pia_p")  # asked to join, never confirmed
STRANGER = FakeUser(8008, "Sven", "sven_x")
SG_CHAT = FakeChat(-8101, "group", "Styrgrupp EU")
BF_SG_CHAT = FakeChat(-8102, "group", "Styrgrupp Bostad Först")
EU, BF = "SOF 2025/144", "SOF 2023/202"


@pytest.fixture
def loose_group_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many presses in a few seconds: the limiter stays, it just does not wait."""
    original = conftest.make_settings

    def make(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        settings = original(*args, **kwargs)  # type: ignore[arg-type]
        settings.rate_limit_group_per_minute = 100_000
        return settings

    monkeypatch.setattr(conftest, "make_settings", make)


@pytest_asyncio.fixture
async def harness(loose_group_limit: None, harness: Harness) -> AsyncIterator[Harness]:
    yield harness


def sv(msgid: str, **params: object) -> str:
    return t("sv", msgid).format(**params)


def counts(yes: int, no: int, abstain: int) -> str:
    return sv("Yes {yes} · No {no} · Abstain {abstain}", yes=yes, no=no, abstain=abstain)


YES, NO, ABSTAIN = sv("Yes"), sv("No"), sv("Abstain")
CLOSED = sv("This vote is closed.")
ALREADY_CLOSED = sv("This vote is already closed.")
NOT_ENTITLED = sv("Only the members of the body who were confirmed when the vote opened can vote.")
INVALID = sv("This button is no longer valid.")
ONLY_CHAIR_CLOSES = sv("Only the chair can close the vote.")


async def say(h: Harness, user: FakeUser, chat: FakeChat, text: str):  # type: ignore[no-untyped-def]
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(user, chat, text))
    return [m for m in h.fake.sent[before:] if m.chat_id == chat.id]


async def press(h: Harness, user: FakeUser, chat: FakeChat, message, data: str) -> str:  # type: ignore[no-untyped-def]
    before = len(h.fake.callback_answers)
    await h.settle(h.fake.press(user, message, chat, data, check_button=False))
    answers = h.fake.callback_answers[before:]
    return str(answers[-1].get("text", "")) if answers else ""


async def setup_body(
    h: Harness, chat: FakeChat, dnr: str, kind: str, members: list[tuple[FakeUser, str]]
) -> None:
    h.fake.add_chat(chat)
    h.fake.set_member_status(chat, ADMIN, "administrator")
    await say(h, ADMIN, chat, f"/koppla {dnr} {kind}")
    for user, party in members:
        request = (await say(h, user, chat, f"/jag {party}"))[-1]
        await press(h, ADMIN, chat, request.message_id, request.button_data()[0])
    replies = await say(h, ADMIN, chat, "/ordforande @agneta_c")
    assert "Agneta" in replies[-1].plain


async def setup_eu(h: Harness) -> None:
    await setup_body(
        h,
        SG_CHAT,
        EU,
        "styrgrupp",
        [
            (CHAIR, "Convictus"),
            (CONVICTUS2, "Convictus"),
            (STADSMISSION, "Stadsmission"),
            (CITY, "stockholms-stad"),
        ],
    )
    await say(h, PENDING, SG_CHAT, "/jag Convictus")  # left pending


def vote_row(h: Harness, vote_id: int) -> Vote:
    with transaction(h.services.session_factory) as s:
        vote = s.get(Vote, vote_id)
        assert vote is not None
        return vote


def vote_id_of(message) -> int:  # type: ignore[no-untyped-def]
    return int(message.button_data()[0].split(":")[1])


def body_of(h: Harness, dnr: str) -> Body:
    with transaction(h.services.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, dnr)
        assert p is not None and p.id is not None
        body = bodies.get_body(s, p.id, "styrgrupp")
        assert body is not None
        return body


async def test_001_split_party_counts_once_its_representatives_agree(harness: Harness) -> None:
    h = harness
    await setup_eu(h)
    # Only the chair opens a vote; outside a meeting it needs a deadline.
    refused = (await say(h, CITY, SG_CHAT, "/omrostning Ska vi förlänga? | fredag 17:00"))[-1]
    assert refused.plain == sv("Only the chair can open a vote.")
    refused = (await say(h, CHAIR, SG_CHAT, "/omrostning Ska vi förlänga?"))[-1]
    assert refused.plain == sv(
        "Outside a meeting a vote needs a deadline: /omrostning question | Friday 17:00."
    )

    message = (
        await say(h, CHAIR, SG_CHAT, "/omrostning Ska öppettiderna förlängas? | fredag 17:00")
    )[-1]
    assert "Ska öppettiderna förlängas?" in message.plain
    assert message.button_texts() == [YES, NO, ABSTAIN, sv("Close")]
    assert all(len(d.encode()) <= 64 for d in message.button_data())
    vote_id = vote_id_of(message)
    vote = vote_row(h, vote_id)
    assert vote.message_id == message.message_id
    assert sorted(e["party_key"] for e in vote.entitled) == [
        "convictus",
        "convictus",
        "stockholms-stad",
        "stockholms-stadsmission",
    ]  # fmt: skip  (Pia is pending: not entitled)

    toast = await press(h, CHAIR, SG_CHAT, message.message_id, f"vt:{vote_id}:y")
    assert toast == sv("Your vote: {choice}", choice=YES)
    await press(h, CONVICTUS2, SG_CHAT, message.message_id, f"vt:{vote_id}:n")
    await press(h, STADSMISSION, SG_CHAT, message.message_id, f"vt:{vote_id}:y")
    await press(h, CITY, SG_CHAT, message.message_id, f"vt:{vote_id}:n")
    # Edited in place: no new message in the group for the presses.
    assert h.fake.messages_in(SG_CHAT.id)[-1].message_id == message.message_id
    shown = h.fake.last(SG_CHAT.id).plain
    assert "⚠️" in shown and f"Olle: {NO}" in shown and f"Agneta: {YES}" in shown
    assert "Convictus: ⚠️ oeniga (Ja 1, Nej 1) – räknas inte förrän de är eniga" in shown
    assert "Parternas röster: " in shown
    assert counts(1, 1, 0) in shown  # Convictus not counted while split
    # The chair cannot close a standalone vote early while the split could still change it.
    toast = await press(h, CHAIR, SG_CHAT, message.message_id, f"vt:{vote_id}:c")
    assert toast.startswith(
        sv(
            "Members can still vote or change the result until the deadline, so the vote stays open until then."
        )[:40]
    )

    # Bad input: a stranger, a pending member, tampered data, the same choice twice.
    assert await press(h, STRANGER, SG_CHAT, message.message_id, f"vt:{vote_id}:y") == NOT_ENTITLED
    assert await press(h, PENDING, SG_CHAT, message.message_id, f"vt:{vote_id}:y") == NOT_ENTITLED
    assert await press(h, CITY, SG_CHAT, message.message_id, "vt:999:y") == INVALID
    assert await press(h, CITY, SG_CHAT, message.message_id, f"vt:{vote_id}:z") == INVALID
    again = await press(h, CITY, SG_CHAT, message.message_id, f"vt:{vote_id}:n")
    assert again == sv("Your vote is already {choice}.", choice=NO)

    # Olle agrees with Agneta: Convictus now counts, once.
    await press(h, CONVICTUS2, SG_CHAT, message.message_id, f"vt:{vote_id}:y")
    shown = h.fake.last(SG_CHAT.id).plain
    assert counts(2, 1, 0) in shown and "⚠️" not in shown
    # Parties, not people: each party's vote and how it came about.
    assert "Avgivna röster: 3 av 3 röstberättigade parter (deltagande 100 %)" in shown
    assert "Convictus: Ja (2 av 2)" in shown
    assert "Stockholms Stadsmission: Ja (Bertil)" in shown  # one representative: one line

    # A member cannot close; the chair can now (every unit settled); a second close is refused.
    assert await press(h, CITY, SG_CHAT, message.message_id, f"vt:{vote_id}:c") == ONLY_CHAIR_CLOSES
    await press(h, CHAIR, SG_CHAT, message.message_id, f"vt:{vote_id}:c")
    assert await press(h, CHAIR, SG_CHAT, message.message_id, f"vt:{vote_id}:c") == ALREADY_CLOSED
    assert await press(h, CITY, SG_CHAT, message.message_id, f"vt:{vote_id}:y") == CLOSED

    vote = vote_row(h, vote_id)
    assert vote.status == "closed" and vote.result is not None
    assert vote.result["outcome"] == "adopted"
    assert (vote.result["yes"], vote.result["no"], vote.result["entitled"]) == (2, 1, 3)
    edited = next(
        m for m in h.fake.sent if m.message_id == message.message_id and m.chat_id == SG_CHAT.id
    )
    assert "SG 2026:1" in edited.plain and edited.button_texts() == []
    with transaction(h.services.session_factory) as s:
        decision = s.get(Decision, vote.decision_id)
        assert decision is not None and "Ska öppettiderna förlängas?" in decision.text
        ballots = s.exec(select(Ballot).where(Ballot.vote_id == vote_id)).all()
        assert len(ballots) == 5  # every change kept; the repeated "Nej" added nothing
        actions = [a.action for a in s.exec(select(AuditEntry)).all()]
        assert "vote.opened" in actions and "vote.closed" in actions
    log = (await say(h, CITY, SG_CHAT, "/beslutslogg"))[-1].plain
    assert "SG 2026:1" in log


async def test_004_counted_per_representative_and_a_tie(harness: Harness) -> None:
    h = harness
    await setup_body(
        h,
        BF_SG_CHAT,
        BF,
        "styrgrupp",
        [(CHAIR, "Street Minds"), (CITY, "stockholms-stad"), (CITY2, "stockholms-stad")],
    )
    first = (await say(h, CHAIR, BF_SG_CHAT, "/vote Anta rutinen? | 2026-11-30"))[-1]
    vote_id = vote_id_of(first)
    for user, code in ((CHAIR, "y"), (CITY, "y"), (CITY2, "n")):
        await press(h, user, BF_SG_CHAT, first.message_id, f"vt:{vote_id}:{code}")
    shown = h.fake.last(BF_SG_CHAT.id).plain
    assert counts(2, 1, 0) in shown and "⚠️" not in shown  # two city votes, not one party vote
    await press(h, CHAIR, BF_SG_CHAT, first.message_id, f"vt:{vote_id}:c")
    result = vote_row(h, vote_id).result
    assert result is not None and (result["outcome"], result["entitled"]) == ("adopted", 3)

    second = (await say(h, CHAIR, BF_SG_CHAT, "/omrostning Byta lokal? | 2026-11-30 12:00"))[-1]
    tie_id = vote_id_of(second)
    for user, code in ((CHAIR, "a"), (CITY, "y"), (CITY2, "n")):
        await press(h, user, BF_SG_CHAT, second.message_id, f"vt:{tie_id}:{code}")
    replies = await say(h, CHAIR, BF_SG_CHAT, "/stang_omrostning")
    tie = sv("Tie: the proposal is not adopted")
    assert any(tie in m.plain for m in replies)
    vote = vote_row(h, tie_id)
    assert vote.result is not None and vote.result["outcome"] == "tie"
    assert (vote.result["yes"], vote.result["no"], vote.result["abstain"]) == (1, 1, 1)
    with transaction(h.services.session_factory) as s:
        decision = s.get(Decision, vote.decision_id)
        assert decision is not None and decision.number == 2


async def test_standalone_vote_closes_on_its_deadline_and_reminds_only_non_voters(
    harness: Harness,
) -> None:
    h = harness
    await setup_eu(h)
    await say(h, STADSMISSION, FakeChat.private(STADSMISSION), "/start")
    await say(h, CITY, FakeChat.private(CITY), "/start")
    # Monday 23 November 10:00; the vote closes Thursday 26 November 17:00 (16:00 UTC).
    message = (
        await say(h, CHAIR, SG_CHAT, "/omrostning Ny rutin för nyckelkvittens? | 26/11 17:00")
    )[-1]
    vote_id = vote_id_of(message)
    assert vote_row(h, vote_id).closes_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    await press(h, CHAIR, SG_CHAT, message.message_id, f"vt:{vote_id}:y")
    await press(h, CITY, SG_CHAT, message.message_id, f"vt:{vote_id}:n")

    with transaction(h.services.session_factory) as s:
        rows = s.exec(select(Reminder).where(Reminder.source == f"vote:{vote_id}")).all()
        open_rows = {r.dedupe_key: r for r in rows if r.state == ReminderState.PENDING}
    # Bertil (private chat) privately; Olle (no private chat) named in the group; not the voters.
    group = open_rows[f"vote:{vote_id}:remind:group"]
    assert [n["name"] for n in group.payload["names"]] == ["Olle"]
    assert group.due_at == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    private = [r for r in open_rows.values() if r.chat_id == STADSMISSION.id]
    assert len(private) == 1 and len(open_rows) == 2

    dispatcher = get_dispatcher(h.app.bot_data) or ReminderDispatcher(h.app.bot, h.services)
    h.clock.set(datetime(2026, 11, 25, 16, 0, tzinfo=UTC))
    start = len(h.fake.sent)
    await dispatcher.run_once()
    await h.fake.wait_until_idle()
    sent = h.fake.sent[start:]
    assert sorted(m.chat_id for m in sent) == sorted([SG_CHAT.id, STADSMISSION.id])
    group_text = next(m.plain for m in sent if m.chat_id == SG_CHAT.id)
    assert "Olle" in group_text and "Cecilia" not in group_text and "Agneta" not in group_text
    assert all(m.chat_id not in (CITY.id, CHAIR.id) for m in sent)

    # The deadline passes while the bot looks away: the sweep closes it, once.
    h.clock.set(datetime(2026, 11, 26, 16, 0, 1, tzinfo=UTC))
    assert await vote_handlers.close_due(h.app.bot, h.services) == 1
    await h.drain_outbox()  # the result is queued with the closing, and sent after it
    assert await vote_handlers.close_due(h.app.bot, h.services) == 0
    vote = vote_row(h, vote_id)
    assert vote.status == "closed" and vote.result is not None
    # Convictus yes (Agneta; Olle did not vote), the city no: a tie of parties.
    assert vote.result["outcome"] == "tie" and vote.result["votes_cast"] == 2
    closing = h.fake.last(SG_CHAT.id).plain
    assert closing.startswith(sv("The vote is closed: {outcome}.", outcome="")[:10])
    # A press after the deadline is refused.
    late = await press(h, STADSMISSION, SG_CHAT, message.message_id, f"vt:{vote_id}:y")
    assert late == CLOSED
    with transaction(h.services.session_factory) as s:
        leftover = s.exec(
            select(Reminder).where(
                Reminder.source == f"vote:{vote_id}", Reminder.state == ReminderState.PENDING
            )
        ).all()
        assert leftover == []


async def test_a_press_after_the_deadline_closes_the_vote_first(harness: Harness) -> None:
    h = harness
    await setup_eu(h)
    message = (await say(h, CHAIR, SG_CHAT, "/omrostning Fråga? | 24/11 12:00"))[-1]
    vote_id = vote_id_of(message)
    await press(h, STADSMISSION, SG_CHAT, message.message_id, f"vt:{vote_id}:y")
    h.clock.set(datetime(2026, 11, 24, 11, 0, 1, tzinfo=UTC))
    toast = await press(h, CITY, SG_CHAT, message.message_id, f"vt:{vote_id}:n")
    assert toast == CLOSED
    vote = vote_row(h, vote_id)
    assert vote.status == "closed" and vote.result is not None
    assert (vote.result["yes"], vote.result["no"], vote.result["outcome"]) == (1, 0, "adopted")
    _ = body_of(h, EU)
