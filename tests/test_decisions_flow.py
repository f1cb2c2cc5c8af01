"""The decision register, outside approvals, action items and the documentation duty, through
the real Application and the fake Telegram server (decisions are recorded by the service the
live-minutes flow calls)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from delivery.renderers import render
from services import actions, decisions, documentation
from services.deadlines import load_facts, sync_reminders
from services.errors import Refusal
from services.partnerships import set_administrator
from storage import bodies, people
from storage.db import transaction
from storage.models import ActionItem, Body, Decision, Meeting, Partnership, Person
from storage.reminders import Reminder, ReminderState
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser

ADMIN = FakeUser(4001, "Åsa", "asa_admin")
CHAIR = FakeUser(4002, "Agneta", "agneta_c")  # Convictus / Street Minds
STADSMISSION = FakeUser(4003, "Bertil", "bertil_s")
CITY = FakeUser(4004, "Cecilia", "cecilia_city")
STRANGER = FakeUser(4005, "Sven", "sven_x")
SG_CHAT = FakeChat(-7001, "group", "Styrgrupp EU")
SVG_CHAT = FakeChat(-7002, "group", "Samverkan EU")
BF_SG_CHAT = FakeChat(-7003, "group", "Styrgrupp Bostad Först")
BF_SVG_CHAT = FakeChat(-7004, "group", "Samverkan Bostad Först")
EU, BF = "SOF 2025/144", "SOF 2023/202"


async def say(h: Harness, user: FakeUser, chat: FakeChat, text: str):  # type: ignore[no-untyped-def]
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(user, chat, text))
    return [m for m in h.fake.sent[before:] if m.chat_id == chat.id]


async def press(h: Harness, user: FakeUser, chat: FakeChat, message, data: str):  # type: ignore[no-untyped-def]
    before = len(h.fake.callback_answers)
    await h.settle(h.fake.press(user, message, chat, data, check_button=False))
    answers = h.fake.callback_answers[before:]
    return answers[-1] if answers else None


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


async def setup_eu_sg(h: Harness) -> None:
    await setup_body(
        h,
        SG_CHAT,
        EU,
        "styrgrupp",
        [(CHAIR, "Convictus"), (STADSMISSION, "Stadsmission"), (CITY, "stockholms-stad")],
    )


def body_of(h: Harness, dnr: str = EU, kind: str = "styrgrupp") -> Body:
    with transaction(h.services.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, dnr)
        assert p is not None and p.id is not None
        found = bodies.get_body(s, p.id, kind)
        assert found is not None
        return found


def record(h: Harness, raw: str, *, dnr: str = EU, kind: str = "styrgrupp") -> tuple[str, int]:
    """What /beslut does after the minutes flow has checked the recorder: (label, id)."""
    svc = h.services
    with transaction(svc.session_factory) as s:
        body = bodies.get_body(s, bodies.get_partnership_by_diarienummer(s, dnr).id, kind)  # type: ignore[union-attr,arg-type]
        assert body is not None
        parsed = decisions.parse_decision_input(s, body.partnership_id, raw, today=svc.today())
        row = decisions.record_decision(
            s, body=body, decision=parsed, decided_on=svc.today(), now=svc.now()
        )
        assert row.id is not None
        return decisions.decision_label(body, row), row.id


def reminders_of(h: Harness, source: str) -> list[Reminder]:
    with transaction(h.services.session_factory) as s:
        return list(s.exec(select(Reminder).where(Reminder.source == source)).all())


async def test_register_numbers_types_search_and_revisions(harness: Harness) -> None:
    await setup_eu_sg(harness)
    assert record(harness, "Styrgruppen godkänner dagordningen.")[0] == "SG 2026:1"
    assert (
        record(harness, "[mindre revidering Convictus] Öppettiderna blir 08–16.")[0] == "SG 2026:2"
    )
    assert (
        record(harness, "[väsentlig revidering Convictus] Nattplatserna utökas.")[0] == "SG 2026:3"
    )
    assert record(harness, "[budgetram Stadsmission] Ramen höjs.")[0] == "SG 2026:4"
    # The samverkansgrupp numbers on its own, with its own prefix.
    svg = body_of(harness, kind="samverkansgrupp")
    sg = body_of(harness)
    with transaction(harness.services.session_factory) as s:
        row = decisions.record_decision(
            s,
            body=svg,
            decision=decisions.DecisionInput("ordinary", None, None, None, "Rutin antas."),
            decided_on=date(2026, 11, 23),
            now=harness.services.now(),
        )
        assert decisions.decision_label(svg, row) == "SVG 2026:1"

    with transaction(harness.services.session_factory) as s:
        rows = {d.number: d for d in s.exec(select(Decision).where(Decision.body_id == sg.id))}
        assert rows[1].kind == "ordinary" and rows[1].status == "final"
        assert rows[2].kind == "revision_minor" and rows[2].status == "final"
        assert (rows[3].status, rows[3].approval_by) == ("pending_approval", "forvaltningschef")
        assert (rows[4].status, rows[4].approval_by) == ("pending_approval", "socialnamnden")
        convictus = next(p for p in bodies.parties_of(s, sg.partnership_id) if p.key == "convictus")
        assert rows[2].party_id == convictus.id

    log = (await say(harness, CITY, SG_CHAT, "/beslutslogg"))[-1].plain
    assert all(f"SG 2026:{n}" in log for n in range(1, 5))
    assert log.index("SG 2026:4") < log.index("SG 2026:1")  # newest first
    found = (await say(harness, CITY, SG_CHAT, "/beslutslogg convictus"))[-1].plain
    assert "SG 2026:2" in found and "SG 2026:3" in found and "SG 2026:1" not in found
    found = (await say(harness, CITY, SG_CHAT, "/decisions oppettiderna"))[-1].plain
    assert "SG 2026:2" in found and "SG 2026:3" not in found
    nothing = (await say(harness, CITY, SG_CHAT, "/beslutslogg kaffebryggare"))[-1].plain
    assert "kaffebryggare" in nothing and "[budgetram]" in nothing  # the syntax help follows

    revisions = (await say(harness, CITY, SG_CHAT, "/revideringar"))[-1].plain
    assert EU in revisions
    assert (
        revisions.index("Convictus") < revisions.index("SG 2026:2") < revisions.index("SG 2026:3")
    )
    assert "Stadsmission" in revisions and "SG 2026:4" in revisions
    assert "SG 2026:1" not in revisions  # an ordinary decision is no revision


async def test_bad_tags_and_wrong_body_are_refused_and_nothing_is_numbered(
    harness: Harness,
) -> None:
    await setup_eu_sg(harness)
    for raw in ("[bilaga 2] x", "[åtgärdsplan Convictus] x", "[mindre revidering Okänd] x"):
        with pytest.raises(Refusal):
            record(harness, raw)
    # The samverkansgrupp does not decide revisions of commitments.
    with pytest.raises(Refusal):
        record(harness, "[mindre revidering Convictus] x", kind="samverkansgrupp")
    # 001 fixes the styrgrupp's interval: no decision changes it.
    with pytest.raises(Refusal):
        record(harness, "[mötesintervall 2] Varannan månad.")
    with transaction(harness.services.session_factory) as s:
        assert s.exec(select(Decision)).all() == []
    assert (
        record(harness, "[åtgärdsplan Convictus 2027-01-31] Plan senast 31 januari.")[0]
        == "SG 2026:1"
    )
    assert record(harness, "[ny part Hela Människan] Godkänns.")[0] == "SG 2026:2"
    with transaction(harness.services.session_factory) as s:
        plan, new = s.exec(select(Decision).order_by(Decision.number)).all()  # type: ignore[arg-type]
        assert plan.kind == "deficiency_action_plan" and plan.due_on == date(2027, 1, 31)
        assert new.kind == "new_party" and new.party_id is None and "Hela Människan" in new.text


async def test_pending_approval_reminded_weekly_until_the_administrator_records_it(
    harness: Harness,
) -> None:
    await setup_eu_sg(harness)
    label, decision_id = record(harness, "[väsentlig revidering Convictus] Nattplatserna utökas.")
    source = decisions.approval_source(decision_id)
    rows = [r for r in reminders_of(harness, source) if r.state == ReminderState.PENDING]
    assert len(rows) >= 50 and all(r.chat_id == SG_CHAT.id for r in rows)
    first = min(rows, key=lambda r: r.due_at)
    assert first.kind == "decision.pending"
    assert first.due_at.date() == date(2026, 11, 30)  # a week after the decision, 09:00 local
    text = render(first.kind, first.payload, "sv", False)
    assert label in text and "Nattplatserna" in text and "/godkann" in text

    # Listed as a deadline, but reminded only by its own weekly reminders.
    with transaction(harness.services.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, EU)
        assert p is not None
        assert [k for k, _d, _b in load_facts(s, p).pending_approvals] == [label]
        sync_reminders(s, p, now=harness.services.now())
        assert not s.exec(
            select(Reminder).where(Reminder.kind == "deadline.pending_approval")
        ).all()

    # A member (even the chair or a group admin) cannot record the approval.
    refused = (await say(harness, CHAIR, SG_CHAT, f"/godkann {label}"))[-1].plain
    assert "administrat" in refused
    with transaction(harness.services.session_factory) as s:
        set_administrator(s, EU, ADMIN.id, add=True)
    done = (
        await say(
            harness, ADMIN, SG_CHAT, f"/godkann {label} Beslut av förvaltningschefen 2026-11-25"
        )
    )[-1].plain
    assert label in done
    with transaction(harness.services.session_factory) as s:
        row = s.get(Decision, decision_id)
        assert row is not None and row.status == "approved" and row.approved_at is not None
        assert row.approval_note == "Beslut av förvaltningschefen 2026-11-25"
    assert all(r.state == ReminderState.CANCELLED for r in reminders_of(harness, source))
    again = (await say(harness, ADMIN, SG_CHAT, f"/approve {label}"))[-1].plain
    assert label in again
    with transaction(harness.services.session_factory) as s:
        assert s.get(Decision, decision_id).status == "approved"  # type: ignore[union-attr]
    unknown = (await say(harness, ADMIN, SG_CHAT, "/godkann SG 2026:99"))[-1].plain
    assert "SG 2026:99" in unknown


async def test_action_items_reminders_list_and_done_buttons(harness: Harness) -> None:
    await setup_eu_sg(harness)
    # Bertil has started the bot in private; Agneta has not.
    await say(harness, STADSMISSION, FakeChat.private(STADSMISSION), "/start")
    svc = harness.services
    body = body_of(harness)
    with transaction(svc.session_factory) as s:
        bertil = people.get_person_by_telegram_id(s, STADSMISSION.id)
        agneta = people.get_person_by_telegram_id(s, CHAIR.id)
        assert bertil is not None and agneta is not None
        private_item = actions.record_action_item(
            s,
            body=body,
            owner=bertil,
            due_on=date(2026, 12, 4),
            text="Ta fram statistik",
            now=svc.now(),
        )
        group_item = actions.record_action_item(
            s, body=body, owner=agneta, due_on=date(2026, 12, 1), text="Boka lokal", now=svc.now()
        )
        private_id, group_id = private_item.id, group_item.id
    assert private_id is not None and group_id is not None

    private_rows = reminders_of(harness, actions.action_source(private_id))
    assert {r.chat_id for r in private_rows} == {STADSMISSION.id}
    labels = {r.payload["label"]: r.due_at for r in private_rows}
    assert {"P3D", "P0D"} <= set(labels)
    assert labels["P0D"] == datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm
    group_rows = reminders_of(harness, actions.action_source(group_id))
    assert {(r.chat_id, r.thread_id) for r in group_rows} == {(SG_CHAT.id, None)}
    text = render("action.due", group_rows[0].payload, "sv", False)
    assert "Boka lokal" in text and "Agneta" in text

    # Listed among the deadlines, without a second set of reminders in the group.
    with transaction(svc.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, EU)
        assert p is not None
        assert {k for k, *_rest in load_facts(s, p).action_items} == {
            str(private_id),
            str(group_id),
        }
        sync_reminders(s, p, now=svc.now())
        assert not s.exec(select(Reminder).where(Reminder.kind == "deadline.action_item")).all()

    listing = (await say(harness, CITY, SG_CHAT, "/uppgifter"))[-1]
    assert listing.plain.index("Boka lokal") < listing.plain.index("Ta fram statistik")
    assert listing.button_data() == [f"ad:{group_id}", f"ad:{private_id}"]

    # Someone else's item: refused with a toast, nothing changes.
    answer = await press(harness, CITY, SG_CHAT, listing.message_id, f"ad:{private_id}")
    assert answer is not None and answer.get("show_alert")
    answer = await press(harness, STRANGER, SG_CHAT, listing.message_id, f"ad:{private_id}")
    assert answer is not None and answer.get("show_alert")
    with transaction(svc.session_factory) as s:
        assert s.get(ActionItem, private_id).status == "open"  # type: ignore[union-attr]

    # The owner marks it done: reminders cancelled, the list updated.
    answer = await press(harness, STADSMISSION, SG_CHAT, listing.message_id, f"ad:{private_id}")
    assert answer is not None and not answer.get("show_alert")
    with transaction(svc.session_factory) as s:
        item = s.get(ActionItem, private_id)
        assert item is not None and item.status == "done" and item.done_at is not None
    assert all(
        r.state == ReminderState.CANCELLED
        for r in reminders_of(harness, actions.action_source(private_id))
    )
    # The same message, edited in place.
    assert "Ta fram statistik" not in listing.plain and "Boka lokal" in listing.plain
    assert listing.button_data() == [f"ad:{group_id}"]
    # A second press: a toast, still done once.
    answer = await press(harness, STADSMISSION, SG_CHAT, listing.message_id, f"ad:{private_id}")
    assert answer is not None and answer.get("show_alert")
    # The chair may mark anyone's item done.
    await press(harness, CHAIR, SG_CHAT, listing.message_id, f"ad:{group_id}")
    with transaction(svc.session_factory) as s:
        assert actions.open_action_items(s, body.id or 0) == []
    empty = (await say(harness, CITY, SG_CHAT, "/actions"))[-1]
    assert empty.button_data() == []


async def test_minute_taker_chair_led_in_001(harness: Harness) -> None:
    await setup_eu_sg(harness)
    reply = (await say(harness, CITY, SG_CHAT, "/protokollforare"))[-1].plain
    assert "Agneta" in reply
    sg = body_of(harness)
    with transaction(harness.services.session_factory) as s:
        duty, person, party = documentation.next_minute_taker(s, sg, today=harness.services.today())
        assert duty == "chair_led_shared" and person is not None and person.first_name == "Agneta"
        assert party is None


async def test_minute_taker_rotates_between_parties_in_004(harness: Harness) -> None:
    await setup_body(
        harness,
        BF_SVG_CHAT,
        BF,
        "samverkansgrupp",
        [(CHAIR, "Street Minds"), (CITY, "stockholms-stad")],
    )
    svc = harness.services
    body = body_of(harness, BF, "samverkansgrupp")
    first = (await say(harness, CITY, BF_SVG_CHAT, "/minutetaker"))[-1].plain
    with transaction(svc.session_factory) as s:
        order = [p.name for p in bodies.parties_of(s, body.partnership_id)]
        _duty, _person, party = documentation.next_minute_taker(s, body, today=svc.today())
        assert party is not None and party.name == order[0] and party.name in first
        # The first party writes the minutes of a meeting that is then held.
        writer = next(
            p for _m, p, pa in people.confirmed_members(s, body.id or 0) if pa.name == order[0]
        )
        start = svc.now() - timedelta(days=1)
        s.add(
            Meeting(
                body_id=body.id or 0,
                uid="test-held-1",
                status="published",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                created_at=start,
                updated_at=start,
                opened_at=start,
                closed_at=start + timedelta(hours=1),
                minute_taker_person_id=writer.id,
            )
        )
    second = (await say(harness, CITY, BF_SVG_CHAT, "/protokollforare"))[-1].plain
    assert order[1] in second


async def test_meeting_interval_decision_changes_the_cadence_in_004(harness: Harness) -> None:
    await setup_body(
        harness, BF_SG_CHAT, BF, "styrgrupp", [(CHAIR, "Street Minds"), (CITY, "stockholms-stad")]
    )
    svc = harness.services
    with transaction(svc.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, BF)
        assert p is not None
        assert load_facts(s, p).cadence_overrides == {}
    assert (
        record(harness, "[mötesintervall 2] Styrgruppen möts varannan månad.", dnr=BF)[0]
        == "SG 2026:1"
    )
    assert record(harness, "[meeting interval 3] Quarterly from now on.", dnr=BF)[0] == "SG 2026:2"
    with transaction(svc.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, BF)
        assert p is not None
        assert load_facts(s, p).cadence_overrides == {"styrgrupp": 3}
        partnership = s.get(Partnership, p.id)
        assert partnership is not None


def test_owner_label_and_renderers_escape_user_text() -> None:
    payload = {
        "text": "<b>x</b>",
        "due": "2026-12-01",
        "owner": "A <script>",
        "owner_user_id": 5,
        "private": False,
        "body_name": "Styrgrupp",
        "diarienummer": "SOF 2025/144",
        "label": "P0D",
    }
    text = render("action.due", payload, "en", True)
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "A &lt;script&gt;" in text
    assert (
        actions.owner_label(
            Person(telegram_user_id=1, first_name="", username="nn", created_at=datetime.now(UTC))
        )
        == "@nn"
    )


async def test_minute_taker_reminder_before_the_next_meeting(harness: Harness) -> None:
    await setup_eu_sg(harness)
    svc = harness.services
    sg = body_of(harness)
    start = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    with transaction(svc.session_factory) as s:
        meeting = Meeting(
            body_id=sg.id or 0,
            uid="test-next-1",
            status="published",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            created_at=svc.now(),
            updated_at=svc.now(),
        )
        s.add(meeting)
        s.flush()
        assert documentation.sync_minute_taker_reminder(s, sg, meeting, now=svc.now()) == 1
    rows = reminders_of(harness, documentation.documentation_source(sg.id or 0))
    assert len(rows) == 1 and rows[0].chat_id == SG_CHAT.id
    assert rows[0].due_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # two days before, 09:00
    assert "Agneta" in render(rows[0].kind, rows[0].payload, "sv", False)
    with transaction(svc.session_factory) as s:
        documentation.sync_minute_taker_reminder(s, sg, None, now=svc.now())
    assert [
        r.state for r in reminders_of(harness, documentation.documentation_source(sg.id or 0))
    ] == [ReminderState.CANCELLED]
