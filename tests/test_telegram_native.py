"""Telegram-native for non-technical members (issue 13), end to end through the fake Bot API:
Swedish dates, private chats people start from deep links, the vote tally read right."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from sqlmodel import select

from delivery.dispatcher import ReminderDispatcher, get_dispatcher
from storage.db import transaction
from storage.models import Ballot, Meeting, Person, Rsvp
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser
from tests.fakebot.models import BOT_USERNAME
from tests.test_meetings_flow import (  # noqa: F401
    ADMIN,
    CHAIR,
    CITY,
    SG_CHAT,
    STADSMISSION,
    STOCKHOLM,
    body,
    call_and_publish,
    harness,
    loose_group_limit,
    meetings,
    press,
    say,
    setup_sg,
)


@pytest_asyncio.fixture
async def h(harness: Harness) -> AsyncIterator[Harness]:  # noqa: F811
    yield harness


def urls(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(b["url"]) for b in message.buttons() if "url" in b]


def deep_link(body_id: int) -> str:
    return f"https://t.me/{BOT_USERNAME}?start=b_{body_id}"


async def test_kallelse_3_4_is_3_april_without_a_question(h: Harness) -> None:
    await setup_sg(h)
    preview = (await say(h, CHAIR, SG_CHAT, "/kallelse 3/4 14"))[-1]
    # The draft at once: no "which date did you mean?", 3 April, the Swedish time style.
    assert any(d.startswith("mp:") for d in preview.button_data())
    (meeting,) = meetings(h)
    assert meeting.starts_at == datetime(2027, 4, 3, 14, 0, tzinfo=STOCKHOLM)
    assert "lördag 3 april 2027 kl. 14.00–15.30" in preview.plain
    assert "CEST" not in preview.plain and "14:00" not in preview.plain


async def test_a_confirmed_member_is_invited_into_the_private_chat(h: Harness) -> None:
    await setup_sg(h)
    request = (await say(h, STADSMISSION, SG_CHAT, "/jag Convictus"))[-1]
    # The request no longer sounds doubting.
    assert "vill registreras som företrädare för Convictus" in request.plain
    await press(h, CHAIR, SG_CHAT, request.message_id, request.button_data()[0])
    decided = next(m for m in h.fake.sent if m.message_id == request.message_id)
    assert urls(decided) == [deep_link(body(h).id or 0)]
    assert "starta en privat chatt med mig" in decided.plain


async def test_a_deep_link_from_the_reminder_shows_and_takes_the_pending_rsvp_and_vote(
    h: Harness,
) -> None:
    await setup_sg(h)
    _preview, kallelse, _ics = await call_and_publish(h)
    meeting_id = int(kallelse.button_data()[0].split(":")[1])
    sg = body(h)
    assert sg.id is not None
    # The kallelse itself leads into the private chat.
    assert urls(kallelse) == [deep_link(sg.id)]
    vote_message = (
        await say(h, CHAIR, SG_CHAT, "/omrostning Ska öppettiderna förlängas? | 8/12 17:00")
    )[-1]
    vote_id = int(vote_message.button_data()[0].split(":")[1])

    # A week before the meeting the group is reminded; the reminder carries the deep link.
    dispatcher = get_dispatcher(h.app.bot_data) or ReminderDispatcher(h.app.bot, h.services)
    h.clock.set(datetime(2026, 12, 3, 13, 0, tzinfo=UTC))
    before = len(h.fake.sent)
    await dispatcher.run_once()
    reminder = next(m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id)
    assert "Påminnelse om möte" in reminder.plain
    assert urls(reminder) == [deep_link(sg.id)]

    # Cecilia follows it: /start b_<body> in private.
    private = FakeChat.private(CITY)
    h.fake.add_chat(private)
    replies = await say(h, CITY, private, f"/start b_{sg.id}")
    welcome, meeting_card, vote_card = replies
    assert "Hej Cecilia!" in welcome.plain and "länkad till dig" in welcome.plain
    assert "Styrgrupp" in welcome.plain
    assert meeting_card.button_data() == [f"pr:{meeting_id}:{c}" for c in "ynm"]
    assert "torsdag 10 december 2026 kl. 14.00" in meeting_card.plain
    assert vote_card.button_data() == [f"pv:{vote_id}:{c}" for c in "yna"]
    assert "Ska öppettiderna förlängas?" in vote_card.plain
    with transaction(h.services.session_factory) as s:
        person = s.exec(select(Person).where(Person.telegram_user_id == CITY.id)).one()
        assert person.private_chat_id == CITY.id  # linked

    # She answers and votes right there; the group's kallelse and vote follow.
    toast = await press(h, CITY, private, meeting_card.message_id, f"pr:{meeting_id}:n")
    assert toast is not None and toast["text"] == "Tack! Ditt svar: Kommer inte."
    assert "✓ Kommer inte" in meeting_card.button_texts()
    assert "Kommer inte (1): Cecilia" in kallelse.plain
    toast = await press(h, CITY, private, vote_card.message_id, f"pv:{vote_id}:y")
    assert toast is not None and toast["text"] == "Din röst: Ja"
    assert "Socialförvaltningen: Ja (Cecilia)" in vote_message.plain
    with transaction(h.services.session_factory) as s:
        assert [r.answer for r in s.exec(select(Rsvp)).all()] == ["no"]
        assert [b.choice for b in s.exec(select(Ballot)).all()] == ["yes"]

    # Nothing is left waiting; a stranger's press and a tampered one are refused.
    replies = await say(h, CITY, private, "/start")
    assert "Inget väntar på dig just nu." in replies[0].plain and len(replies) == 1
    assert (
        await press(h, CITY, private, meeting_card.message_id, "pr:999:y", check=False)
    ) is not None
    with transaction(h.services.session_factory) as s:
        assert len(s.exec(select(Rsvp)).all()) == 1
        assert s.get(Meeting, meeting_id) is not None


async def test_an_unknown_payload_is_answered_politely(h: Harness) -> None:
    private = FakeChat.private(CITY)
    h.fake.add_chat(private)
    replies = await say(h, CITY, private, "/start zz_1")
    assert replies[0].plain == "Länken gäller inte längre. /hjalp visar vad jag kan göra här."
    assert "inte bekräftad ledamot" in replies[1].plain


def test_a_pin_is_stored_and_read_back_as_an_outbox_part() -> None:
    from delivery.parts import Message, Pin, expand, message_from_json, message_to_json

    (message,) = expand([Pin(target="kallelse:7", part=1)])
    raw = message_to_json(message)
    assert raw == {"t": "pin", "part": 1, "unpin": False, "target": "kallelse:7", "of": 0}
    assert message_from_json(raw) == Message(Pin("kallelse:7", 1, None, False), 0)
    (unpin,) = expand([Pin(message_id=12, unpin=True)])
    assert message_from_json(message_to_json(unpin)).part == Pin(None, -1, 12, True)


def _scope(**scope: object) -> str:
    from tests.fakebot.methods import scope_key

    return scope_key(dict(scope))


async def test_menus_per_role_and_the_bots_descriptions(h: Harness) -> None:
    await setup_sg(h)  # Agneta appointed chair: her own menu in the group follows
    names = lambda commands: [c["command"] for c in commands]  # noqa: E731
    group = names(h.fake.commands[(_scope(type="all_group_chats"), "sv")])
    chair = names(
        h.fake.commands[(_scope(type="chat_member", chat_id=SG_CHAT.id, user_id=CHAIR.id), "")]
    )
    private = names(h.fake.commands[(_scope(type="all_private_chats"), "sv")])
    assert len(group) < len(chair)
    assert "anteckning" in group and "kallelse" not in group and "motesstart" not in group
    assert {"kallelse", "motesstart", "omrostning", "anteckning"} <= set(chair)
    assert "hjalp" in private and "anteckning" not in private
    # What Telegram shows before anyone writes: "What can this bot do?", in sv and en.
    assert "IOP" in h.fake.descriptions[("description", "")]
    assert h.fake.descriptions[("description", "sv")] == h.fake.descriptions[("description", "")]
    assert h.fake.descriptions[("description", "en")].startswith("I help")
    assert {("short_description", lang) for lang in ("", "sv", "en")} <= set(h.fake.descriptions)

    # A new chair: Bertil gets the chair's menu, Agneta's own goes back to the members'.
    await say(h, CHAIR, SG_CHAT, "/ordforande @bertil_s")
    bertil = (_scope(type="chat_member", chat_id=SG_CHAT.id, user_id=STADSMISSION.id), "")
    agneta = (_scope(type="chat_member", chat_id=SG_CHAT.id, user_id=CHAIR.id), "")
    assert "kallelse" in names(h.fake.commands[bertil])
    assert agneta not in h.fake.commands


async def test_help_gives_five_things_for_now_and_all_on_request(h: Harness) -> None:
    from tests.test_meetings_flow import STRANGER

    await setup_sg(h)
    help_message = (await say(h, CHAIR, SG_CHAT, "/hjalp"))[-1]
    shown = [line for line in help_message.plain.splitlines() if line.startswith("/")]
    assert len(shown) == 5
    assert shown[0].startswith("/kallelse")  # no meeting called yet: the chair's first thing
    assert help_message.button_texts() == ["Visa alla kommandon"]
    await press(h, CHAIR, SG_CHAT, help_message.message_id, "hj:all")
    every = [line for line in help_message.plain.splitlines() if line.startswith("/")]
    assert len(every) > 20 and "Din roll här: ordförande" in help_message.plain
    await press(h, CHAIR, SG_CHAT, help_message.message_id, "hj:top")
    assert len([x for x in help_message.plain.splitlines() if x.startswith("/")]) == 5

    # The outsider and the group's own admin are told different things, each what they can do.
    outsider = (await say(h, STRANGER, SG_CHAT, "/hjalp"))[-1].plain
    admin = (await say(h, ADMIN, SG_CHAT, "/hjalp"))[-1].plain
    assert "Du är inte ledamot här" in outsider and "/jag" in outsider
    assert "Du är administratör i gruppen men inte bekräftad ledamot" in admin
    assert outsider.splitlines()[-1] != admin.splitlines()[-1]
    # The group's creator (Telegram's "owner") is told what an admin is told.
    creator = FakeUser(3010, "Gun", "gun_g")
    h.fake.set_member_status(SG_CHAT, creator, "creator")
    owner = (await say(h, creator, SG_CHAT, "/hjalp"))[-1].plain
    assert "Du är administratör i gruppen men inte bekräftad ledamot" in owner
    assert "ännu inte bekräftad ledamot" not in owner


async def test_the_greeting_says_how_to_begin(h: Harness) -> None:
    h.fake.add_chat(SG_CHAT)
    await h.settle(h.fake.bot_added(SG_CHAT, ADMIN))
    (greeting,) = [m for m in h.fake.sent if m.chat_id == SG_CHAT.id]
    assert "gruppen gruppen" not in greeting.plain
    assert "Först kopplas gruppen till partnerskapet" in greeting.plain
    assert "/koppla SOF 2025/144 samverkansgrupp" in greeting.plain


async def test_reorder_buttons_say_what_they_move(h: Harness) -> None:
    await setup_sg(h)
    await say(h, STADSMISSION, SG_CHAT, "/punkt Nattplatser")
    preview = (await say(h, CHAIR, SG_CHAT, "/kallelse 2026-12-10 14:00"))[-1]
    choose = next(
        d
        for t, d in zip(preview.button_texts(), preview.button_data(), strict=True)
        if "Nattplatser" in t
    )
    assert any(t.startswith("8 Nattplatser") for t in preview.button_texts())
    await press(h, CHAIR, SG_CHAT, preview.message_id, choose)
    assert preview.button_texts()[:3] == [
        "▲ 8 Nattplatser",
        "▼ 8 Nattplatser",
        "✕ Stryk 8 Nattplatser",
    ]


async def test_the_chair_names_the_next_minute_taker(h: Harness) -> None:
    await setup_sg(h)
    replies = await say(h, CHAIR, SG_CHAT, "/protokollforare @bertil_s")
    assert "/kallelse" in replies[-1].plain  # no meeting yet: nothing to write
    await call_and_publish(h)
    replies = await say(h, STADSMISSION, SG_CHAT, "/protokollforare @bertil_s")
    assert "Bara ordföranden" in replies[-1].plain  # a member cannot
    replies = await say(h, CHAIR, SG_CHAT, "/protokollforare @bertil_s")
    assert (
        "Bertil skriver protokollet" in replies[-1].plain
        and "2026-12-10 kl. 14.00" in replies[-1].plain
    )
    replies = await say(h, CITY, SG_CHAT, "/protokollforare")
    assert "Bertil skriver protokollet från nästa möte" in replies[-1].plain
    with transaction(h.services.session_factory) as s:
        (meeting,) = s.exec(select(Meeting)).all()
        person = s.exec(select(Person).where(Person.telegram_user_id == STADSMISSION.id)).one()
        assert meeting.minute_taker_person_id == person.id


SUPERGROUP = FakeChat(-1002223334445, "supergroup", "Styrgrupp EU")


def message_link(chat: FakeChat, message_id: int) -> str:
    return f"https://t.me/c/{str(chat.id)[4:]}/{message_id}"


async def test_private_reminders_lead_to_the_vote_and_back_to_the_group(h: Harness) -> None:
    """In a supergroup: the private vote reminder carries the vote's buttons and a link to the
    vote in the group, the private nudge and the minute-taker's reminder a link to the kallelse
    (all scheduled before those messages were sent); the group reminder names one member in the
    singular and offers the private chat."""
    await setup_sg(h, SUPERGROUP)
    bertil = FakeChat.private(STADSMISSION)
    h.fake.add_chat(bertil)
    await say(h, STADSMISSION, bertil, "/start")
    agneta = FakeChat.private(CHAIR)  # the chair, who writes the minutes (001: chair-led)
    h.fake.add_chat(agneta)
    await say(h, CHAIR, agneta, "/start")
    preview = (await say(h, CHAIR, SUPERGROUP, "/kallelse 2026-12-10 14:00 Stadshuset"))[-1]
    publish = next(d for d in preview.button_data() if d.startswith("mp:"))
    await press(h, CHAIR, SUPERGROUP, preview.message_id, publish)
    await h.drain_outbox()
    kallelse = next(
        m
        for m in h.fake.sent
        if m.chat_id == SUPERGROUP.id and m.button_data() and m.button_data()[0].startswith("rv:")
    )
    vote_message = (
        await say(h, CHAIR, SUPERGROUP, "/omrostning Ska öppettiderna förlängas? | 8/12 17:00")
    )[-1]
    await h.drain_outbox()  # nobody has voted: the reminder learns the vote's message all the same
    vote_id = int(vote_message.button_data()[0].split(":")[1])
    await press(h, CHAIR, SUPERGROUP, vote_message.message_id, f"vt:{vote_id}:y")

    dispatcher = get_dispatcher(h.app.bot_data) or ReminderDispatcher(h.app.bot, h.services)
    h.clock.set(datetime(2026, 12, 7, 16, 0, tzinfo=UTC))  # a day before the vote closes
    before = len(h.fake.sent)
    await dispatcher.run_once()
    await h.fake.wait_until_idle()
    sent = h.fake.sent[before:]
    private = next(m for m in sent if m.chat_id == bertil.id and "Ska öppettiderna" in m.plain)
    assert "Du har inte röstat än" in private.plain
    assert private.button_data() == [f"pv:{vote_id}:{c}" for c in "yna"]
    assert urls(private) == [message_link(SUPERGROUP, vote_message.message_id)]
    group = next(m for m in sent if m.chat_id == SUPERGROUP.id and "Ska öppettiderna" in m.plain)
    assert "Cecilia: du har inte röstat än." in group.plain  # one person: "du", not "ni"
    assert "Bertil" not in group.plain and "Agneta" not in group.plain
    assert urls(group) == [deep_link(body(h).id or 0)]

    # Two days before: the chair is reminded in private that she writes the minutes, with a
    # link to the kallelse.
    h.clock.set(datetime(2026, 12, 8, 8, 0, tzinfo=UTC))
    before = len(h.fake.sent)
    await dispatcher.run_once()
    await h.fake.wait_until_idle()
    duty = next(m for m in h.fake.sent[before:] if m.chat_id == agneta.id)
    assert "Du skriver protokollet från mötet" in duty.plain
    assert urls(duty) == [message_link(SUPERGROUP, kallelse.message_id)]

    # The day before the meeting: Bertil, who has not answered, is nudged in private, with a
    # link back to the kallelse.
    h.clock.set(datetime(2026, 12, 9, 13, 0, tzinfo=UTC))
    before = len(h.fake.sent)
    await dispatcher.run_once()
    await h.fake.wait_until_idle()
    nudge = next(m for m in h.fake.sent[before:] if m.chat_id == bertil.id)
    assert "Du har inte svarat på kallelsen än" in nudge.plain
    meeting_id = kallelse.button_data()[0].split(":")[1]
    assert nudge.button_data() == [f"pr:{meeting_id}:{c}" for c in "ynm"]
    assert urls(nudge) == [message_link(SUPERGROUP, kallelse.message_id)]
    assert h.fake.unexpected_violations == []


async def test_the_private_chat_offers_the_report_form_waiting(h: Harness) -> None:
    """/start from a group message also offers the activity report's forms this member answers
    for, each opened with one press."""
    from tests.test_escalations_flow import SV_CHAT, setup_sv

    await setup_sv(h)  # Bertil answers for Stockholms Stadsmission's two meeting places
    status = (await say(h, CHAIR, SV_CHAT, "/rapport"))[-1]
    assert "Verksamhetsrapport" in status.plain
    private = FakeChat.private(STADSMISSION)
    h.fake.add_chat(private)
    sv_body = body(h, kind="samverkansgrupp")
    welcome, *cards = await say(h, STADSMISSION, private, f"/start b_{sv_body.id}")
    assert "rapportformulär att fylla i: 2" in welcome.plain
    (forms,) = [c for c in cards if c.plain.startswith("📊")]
    assert [t.split(" (")[0] for t in forms.button_texts()] == [
        "Mötesplats Vårberg",
        "Mötesplats Hässelby",
    ]
    form = (await press_and_read(h, private, forms))[-1]
    assert "Mötesplats Vårberg" in form.plain and "1/9" in form.plain  # the form has begun
    # Agneta (Convictus) sees Convictus's form, not Stadsmission's.
    agneta = FakeChat.private(CHAIR)
    h.fake.add_chat(agneta)
    _welcome, *hers = await say(h, CHAIR, agneta, "/start")
    (mine,) = [c for c in hers if c.plain.startswith("📊")]
    assert not any("Mötesplats" in t for t in mine.button_texts())


async def press_and_read(h: Harness, chat: FakeChat, message) -> list:  # type: ignore[no-untyped-def]
    before = len(h.fake.sent)
    await press(h, STADSMISSION, chat, message.message_id, message.button_data()[0])
    return [m for m in h.fake.sent[before:] if m.chat_id == chat.id]
