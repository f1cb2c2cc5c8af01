"""Agreements that live (issue 11), through the real Application at fixed instants: /avtal,
the ended agreement, the period that ran out without a recorded extension, the admin's buttons."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from delivery.dispatcher import ReminderDispatcher, get_dispatcher
from governance.partnership_file import load_partnership_file
from governance.partnership_schema import PartnershipSpec, Party
from services.partnerships import import_partnership, set_administrator
from storage.db import transaction
from storage.models import Decision, Vote
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser
from tests.test_deadlines_flow import say
from tests.test_foundation_flow import press
from tests.test_meetings_flow import CHAIR, SG_CHAT
from tests.test_minutes_flow import meeting_harness, opened_meeting  # noqa: F401  (fixture)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ADMIN = FakeUser(3101, "Åsa", "asa_admin")
MEMBER = FakeUser(3102, "Bo", "bo_member")
EU_CHAT = FakeChat(-6101, "group", "Styrgrupp")
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
    await link(h, EU_CHAT, "SOF 2025/144")

    listing = (await say(h, ADMIN, EU_CHAT, "/tidsfrister"))[-1].plain
    assert "Perioden löpte ut 30 april 2026; ingen förlängning är registrerad." in listing

    h.fake.set_member_status(EU_CHAT, MEMBER, "member")
    seen_by_member = (await say(h, MEMBER, EU_CHAT, "/avtal"))[-1]
    assert "Perioden löpte ut 30 april 2026" in seen_by_member.plain
    assert not seen_by_member.button_data()

    shown = (await say(h, ADMIN, EU_CHAT, "/avtal"))[-1]
    assert "Perioden löpte ut 30 april 2026; ingen förlängning är registrerad." in shown.plain
    assert shown.button_data() == ["ag:x:2027-04-30", "ag:e"]
    assert "Convictus (802012-1581)" in shown.plain
    assert "3. Bilaga Convictus · budget 1\u00a0530\u00a0000 kr (12 månader)" in shown.plain

    # Someone else pressing the administrator's button changes nothing.
    answer = await press(h, MEMBER, EU_CHAT, shown.message_id, "ag:x:2027-04-30")
    assert answer is not None and answer.get("show_alert")

    await press(h, ADMIN, EU_CHAT, shown.message_id, "ag:x:2027-04-30")
    edited = shown
    assert "Registrerat: avtalet är förlängt till 30 april 2027." in edited.plain
    assert "Gäller till och med 30 april 2027." in edited.plain
    assert "1 maj 2026 – 30 april 2027 (förlängd, registrerat av administratören)" in edited.plain
    assert (
        "Sista dag att meddela förlängning till 30 april 2028: 31 oktober 2026 (har passerat)"
        in (edited.plain)
    )

    listing = (await say(h, ADMIN, EU_CHAT, "/tidsfrister"))[-1].plain
    assert "ingen förlängning" not in listing
    assert "/klart activity_report:2026-05..2026-10" in listing  # May–October 2026
    # The financial reports for May 2025–April 2026 (due before the chat was linked: the latest
    # one listed "före koppling", the others behind "Visa äldre").
    assert "verksamhetsår maj 2025–april 2026" in listing
    assert "/klart financial_report:stockholms-stadsmission:2026" in listing
    # The last day to announce an extension beyond 2027-04-30 has passed.
    assert "31 oktober 2026 · försenad" in listing
    assert "/klart renewal_announcement:2026-10-31" in listing

    # Recording the same step again is refused with the reason.
    again = (await say(h, ADMIN, EU_CHAT, "/avtal"))[-1]
    assert again.button_data() == ["ag:x:2028-04-30"]


# --- notice, voting, a new party (a meeting of the SOF 2025/144 styrgrupp on 2026-12-10) ------


def _entitled_parties(h: Harness, vote_id: int) -> set[str]:
    with transaction(h.services.session_factory) as s:
        vote = s.get(Vote, vote_id)
        assert vote is not None
        return {str(e["party_key"]) for e in vote.entitled}


def _import(h: Harness, spec: PartnershipSpec, *, dry_run: bool) -> list[str]:
    with transaction(h.services.session_factory) as s:
        changes = import_partnership(s, spec, now=h.clock(), dry_run=dry_run)
        if dry_run:
            s.rollback()
    return changes


async def test_notice_extension_and_new_party_by_decision(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    await opened_meeting(h)  # 2026-12-10 14:00
    assert await say(h, CHAIR, SG_CHAT, "/motesstart")

    # The rule allows one year at a time: a wrong end is refused with the reason, nothing kept.
    refused = (await say(h, CHAIR, SG_CHAT, "/beslut [förlängning till 2027-10-31] Förlängs."))[-1]
    assert "nästa förlängning gäller till 30 april 2027" in refused.plain
    with transaction(h.services.session_factory) as s:
        assert s.exec(select(Decision)).all() == []
    recorded = await say(h, CHAIR, SG_CHAT, "/beslut [förlängning till 2027-04-30] Ett år till.")
    assert "SG 2026:1" in recorded[-1].plain

    # Convictus gives notice: three months (001 §5.7) from today.
    recorded = await say(h, CHAIR, SG_CHAT, "/beslut [uppsägning Convictus] Convictus säger upp.")
    assert "SG 2026:2" in recorded[-1].plain
    again = (await say(h, CHAIR, SG_CHAT, "/beslut [uppsägning Convictus] En gång till."))[-1]
    assert "Deltagandet för Convictus upphör redan 10 mars 2027." in again.plain

    # A new party admitted by the styrgrupp (001 §5.6.1), before the file names it.
    recorded = await say(
        h, CHAIR, SG_CHAT, "/beslut [ny part Hela Människan] Hela Människan ansluter."
    )
    assert "SG 2026:3" in recorded[-1].plain

    shown = (await say(h, CHAIR, SG_CHAT, "/avtal"))[-1].plain
    assert "1 maj 2026 – 30 april 2027 (förlängd genom beslut SG 2026:1)" in shown
    assert (
        "Convictus (802012-1581) · har sagt upp sitt åtagande, deltar till och med "
        "10 mars 2027 (SG 2026:2)"
    ) in shown
    listing = (await say(h, CHAIR, SG_CHAT, "/tidsfrister"))[-1].plain
    assert "Sista dagen för Convictus i partnerskapet" in listing

    # The file gains the new party: the dry run names the decision; the import links it.
    spec = load_partnership_file(EXAMPLES / "sof-2025-144.toml")
    grown = spec.model_copy(
        update={
            "parties": (
                *spec.parties,
                Party(
                    key="hela-manniskan",
                    name="Hela Människan",
                    org_number="802000-1239",
                    kind="nonprofit",
                ),
            )
        }
    )
    dry = _import(h, grown, dry_run=True)
    assert "party hela-manniskan: admitted by decision SG 2026:3 of 2026-12-10" in dry
    assert _import(h, grown, dry_run=False) == [
        "rules changed in: parties",
        "new party Hela Människan (802000-1239)",
        "party hela-manniskan: admitted by decision SG 2026:3 of 2026-12-10",
    ]
    shown = (await say(h, CHAIR, SG_CHAT, "/avtal"))[-1].plain
    assert "Hela Människan (802000-1239) · ansluten 10 december 2026 (SG 2026:3)" in shown

    # A changed notice period: the dry run states what it moves.
    longer = grown.model_copy(
        update={"agreement": grown.agreement.model_copy(update={"notice_period_months": 4})}
    )
    dry = _import(h, longer, dry_run=True)
    assert (
        "agreement: notice period 3 → 4 months: last day to give notice for the period's end "
        "moves 2027-01-31 → 2026-12-31"
    ) in dry
    assert "agreement: participation of convictus ends 2027-03-10 → 2027-04-10" in dry

    # On the last day Convictus still votes; the day after it does not.
    h.clock.set(datetime(2027, 3, 10, 9, 0, tzinfo=STOCKHOLM))
    opened = (await say(h, CHAIR, SG_CHAT, "/omrostning Ny rutin? | 2027-03-12 17:00"))[-1]
    vote_id = int(opened.button_data()[0].split(":")[1])
    assert "convictus" in _entitled_parties(h, vote_id)
    h.clock.set(datetime(2027, 3, 11, 9, 0, tzinfo=STOCKHOLM))
    answer = await press(h, CHAIR, SG_CHAT, opened.message_id, f"vt:{vote_id}:y")
    assert answer is not None and answer.get("show_alert")
    await press(h, CHAIR, SG_CHAT, opened.message_id, f"vt:{vote_id}:c")
    second = (await say(h, CHAIR, SG_CHAT, "/omrostning Andra frågan? | 2027-03-12 17:00"))[-1]
    second_id = int(second.button_data()[0].split(":")[1])
    assert _entitled_parties(h, second_id) == {"stockholms-stad", "stockholms-stadsmission"}


async def test_001_the_administrator_is_asked_the_day_after_the_period(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 4, 20, 10, 0, tzinfo=STOCKHOLM))
    await link(h, EU_CHAT, "SOF 2025/144")
    dispatcher = get_dispatcher(h.app.bot_data) or ReminderDispatcher(h.app.bot, h.services)
    await dispatcher.run_once()
    h.clock.set(datetime(2026, 5, 1, 9, 0, tzinfo=STOCKHOLM))
    await dispatcher.run_once()
    (asked,) = [m for m in h.fake.messages_in(EU_CHAT.id) if "ag:e" in m.button_data()]
    assert "Avtalsperioden har löpt ut" in asked.plain
    assert "Perioden löpte ut 30 april 2026; ingen förlängning är registrerad." in asked.plain
    assert asked.button_data() == ["ag:x:2027-04-30", "ag:e"]
    assert "Förlängt till 30 april 2027" in asked.button_texts()

    await press(h, ADMIN, EU_CHAT, asked.message_id, "ag:e")
    assert "Registrerat: avtalet upphörde 30 april 2026." in asked.plain
    listing = (await say(h, ADMIN, EU_CHAT, "/tidsfrister"))[-1].plain
    assert "Avtalet upphörde 30 april 2026." in listing
    refused = (await say(h, ADMIN, EU_CHAT, "/kallelse 2026-05-10 14:00"))[-1].plain
    assert "Avtalet upphörde 30 april 2026" in refused


async def test_the_administrator_adds_an_admitted_party(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=STOCKHOLM))
    await link(h, EU_CHAT, "SOF 2025/144")
    h.fake.set_member_status(EU_CHAT, MEMBER, "member")
    refused = (await say(h, MEMBER, EU_CHAT, "/avtal ny part Hela Människan 802000-1239"))[-1]
    assert "Bara partnerskapets administratör" in refused.plain
    bad = (await say(h, ADMIN, EU_CHAT, "/avtal ny part Hela Människan 802000-1238"))[-1]
    assert "kontrollsiffran stämmer inte" in bad.plain
    added = (await say(h, ADMIN, EU_CHAT, "/avtal ny part Hela Människan 8020001239"))[-1].plain
    assert "Hela Människan (802000-1239) · ansluten 3 december 2026" in added
    assert "Registrerat: Hela Människan (802000-1239) deltar från och med i dag." in added
    again = (await say(h, ADMIN, EU_CHAT, "/avtal ny part Hela Människan 802000-1239"))[-1]
    assert "redan part" in again.plain
    # The next import of the unchanged file keeps it.
    spec = load_partnership_file(EXAMPLES / "sof-2025-144.toml")
    assert _import(h, spec, dry_run=False) == [
        "party hela-manniskan: added in /avtal, not yet in the file"
    ]
