"""The activity report against its due date, through the real Application and the fake Bot API:
members whose activity has not submitted are reminded in their private chats (and the one who
submitted is not); the chair cannot compile with activities missing before the due date, and
from it compiles with one button, the missing named in the files; the reminders then stop.
Also 004's annual compilation with /rapport år from two half-years filled in through the bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from storage.db import transaction
from storage.reminders import Reminder, ReminderState
from storage.reports import ActivityReport
from tests.fakebot import FakeChat
from tests.test_report_flow import (  # noqa: F401  (env is a fixture)
    ADMIN,
    BF_SVG,
    CHAIR,
    FA,
    HASSELBY_FIGURES,
    NG,
    SG,
    SM,
    SSM,
    SVG,
    Env,
    _pdf_text,
    answer,
    choose,
    env,
    fill_simple,
    join,
    link,
    payload_of,
    status_links,
    sv,
)

CONVICTUS_FIGURES = {**HASSELBY_FIGURES, "hours": "1010"}  # planned hours from the annex


def private_texts(e: Env, user: Any, since: int) -> list[str]:
    return [m.plain for m in e.fake.sent[since:] if m.chat_id == user.id and m.text]


@pytest.mark.slow
async def test_reminders_in_private_and_compiling_without_the_missing_from_the_due_date(
    env: Env,  # noqa: F811
) -> None:
    e = env
    await link(e, SVG, "/koppla SOF 2025/144 samverkansgrupp")
    await link(e, SG, "/koppla SOF 2025/144 styrgrupp")
    for user in (CHAIR, FA, NG, SSM):
        await e.say(user, FakeChat.private(user), "/start")
    for user, party in ((CHAIR, "Convictus"), (FA, "Frälsningsarmén"), (NG, "Ny Gemenskap")):
        await join(e, SVG, user, party)
    await join(e, SVG, SSM, "Stadsmission")
    await e.say(ADMIN, SVG, "/ordforande @agneta_c")
    status = (await e.say(CHAIR, SVG, "/rapport"))[-1]
    links = {name.split(": ", 1)[1]: payload_of(url) for name, url in status_links(status).items()}
    await fill_simple(e, CHAIR, links["Mobil uppsökande verksamhet"], CONVICTUS_FIGURES)
    report_id = int(next(d for d in status.button_data() if d.startswith("rpu:")).split(":")[1])

    # Before the due date (30 May) the chair cannot compile with four activities missing: the
    # button is not offered, and a press from a stale client is refused.
    assert not any(d.startswith("rpc:") for d in status.button_data())
    toast, _ = await e.press(CHAIR, SVG, status, f"rpc:{report_id}", check=False)
    assert toast == sv(
        "Not every activity has submitted. Compiling with some missing is possible from the due "
        "date, {due}.",
        due="30 maj 2026",
    )

    # Day by day to the due date: the members whose activity has not submitted are reminded in
    # private, each of their own activities; the chair, whose activity submitted, is not.
    since = len(e.fake.sent)
    day = e.clock()
    while day < datetime(2026, 5, 30, 7, 0, tzinfo=UTC):
        day += timedelta(hours=12)
        e.clock.set(day)
        await e.drain()
    head = sv("Activity report {period}", period="").strip()
    reminded = {user.id: private_texts(e, user, since) for user in (CHAIR, FA, NG, SSM)}
    assert reminded[CHAIR.id] == [], reminded[CHAIR.id]
    for user, names in (
        (FA, ["Frälsningsarmén"]),
        (NG, ["Ny Gemenskap"]),
        (SSM, ["Mötesplats Vårberg", "Mötesplats Hässelby"]),
    ):
        texts = reminded[user.id]
        assert texts, f"{user.id} was not reminded"
        assert all("30 maj 2026" in t and "SOF 2025/144" in t for t in texts), texts
        assert all(name in texts[-1] for name in names), texts[-1]
        assert head.lower() in texts[-1].lower() or "verksamhetsrapport" in texts[-1].lower()

    # On the due date: Refresh shows the chair's button, which compiles without the missing.
    await e.press(CHAIR, SVG, status, f"rpu:{report_id}")
    compile_data = next(d for d in status.button_data() if d.startswith("rpc:"))
    before = len(e.fake.sent)
    toast, replies = await e.press(CHAIR, SVG, status, compile_data)
    notice = next(m.plain for m in replies if m.text and "Frälsningsarmén" in m.plain)
    assert "Ny Gemenskap" in notice and "Mötesplats Hässelby" in notice
    pdf = next(
        m.document_bytes
        for m in e.fake.sent[before:]
        if m.chat_id == SVG.id and (m.document_name or "").endswith(".pdf")
    )
    text = _pdf_text(pdf or b"").replace("\u00a0", " ")
    assert "1 av 5 verksamheter har skickat in sina siffror." in text
    assert (
        "Ej inskickat: Frälsningsarmén, Ny Gemenskap, Stockholms Stadsmission: Mötesplats "
        "Vårberg, Stockholms Stadsmission: Mötesplats Hässelby." in " ".join(text.split())
    )
    with transaction(e.services.session_factory) as s:
        assert s.exec(select(ActivityReport)).one().status == "compiled"
        # Compiled: nobody is reminded privately any more.
        waiting = s.exec(
            select(Reminder).where(
                Reminder.kind == "report.private_reminder",
                Reminder.state == ReminderState.PENDING,
            )
        ).all()
        assert waiting == []
    since = len(e.fake.sent)
    e.clock.set(datetime(2026, 6, 5, 9, 0, tzinfo=UTC))
    await e.drain()
    assert all(private_texts(e, user, since) == [] for user in (FA, NG, SSM))


async def fill_street_minds(e: Env, total: str, gender: str) -> None:
    replies = await e.say(SM, BF_SVG, "/rapport")  # (due reminders may follow it)
    status = next(m for m in reversed(replies) if status_links(m))
    (url,) = status_links(status).values()
    await e.say(SM, FakeChat.private(SM), f"/start {payload_of(url)}")
    await answer(e, SM, total)
    await answer(e, SM, gender)
    await answer(e, SM, "2")
    await choose(e, SM, "t:food")
    await answer(e, SM, "2")
    await choose(e, SM, "done")
    await answer(e, SM, "Bra halvår.")
    await choose(e, SM, "submit")


@pytest.mark.slow
async def test_the_annual_compilation_of_004_from_two_half_years(env: Env) -> None:  # noqa: F811
    e = env
    e.clock.set(datetime(2025, 7, 10, 9, 0, tzinfo=UTC))
    await link(e, BF_SVG, "/koppla SOF 2023/202 samverkansgrupp")
    await join(e, BF_SVG, SM, "Street Minds")
    await fill_street_minds(e, "40", "10 29 1")  # January–June 2025
    e.clock.set(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    await fill_street_minds(e, "45", "15 28 2")  # July–December 2025
    before = len(e.fake.sent)
    await e.say(SM, BF_SVG, "/rapport år")
    docs = {
        m.document_name: m.document_bytes
        for m in e.fake.sent[before:]
        if m.chat_id == BF_SVG.id and m.document_name
    }
    assert sorted(n.rsplit(".", 1)[1] for n in docs) == ["csv", "docx", "pdf", "xlsx"]
    assert all(n.startswith("arssammanstallning-SOF-2023-202-2025-01-2025-12") for n in docs)
    text = _pdf_text(next(v for k, v in docs.items() if k.endswith(".pdf")) or b"")
    text = " ".join(text.replace("\u00a0", " ").split())
    assert text.startswith("Årssammanställning januari–december 2025")
    assert "85" in text  # 40 + 45 reached
    # Each half-year's own words, named by its months.
    assert "januari–juni 2025: Bra halvår." in text and "juli–december 2025: Bra halvår." in text
    assert "Synpunkter och klagomål per tema" in text and "Mat 4" in text.replace("\n", " ")
    # Asked again: the year is compiled already.
    again = [m.plain for m in await e.say(SM, BF_SVG, "/rapport år")]
    assert sv("There is no ended year left to compile.") in again
