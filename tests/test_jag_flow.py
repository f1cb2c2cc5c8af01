"""/jag finds a party by whole words and by the aliases in the partnership file; its examples
name a party of the chat's own partnership. Through the real Application, in Swedish."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from storage.db import transaction
from storage.models import Membership, Party
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ADMIN = FakeUser(7001, "Åsa", "asa_admin")
EVA = FakeUser(7002, "Eva", "eva_stad")
OLLE = FakeUser(7003, "Olle", "olle_sm")
SG_144 = FakeChat(-7101, "group", "Styrgrupp EU")
SG_202 = FakeChat(-7102, "group", "Styrgrupp Bostad Först")


async def say(h: Harness, user: FakeUser, chat: FakeChat, text: str) -> list[str]:
    before = len(h.fake.sent)
    await h.settle(h.fake.send_text(user, chat, text))
    return [m.plain for m in h.fake.sent[before:] if m.chat_id == chat.id]


async def link(h: Harness, chat: FakeChat, command: str) -> str:
    h.fake.add_chat(chat)
    h.fake.set_member_status(chat, ADMIN, "administrator")
    return (await say(h, ADMIN, chat, command))[-1]


def requested(h: Harness, user: FakeUser) -> str | None:
    from storage.models import Person

    with transaction(h.services.session_factory) as s:
        row = s.exec(
            select(Party.key)
            .join(Membership, Membership.requested_party_id == Party.id)  # type: ignore[arg-type]
            .join(Person, Person.id == Membership.person_id)  # type: ignore[arg-type]
            .where(Person.telegram_user_id == user.id)
        ).first()
        return row


async def test_jag_whole_words_aliases_and_own_examples(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=STOCKHOLM))

    # The Bostad Först chat: its examples name its own non-profit party, not Convictus.
    linked = await link(h, SG_202, "/koppla SOF 2023/202 styrgrupp")
    assert "/jag Street Minds" in linked and "Convictus" not in linked
    empty = (await say(h, EVA, SG_202, "/jag"))[-1]
    assert empty == "Ange vilken part du företräder, till exempel /jag Street Minds."
    # "staden" is an alias of the city in this file too.
    await say(h, EVA, SG_202, "/jag staden")
    assert requested(h, EVA) == "stockholms-stad"

    # The EU chat: "Stockholms stad" is the city, not Stockholms Stadsmission.
    linked = await link(h, SG_144, "/koppla SOF 2025/144 styrgrupp")
    assert "/jag Convictus" in linked
    answer = (await say(h, OLLE, SG_144, "/jag Stockholms stad"))[-1]
    assert "Stockholms stad, Socialförvaltningen" in answer and "Stadsmission" not in answer
    assert requested(h, OLLE) == "stockholms-stad"
    # … and the Stadsmission by its whole name, the request changed.
    answer = (await say(h, OLLE, SG_144, "/jag Stockholms Stadsmission"))[-1]
    assert "Stockholms Stadsmission" in answer
    assert requested(h, OLLE) == "stockholms-stadsmission"
    # An alias from the file.
    await say(h, EVA, SG_144, "/jag socialförvaltningen")
    assert requested(h, EVA) == "stockholms-stad"
    # Only "Stockholms": both are named, nothing recorded for a newcomer.
    newcomer = FakeUser(7004, "Nils", "nils_x")
    answer = (await say(h, newcomer, SG_144, "/jag Stockholms"))[-1]
    assert answer == (
        "”Stockholms” matchar flera parter: Stockholms Stadsmission, "
        "Stockholms stad, Socialförvaltningen. Skriv mer av namnet."
    )
    assert requested(h, newcomer) is None
