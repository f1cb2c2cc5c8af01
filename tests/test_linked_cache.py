"""The chat's body and the sender's role, kept in-process for a few seconds
(`services.linked_cache`): used on the common path, and forgotten at once when /koppla, a chair
appointment, a member leaving or a migration changes what they say; a write this process does
not see (another process) is seen once the entry is old."""

from __future__ import annotations

import traceback
from collections.abc import Iterator

import pytest
from sqlalchemy import event, text

from services import linked_cache
from services.chats import linked_body_and_partnership
from services.partnerships import set_administrator
from services.roles import role_in_body
from storage.db import transaction
from storage.models import MembershipStatus
from tests.conftest import Harness
from tests.fakebot import FakeChat
from tests.fakebot.models import BOT_ID
from tests.test_foundation_flow import (
    ADMIN,
    CONVICTUS_A,
    CONVICTUS_B,
    SG_CHAT,
    STRANGER,
    link_sg,
    press,
    say,
)

OTHER_CHAT = FakeChat(-5002, "group", "Styrgrupp EU (ny)")
LOOKUPS = (
    "from body join partnership",
    "from person where person.telegram_user_id",
    "from membership where membership.body_id",
    "from chairterm join person",
    "from administrator where administrator.partnership_id",
)


@pytest.fixture(autouse=True)
def long_lived(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Entries outlive every test here: what forgets them must be the invalidation."""
    monkeypatch.setattr(linked_cache, "TTL_SECONDS", 3600.0)
    linked_cache.invalidate()
    yield
    linked_cache.invalidate()


class Statements:
    """The statements the wrapper's look-ups run (`in_body`: the chat's body, the role); what
    a handler's own work asks (/hjalp names the chair) is not counted."""

    def __init__(self, h: Harness) -> None:
        self.seen: list[str] = []

        def statement(_conn, _cursor, sql, _params, _context, _many):  # type: ignore[no-untyped-def]
            stack = traceback.extract_stack()
            if any(f.name == "make" and f.filename.endswith("wrapper.py") for f in stack):
                self.seen.append(" ".join(sql.split()).lower())

        event.listen(h.services.engine, "before_cursor_execute", statement)

    def lookups(self) -> list[str]:
        return [s for s in self.seen if any(look in s for look in LOOKUPS)]


async def confirmed(h: Harness) -> None:
    """Convictus A is a confirmed member of the styrgrupp (the group's admin confirmed her)."""
    await link_sg(h)
    request = (await say(h, CONVICTUS_A, SG_CHAT, "/jag Convictus"))[-1]
    await press(h, ADMIN, SG_CHAT, request.message_id, request.button_data()[0])


async def test_a_known_chat_and_sender_cost_no_lookups(harness: Harness) -> None:
    h = harness
    await confirmed(h)
    await say(h, CONVICTUS_A, SG_CHAT, "/ledamoter")
    seen = Statements(h)
    replies = await say(h, CONVICTUS_A, SG_CHAT, "/ledamoter")
    assert replies
    assert seen.seen == []  # not one statement to find the body and the role
    linked_cache.invalidate()
    await say(h, CONVICTUS_A, SG_CHAT, "/ledamoter")
    assert len(seen.lookups()) == 5  # without the cache: body, person, membership, chair, admin
    hits, _misses = linked_cache.stats()
    assert hits >= 2  # the chat's body, the sender's role


async def test_koppla_moving_the_body_to_another_chat_is_seen_at_once(harness: Harness) -> None:
    h = harness
    await link_sg(h)
    with transaction(h.services.session_factory) as s:
        set_administrator(s, "SOF 2025/144", ADMIN.id, add=True)
    assert "Convictus" in (await say(h, STRANGER, SG_CHAT, "/ledamoter"))[-1].plain  # kept
    h.fake.add_chat(OTHER_CHAT)
    h.fake.set_member_status(OTHER_CHAT, ADMIN, "administrator")
    await say(h, ADMIN, OTHER_CHAT, "/koppla SOF 2025/144 styrgrupp")
    # The old chat no longer belongs to the body, though its look-up was kept a moment ago.
    assert "/koppla" in (await say(h, STRANGER, SG_CHAT, "/ledamoter"))[-1].plain
    assert "Convictus" in (await say(h, STRANGER, OTHER_CHAT, "/ledamoter"))[-1].plain


