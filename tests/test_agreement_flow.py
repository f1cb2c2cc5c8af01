"""Agreements that live (issue 11), through the real Application at fixed instants: /avtal,
the ended agreement, the period that ran out without a recorded extension, the admin's buttons."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.partnerships import set_administrator
from storage.db import transaction
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser
from tests.test_deadlines_flow import say
from tests.test_foundation_flow import press

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ADMIN = FakeUser(3101, "Åsa", "asa_admin")
MEMBER = FakeUser(3102, "Bo", "bo_member")
SG_CHAT = FakeChat(-6101, "group", "Styrgrupp")
BF_CHAT = FakeChat(-6102, "group", "Styrgrupp Bostad Först")


async def link(h: Harness, chat: FakeChat, dnr: str) -> None:
    h.fake.add_chat(chat)
    h.fake.set_member_status(chat, ADMIN, "administrator")
    with transaction(h.services.session_factory) as s:
        set_administrator(s, dnr, ADMIN.id, add=True)
    assert await say(h, ADMIN, chat, f"/koppla {dnr} styrgrupp")


async def test_004_has_ended_no_meeting_export_still_works(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=STOCKHOLM))
    await link(h, BF_CHAT, "SOF 2023/202")

    shown = (await say(h, ADMIN, BF_CHAT, "/avtal"))[-1]
    assert "Avtalet upphörde 30 juni 2026." in shown.plain
    # How it got there: the initial year, then four automatic half-years.
    assert "1 juli 2023 – 30 juni 2024 (inledande period)" in shown.plain
    assert "1 januari 2026 – 30 juni 2026 (förlängd automatiskt enligt avtalet)" in shown.plain
    assert "Uppsägningstid: 4 månader" in shown.plain
    assert "Street Minds (802524-2879)" in shown.plain
    assert not shown.button_data()  # nothing to record

    listing = (await say(h, ADMIN, BF_CHAT, "/tidsfrister"))[-1].plain
    assert "Avtalet upphörde 30 juni 2026." in listing
    assert "försenad" not in listing and "/klart" not in listing

    refused = (await say(h, ADMIN, BF_CHAT, "/kallelse 2026-12-10 14:00 Stadshuset"))[-1].plain
    assert "Avtalet upphörde 30 juni 2026" in refused and "/export" in refused

    await say(h, ADMIN, FakeChat.private(ADMIN), "/start")
    await say(h, ADMIN, BF_CHAT, "/export")
    assert h.fake.sent[-1].document_name == "export-SOF-2023-202.zip"


async def test_001_period_ran_out_the_administrator_records_the_extension(
    harness: Harness,
) -> None:
    h = harness
    h.clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=STOCKHOLM))
    await link(h, SG_CHAT, "SOF 2025/144")

    listing = (await say(h, ADMIN, SG_CHAT, "/tidsfrister"))[-1].plain
    assert "Perioden löpte ut 30 april 2026; ingen förlängning är registrerad." in listing

    h.fake.set_member_status(SG_CHAT, MEMBER, "member")
    seen_by_member = (await say(h, MEMBER, SG_CHAT, "/avtal"))[-1]
    assert "Perioden löpte ut 30 april 2026" in seen_by_member.plain
    assert not seen_by_member.button_data()

    shown = (await say(h, ADMIN, SG_CHAT, "/avtal"))[-1]
    assert "Perioden löpte ut 30 april 2026; ingen förlängning är registrerad." in shown.plain
    assert shown.button_data() == ["ag:x:2027-04-30", "ag:e"]
    assert "Convictus (802012-1581)" in shown.plain
    assert "3. Bilaga Convictus · budget 1\u00a0530\u00a0000 kr (12 månader)" in shown.plain

    # Someone else pressing the administrator's button changes nothing.
    answer = await press(h, MEMBER, SG_CHAT, shown.message_id, "ag:x:2027-04-30")
    assert answer is not None and answer.get("show_alert")

    await press(h, ADMIN, SG_CHAT, shown.message_id, "ag:x:2027-04-30")
    edited = shown
    assert "Registrerat: avtalet är förlängt till 30 april 2027." in edited.plain
    assert "Gäller till och med 30 april 2027." in edited.plain
    assert "1 maj 2026 – 30 april 2027 (förlängd (registrerat av administratören))" in edited.plain
    assert (
        "Sista dag att meddela förlängning till 30 april 2028: 31 oktober 2026 (har passerat)"
        in (edited.plain)
    )

    listing = (await say(h, ADMIN, SG_CHAT, "/tidsfrister"))[-1].plain
    assert "ingen förlängning" not in listing
    assert "/klart activity_report:2026-05..2026-10" in listing  # May–October 2026
    for party in ("convictus", "fralsningsarmen", "ny-gemenskap", "stockholms-stadsmission"):
        assert f"/klart financial_report:{party}:2026" in listing  # May 2025–April 2026
    # The last day to announce an extension beyond 2027-04-30 has passed.
    assert "31 oktober 2026 · försenad" in listing
    assert "/klart renewal_announcement:2026-10-31" in listing

    # Recording the same step again is refused with the reason.
    again = (await say(h, ADMIN, SG_CHAT, "/avtal"))[-1]
    assert again.button_data() == ["ag:x:2028-04-30"]
