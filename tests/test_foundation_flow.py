"""Chats bound to bodies, members and roles, through the real Application and the fake server."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from storage.db import transaction
from storage.models import (
    AuditEntry,
    Body,
    ChairTerm,
    ChatStatus,
    Membership,
    MembershipStatus,
    Person,
)
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser

ADMIN = FakeUser(2001, "Åsa", "asa_admin")  # a Telegram admin of the groups
CONVICTUS_A = FakeUser(2002, "Agneta", "agneta_c")
CONVICTUS_B = FakeUser(2003, "Bertil", "bertil_c")
STRANGER = FakeUser(2004, "Sven", "sven_x")
ENGLISH = FakeUser(2005, "Emma", "emma_en", language_code="en")
SG_CHAT = FakeChat(-5001, "group", "Styrgrupp EU")
SVG_CHAT = FakeChat(-100777, "supergroup", "Samverkan EU", is_forum=True)


async def say(h: Harness, user: FakeUser, chat: FakeChat, text: str, **kw: object):  # type: ignore[no-untyped-def]
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(user, chat, text, **kw))
    return [m for m in h.fake.sent[before:] if m.chat_id == chat.id]


async def press(
    h: Harness, user: FakeUser, chat: FakeChat, message, data: str, check_button: bool = True
):  # type: ignore[no-untyped-def]
    before = len(h.fake.callback_answers)
    await h.settle(h.fake.press(user, message, chat, data, check_button=check_button))
    answers = h.fake.callback_answers[before:]
    return answers[-1] if answers else None


def body_of(h: Harness, dnr: str, kind: str) -> Body:
    from storage import bodies

    with transaction(h.services.session_factory) as s:
        p = bodies.get_partnership_by_diarienummer(s, dnr)
        assert p is not None and p.id is not None
        body = bodies.get_body(s, p.id, kind)
        assert body is not None
        return body


async def link_sg(h: Harness) -> None:
    h.fake.add_chat(SG_CHAT)
    h.fake.set_member_status(SG_CHAT, ADMIN, "administrator")
    replies = await say(h, ADMIN, SG_CHAT, "/koppla SOF 2025/144 styrgrupp")
    assert "styrgrupp" in replies[-1].plain.lower(), replies[-1].plain


async def test_bot_added_greets_in_swedish_and_explains_koppla(harness: Harness) -> None:
    harness.fake.bot_added(SG_CHAT, ADMIN)
    greeting = await harness.fake.wait_for(lambda m: m.chat_id == SG_CHAT.id)
    assert "/koppla" in greeting.plain
    assert "Hej" in greeting.plain


async def test_commands_are_published_per_scope_and_language(harness: Harness) -> None:
    commands = harness.fake.commands
    by_language = {
        key[1]: [c["command"] for c in value]
        for key, value in commands.items()
        if "all_group_chats" in key[0]
    }
    assert "jag" in by_language["sv"] and "iam" in by_language["en"]
    assert "jag" in by_language[""]  # the default list is Swedish
    assert all(c.isascii() for cmds in by_language.values() for c in cmds)
    # A group's admins see the chair's menu too: they link the group.
    admins = {
        key[1]: [c["command"] for c in value]
        for key, value in commands.items()
        if "all_chat_administrators" in key[0]
    }
    assert "koppla" in admins["sv"] and "link" in admins["en"] and "koppla" in admins[""]
    assert "koppla" not in by_language["sv"]  # members see a short menu


async def test_only_admins_link_and_nothing_changes_on_refusal(harness: Harness) -> None:
    harness.fake.add_chat(SG_CHAT)
    replies = await say(harness, STRANGER, SG_CHAT, "/koppla SOF 2025/144 styrgrupp")
    assert "administratör" in replies[-1].plain or "admin" in replies[-1].plain
    assert body_of(harness, "SOF 2025/144", "styrgrupp").chat_id is None

    replies = await say(harness, ADMIN, SG_CHAT, "/koppla SOF 1999/1 styrgrupp")
    assert "SOF 1999/1" in replies[-1].plain
    replies = await say(harness, ADMIN, SG_CHAT, "/koppla")
    assert "/koppla SOF 2025/144 samverkansgrupp" in replies[-1].plain
    replies = await say(harness, ADMIN, SG_CHAT, "/koppla SOF 2025/144 kommittén")
    assert "styrgrupp" in replies[-1].plain and "samverkansgrupp" in replies[-1].plain
    assert body_of(harness, "SOF 2025/144", "styrgrupp").chat_id is None

    await link_sg(harness)
    body = body_of(harness, "SOF 2025/144", "styrgrupp")
    assert body.chat_id == SG_CHAT.id and body.chat_status == ChatStatus.ACTIVE
    # The same chat cannot also be the samverkansgrupp.
    replies = await say(harness, ADMIN, SG_CHAT, "/koppla SOF 2025/144 samverkansgrupp")
    assert body_of(harness, "SOF 2025/144", "samverkansgrupp").chat_id is None


async def test_anonymous_admin_can_link(harness: Harness) -> None:
    harness.fake.add_chat(SG_CHAT)
    await harness.settle(
        harness.fake.anonymous_admin_text(SG_CHAT, "/koppla SOF 2023/202 styrgrupp")
    )
    assert body_of(harness, "SOF 2023/202", "styrgrupp").chat_id == SG_CHAT.id


async def test_forum_topic_link_replies_in_the_topic_and_remembers_it(harness: Harness) -> None:
    harness.fake.add_chat(SVG_CHAT)
    harness.fake.set_member_status(SVG_CHAT, ADMIN, "creator")
    replies = await say(
        harness, ADMIN, SVG_CHAT, "/koppla SOF 2025/144 samverkansgrupp", thread_id=42
    )
    assert replies and all(m.thread_id == 42 for m in replies)
    assert body_of(harness, "SOF 2025/144", "samverkansgrupp").thread_id == 42


async def test_membership_confirmation_roles_and_double_press(harness: Harness) -> None:
    await link_sg(harness)
    request = (await say(harness, CONVICTUS_A, SG_CHAT, "/jag convictus"))[-1]
    assert "Convictus" in request.plain
    assert len(request.button_data()) == 2
    confirm = request.button_data()[0]
    assert len(confirm.encode()) <= 64

    # A stranger pressing is refused and nothing changes.
    answer = await press(harness, STRANGER, SG_CHAT, request.message_id, confirm)
    assert answer is not None and answer.get("show_alert")
    with transaction(harness.services.session_factory) as s:
        m = s.exec(select(Membership)).one()
        assert m.status == MembershipStatus.PENDING and m.party_id is None

    # No chair yet: the group's admin confirms.
    await press(harness, ADMIN, SG_CHAT, request.message_id, confirm)
    edited = harness.fake.messages_in(SG_CHAT.id)
    assert any(msg.edits for msg in edited)
    with transaction(harness.services.session_factory) as s:
        m = s.exec(select(Membership)).one()
        assert m.status == MembershipStatus.CONFIRMED and m.party_id is not None
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "membership.confirm")).all()
        assert len(audit) == 1

    # A second press from a client that still shows the old buttons changes nothing.
    answer = await press(harness, ADMIN, SG_CHAT, request.message_id, confirm, check_button=False)
    assert answer is not None and answer.get("show_alert")
    with transaction(harness.services.session_factory) as s:
        assert (
            len(s.exec(select(AuditEntry).where(AuditEntry.action == "membership.confirm")).all())
            == 1
        )

    # Tampered callback data pointing at nothing is refused.
    answer = await press(
        harness, ADMIN, SG_CHAT, request.message_id, "mc:999999", check_button=False
    )
    assert answer is not None and answer.get("show_alert")


async def test_chair_is_recorded_with_the_partnership_term(harness: Harness) -> None:
    await link_sg(harness)
    request = (await say(harness, CONVICTUS_A, SG_CHAT, "/jag Convictus"))[-1]
    await press(harness, ADMIN, SG_CHAT, request.message_id, request.button_data()[0])

    replies = await say(harness, STRANGER, SG_CHAT, "/ordforande @agneta_c")
    assert "ordförande" in replies[-1].plain.lower()
    with transaction(harness.services.session_factory) as s:
        assert s.exec(select(ChairTerm)).all() == []
    replies = await say(harness, ADMIN, SG_CHAT, "/ordforande @sven_x")
    assert "Sven" in replies[-1].plain  # not a member: refused
    replies = await say(harness, ADMIN, SG_CHAT, "/ordforande @agneta_c 31/02")
    with transaction(harness.services.session_factory) as s:
        assert s.exec(select(ChairTerm)).all() == []
    replies = await say(harness, ADMIN, SG_CHAT, "/ordforande @agneta_c")
    assert "Agneta" in replies[-1].plain
    with transaction(harness.services.session_factory) as s:
        term = s.exec(select(ChairTerm)).one()
        # 001 §3.1: the chair is appointed for one year.
        assert term.starts_on == date(2026, 11, 23) and term.ends_on == date(2027, 11, 23)

    listing = (await say(harness, STRANGER, SG_CHAT, "/ledamoter"))[-1].plain
    assert "Convictus" in listing and "Agneta" in listing and "2027-11-23" in listing

    # Now the chair confirms the next member; a group admin who is not chair no longer can.
    request = (await say(harness, CONVICTUS_B, SG_CHAT, "/jag Convictus"))[-1]
    answer = await press(harness, ADMIN, SG_CHAT, request.message_id, request.button_data()[0])
    assert answer is not None and answer.get("show_alert")
    await press(harness, CONVICTUS_A, SG_CHAT, request.message_id, request.button_data()[0])
    with transaction(harness.services.session_factory) as s:
        statuses = sorted(m.status for m in s.exec(select(Membership)).all())
        assert statuses == ["confirmed", "confirmed"]


async def test_personnummer_is_refused_and_not_stored(harness: Harness) -> None:
    await link_sg(harness)
    replies = await say(harness, CONVICTUS_A, SG_CHAT, "/jag Convictus 19811218-9876")
    assert "personnummer" in replies[-1].plain
    with transaction(harness.services.session_factory) as s:
        assert s.exec(select(Membership)).all() == []


async def test_english_user_gets_english(harness: Harness) -> None:
    await link_sg(harness)
    replies = await say(harness, ENGLISH, SG_CHAT, "/help")
    assert "Members by party" in replies[-1].plain or "members by party" in replies[-1].plain
    replies = await say(harness, CONVICTUS_A, SG_CHAT, "/hjalp")
    assert "ledamöter" in replies[-1].plain.lower()


async def test_help_depends_on_role(harness: Harness) -> None:
    await link_sg(harness)
    guest = (await say(harness, STRANGER, SG_CHAT, "/hjalp"))[-1].plain
    admin = (await say(harness, ADMIN, SG_CHAT, "/hjalp"))[-1].plain
    assert "/ordforande" not in guest
    assert "/ordforande" in admin


async def test_bot_removed_and_readded(harness: Harness) -> None:
    await link_sg(harness)
    await harness.settle(harness.fake.bot_removed(SG_CHAT, ADMIN))
    assert body_of(harness, "SOF 2025/144", "styrgrupp").chat_status == ChatStatus.REMOVED
    harness.fake.unkick(SG_CHAT.id)
    await harness.settle(harness.fake.bot_added(SG_CHAT, ADMIN))
    assert body_of(harness, "SOF 2025/144", "styrgrupp").chat_status == ChatStatus.ACTIVE


async def test_group_migrating_to_supergroup_moves_the_binding(harness: Harness) -> None:
    await link_sg(harness)
    new_id = -1009998887
    await harness.settle(harness.fake.migrate(SG_CHAT.id, new_id))
    assert body_of(harness, "SOF 2025/144", "styrgrupp").chat_id == new_id
    super_chat = harness.fake.chats[new_id]
    replies = await say(harness, STRANGER, super_chat, "/ledamoter")
    assert replies and "Convictus" in replies[-1].plain


async def test_unlinked_chat_gets_a_clear_answer(harness: Harness) -> None:
    harness.fake.add_chat(SG_CHAT)
    replies = await say(harness, STRANGER, SG_CHAT, "/jag Convictus")
    assert "/koppla" in replies[-1].plain
    with transaction(harness.services.session_factory) as s:
        assert s.exec(select(Membership)).all() == []
        assert s.exec(select(Person).where(Person.telegram_user_id == STRANGER.id)).one()


@pytest.mark.parametrize("name", ["x" * 10_000, "\u202eevil\u200b", "<b>bold</b> & co"])
async def test_odd_names_are_stored_as_given_and_rendered_escaped(
    harness: Harness, name: str
) -> None:
    await link_sg(harness)
    odd = FakeUser(2099, name, "odd_user")
    replies = await say(harness, odd, SG_CHAT, "/jag Convictus")
    assert replies and replies[-1].plain  # the fake server rejects malformed HTML or over-long text
    with transaction(harness.services.session_factory) as s:
        person = s.exec(select(Person).where(Person.telegram_user_id == 2099)).one()
        assert person.first_name == name


def _schedule_one(h: Harness, chat_id: int) -> None:
    from datetime import timedelta

    from storage import reminders

    with transaction(h.services.session_factory) as s:
        reminders.schedule(
            s,
            [
                reminders.ReminderSpec(
                    kind="test.ping",
                    source="test:1",
                    dedupe_key="test:1:ping",
                    chat_id=chat_id,
                    due_at=h.clock() + timedelta(days=3),
                )
            ],
            now=h.clock(),
        )


def _reminder_state(h: Harness) -> tuple[int, str]:
    from storage import reminders

    with transaction(h.services.session_factory) as s:
        row = reminders.get_by_key(s, "test:1:ping")
        assert row is not None
        return row.chat_id, row.state


async def test_removal_pauses_and_readding_resumes_the_chats_reminders(harness: Harness) -> None:
    await link_sg(harness)
    _schedule_one(harness, SG_CHAT.id)
    await harness.settle(harness.fake.bot_removed(SG_CHAT, ADMIN))
    assert _reminder_state(harness) == (SG_CHAT.id, "paused")
    harness.fake.unkick(SG_CHAT.id)
    await harness.settle(harness.fake.bot_added(SG_CHAT, ADMIN))
    assert _reminder_state(harness) == (SG_CHAT.id, "pending")


async def test_migration_moves_pending_reminders(harness: Harness) -> None:
    await link_sg(harness)
    _schedule_one(harness, SG_CHAT.id)
    await harness.settle(harness.fake.migrate(SG_CHAT.id, -1004445556))
    assert _reminder_state(harness) == (-1004445556, "pending")


async def test_both_partnerships_get_two_linked_chats_each(harness: Harness) -> None:
    chats = {
        ("SOF 2025/144", "styrgrupp"): FakeChat(-6001, "group", "SG EU"),
        ("SOF 2025/144", "samverkansgrupp"): FakeChat(-1006002, "supergroup", "SVG EU"),
        ("SOF 2023/202", "styrgrupp"): FakeChat(-6003, "group", "SG Bostad Först"),
        ("SOF 2023/202", "samverkansgrupp"): FakeChat(-6004, "group", "SVG Bostad Först"),
    }
    for (dnr, kind), chat in chats.items():
        harness.fake.add_chat(chat)
        harness.fake.set_member_status(chat, ADMIN, "administrator")
        replies = await say(harness, ADMIN, chat, f"/koppla {dnr} {kind}")
        assert dnr in replies[-1].plain
    for (dnr, kind), chat in chats.items():
        assert body_of(harness, dnr, kind).chat_id == chat.id