async def test_a_press_after_a_chair_appointment_is_judged_by_the_new_chair(
    harness: Harness,
) -> None:
    h = harness
    await confirmed(h)
    # The group's admin confirms while there is no chair (their role is kept) …
    request = (await say(h, CONVICTUS_B, SG_CHAT, "/jag Convictus"))[-1]
    await say(h, ADMIN, SG_CHAT, "/ordforande @agneta_c")
    # … and no longer can once Agneta chairs, though that role was looked up just before.
    answer = await press(h, ADMIN, SG_CHAT, request.message_id, request.button_data()[0])
    assert answer is not None and answer.get("show_alert")
    await press(h, CONVICTUS_A, SG_CHAT, request.message_id, request.button_data()[0])
    with transaction(h.services.session_factory) as s:
        body, _ = linked_body_and_partnership(s, SG_CHAT.id)
        role = role_in_body(s, body, CONVICTUS_B.id, h.clock().date(), is_chat_admin=False)
        assert role.is_member


async def test_a_member_who_leaves_the_chat_is_no_member_at_once(harness: Harness) -> None:
    h = harness
    await confirmed(h)
    today = h.clock().date()
    with transaction(h.services.session_factory) as s:
        body, _ = linked_body_and_partnership(s, SG_CHAT.id)
        assert role_in_body(s, body, CONVICTUS_A.id, today, is_chat_admin=False).is_member
    h.fake.set_member_status(SG_CHAT, BOT_ID, "administrator")  # so Telegram tells the bot
    await h.settle(h.fake.user_left(SG_CHAT, CONVICTUS_A))
    with transaction(h.services.session_factory) as s:
        body, _ = linked_body_and_partnership(s, SG_CHAT.id)
        role = role_in_body(s, body, CONVICTUS_A.id, today, is_chat_admin=False)
        assert role.membership is not None and role.membership.status == MembershipStatus.LEFT


async def test_a_migrated_group_is_found_under_its_new_id(harness: Harness) -> None:
    h = harness
    await link_sg(h)
    await say(h, STRANGER, SG_CHAT, "/ledamoter")  # kept under the old id
    new_id = -1009998887
    await h.settle(h.fake.migrate(SG_CHAT.id, new_id))
    with transaction(h.services.session_factory) as s:
        body, _ = linked_body_and_partnership(s, new_id)
        assert body.chat_id == new_id
    replies = await say(h, STRANGER, h.fake.chats[new_id], "/ledamoter")
    assert replies and "Convictus" in replies[-1].plain


async def test_a_write_another_process_made_is_seen_once_the_entry_is_old(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    await confirmed(h)
    monkeypatch.setattr(linked_cache, "TTL_SECONDS", 3.0)
    today = h.clock().date()

    def member_now() -> bool:
        with transaction(h.services.session_factory) as s:
            body, _ = linked_body_and_partnership(s, SG_CHAT.id)
            return role_in_body(s, body, CONVICTUS_A.id, today, is_chat_admin=False).is_member

    assert member_now()
    # Another process ends the membership: this one's ORM never sees the statement.
    with h.services.engine.begin() as conn:
        conn.execute(text("UPDATE membership SET status = 'left'"))
    assert member_now()  # kept: at most TTL_SECONDS old
    later = linked_cache.monotonic() + 3.1
    monkeypatch.setattr(linked_cache, "monotonic", lambda: later)
    assert not member_now()


async def test_kept_rows_are_fresh_copies_each_session_may_change(harness: Harness) -> None:
    h = harness
    await link_sg(h)
    with transaction(h.services.session_factory) as s:
        body, _ = linked_body_and_partnership(s, SG_CHAT.id)
    hits = linked_cache.stats()[0]
    with transaction(h.services.session_factory) as s:
        kept, _ = linked_body_and_partnership(s, SG_CHAT.id)
        assert linked_cache.stats()[0] == hits + 1
        assert kept is not body and kept in s and kept not in s.dirty
        kept.chat_title = "Nytt namn"  # tracked and written like any loaded row
    with transaction(h.services.session_factory) as s:
        again, _ = linked_body_and_partnership(s, SG_CHAT.id)
        assert again.chat_title == "Nytt namn"
