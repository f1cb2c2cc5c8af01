"""The half-yearly verksamhetsrapport end to end, through the real Application, the fake Bot API
and a real database: /rapport by the chair, deep links into private chats, every organisation
of SOF 2025/144 filling in its figures (bad values refused, one correction, a restart in the
middle), automatic compilation into PDF/DOCX/CSV/XLSX checked in their extracted text, a chart
page rendered and looked at, the chair's button sending it to the styrgrupp and meeting the
deadline; Street Minds under SOF 2023/202; budgets and a financial report marked submitted."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy
import pypdfium2 as pdfium
import pytest
import pytest_asyncio
from docx import Document as DocxDocument
from sqlmodel import col, select

from bot.app import build_application, make_services
from delivery.dispatcher import ReminderDispatcher, get_dispatcher
from i18n import t
from storage.db import transaction
from storage.deadline_facts import DeadlineMet
from storage.reminders import Reminder, ReminderState
from storage.reports import ActivityReport, EntryState, ReportEntry
from tests import conftest
from tests.conftest import FakeClock, TrackingProcessor, import_example
from tests.fakebot import FakeChat, FakeUser
from tests.fakebot.html import plain_text

ADMIN = FakeUser(9001, "Åsa", "asa_admin")
CHAIR = FakeUser(9002, "Agneta", "agneta_c")  # Convictus, chair of the samverkansgrupp
FA = FakeUser(9003, "Filip", "filip_fa")  # Frälsningsarmén
NG = FakeUser(9004, "Nora", "nora_ng")  # Ny Gemenskap
SSM = FakeUser(9005, "Bertil", "bertil_s")  # Stockholms Stadsmission: Vårberg and Hässelby
SM = FakeUser(9006, "Sara", "sara_sm")  # Street Minds
STRANGER = FakeUser(9007, "Sven", "sven_x")
SVG = FakeChat(-9101, "group", "Samverkansgrupp EU")
SG = FakeChat(-9102, "group", "Styrgrupp EU")
BF_SVG = FakeChat(-9103, "group", "Samverkansgrupp Bostad Först")
MAY_20 = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)


def sv(msgid: str, **params: object) -> str:
    text = t("sv", msgid)
    return plain_text(text.format(**params) if params else text, "HTML")


def head(msgid: str) -> str:
    return plain_text(t("sv", msgid).split("{")[0], "HTML").strip()


@dataclass
class Env:
    fake: Any
    tmp: Path
    clock: FakeClock
    app: Any = None
    services: Any = None
    processor: TrackingProcessor | None = None

    async def start(self) -> None:
        settings = conftest.make_settings(
            f"sqlite:///{self.tmp / 'bot.sqlite3'}", self.fake.base_url
        )
        settings.rate_limit_group_per_minute = 100_000
        self.services = make_services(settings, clock=self.clock)
        self.processor = TrackingProcessor()
        self.app = build_application(settings, self.services, update_processor=self.processor)
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)
        await self.app.start()
        await self.app.updater.start_polling(
            poll_interval=0,
            timeout=1,
            allowed_updates=["message", "callback_query", "my_chat_member"],
        )

    async def stop(self) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()
        self.services.engine.dispose()

    async def drain(self) -> None:
        """Everything the outbox holds that is due goes out (files are drawn in a worker
        thread by whichever run claimed them); a retry's back-off is waited out on the clock."""
        dispatcher = get_dispatcher(self.app.bot_data) or ReminderDispatcher(
            self.app.bot, self.services
        )
        for _ in range(400):
            await dispatcher.run_once()
            await self.fake.wait_until_idle()
            now = self.clock()
            with transaction(self.services.session_factory) as s:
                busy = s.exec(
                    select(Reminder).where(
                        Reminder.due_at <= now,  # type: ignore[operator]
                        col(Reminder.state).in_([ReminderState.PENDING, ReminderState.CLAIMED]),
                    )
                ).all()
            if not busy:
                return
            later = [
                r.next_attempt_at for r in busy if r.next_attempt_at and r.next_attempt_at > now
            ]
            if later and all(r.state == ReminderState.PENDING for r in busy):
                self.clock.set(min(later))
            await asyncio.sleep(0.05)
        raise AssertionError("the outbox did not drain")

    async def settle(self, update: dict[str, Any]) -> None:
        assert self.processor is not None
        await self.processor.wait_done(update["update_id"])
        await self.fake.wait_until_idle()
        await self.drain()

    async def say(self, user: FakeUser, chat: FakeChat, text: str) -> list[Any]:
        before = len(self.fake.sent)
        await self.settle(self.fake.send_text(user, chat, text))
        return [m for m in self.fake.sent[before:] if m.chat_id == chat.id]

    async def press(
        self, user: FakeUser, chat: FakeChat, message: Any, data: str, *, check: bool = True
    ) -> tuple[str, list[Any]]:
        before_answers = len(self.fake.callback_answers)
        before = len(self.fake.sent)
        await self.settle(self.fake.press(user, message, chat, data, check_button=check))
        answers = self.fake.callback_answers[before_answers:]
        return (str(answers[-1].get("text", "")) if answers else ""), [
            m for m in self.fake.sent[before:] if m.chat_id == chat.id
        ]


@pytest_asyncio.fixture
async def env(fake_telegram: Any, tmp_path: Path) -> AsyncIterator[Env]:
    clock = FakeClock(MAY_20)
    seed = make_services(
        conftest.make_settings(f"sqlite:///{tmp_path / 'bot.sqlite3'}"), clock=clock
    )
    import_example(seed, "sof-2025-144.toml")
    import_example(seed, "sof-2023-202.toml")
    seed.engine.dispose()
    environment = Env(fake=fake_telegram, tmp=tmp_path, clock=clock)
    await environment.start()
    try:
        yield environment
    finally:
        await environment.stop()


async def join(e: Env, chat: FakeChat, user: FakeUser, party: str) -> None:
    request = (await e.say(user, chat, f"/jag {party}"))[-1]
    await e.press(ADMIN, chat, request.message_id, request.button_data()[0])


async def link(e: Env, chat: FakeChat, text: str) -> None:
    e.fake.add_chat(chat)
    e.fake.set_member_status(chat, ADMIN, "administrator")
    await e.say(ADMIN, chat, text)


def last_private(e: Env, user: FakeUser) -> Any:
    return e.fake.last(user.id)


async def answer(e: Env, user: FakeUser, text: str) -> str:
    replies = await e.say(user, FakeChat.private(user), text)
    assert replies, f"no answer to {text!r}"
    return replies[-1].plain


async def choose(e: Env, user: FakeUser, choice: str) -> tuple[str, str]:
    """Press the form's button whose data ends with `choice` on the latest form message."""
    chat = FakeChat.private(user)
    message = next(
        m
        for m in reversed(e.fake.messages_in(user.id))
        if any(d.endswith(f":{choice}") for d in m.button_data())
    )
    data = next(d for d in message.button_data() if d.endswith(f":{choice}"))
    toast, replies = await e.press(user, chat, message, data)
    return toast, replies[-1].plain if replies else ""


def payload_of(url: str) -> str:
    match = re.fullmatch(r"https://t\.me/iop_test_bot\?start=([A-Za-z0-9_-]{1,64})", url)
    assert match, url
    return match.group(1)


def status_links(message: Any) -> dict[str, str]:
    return {b["text"]: b["url"] for b in message.buttons() if "url" in b}


def entries(e: Env) -> dict[str, ReportEntry]:
    with transaction(e.services.session_factory) as s:
        return {r.unit_name: r for r in s.exec(select(ReportEntry)).all()}


async def fill_convictus(e: Env, start: str) -> None:
    me = FakeChat.private(CHAIR)
    replies = await e.say(CHAIR, me, f"/start {start}")
    assert "Mobil uppsökande verksamhet" in replies[-1].plain
    assert "1/9" in replies[-1].plain
    # Negative: refused, nothing changed.
    text = await answer(e, CHAIR, "-5")
    assert sv("Numbers cannot be negative. Nothing was changed.") in text and "1/9" in text
    assert "2/9" in await answer(e, CHAIR, "1 240")
    # The genders do not add up to the total: refused with the sum shown.
    text = await answer(e, CHAIR, "800 410 18")
    assert "800 + 410 + 18 = 1228" in text and "1240" in text and "2/9" in text
    assert "3/9" in await answer(e, CHAIR, "812 410 18")
    # An unknown country refuses the whole message.
    text = await answer(e, CHAIR, "Rumänien 640\nGondor 3")
    assert '"Gondor"' in text and "Rumänien: 640" not in text
    text = await answer(
        e, CHAIR, "Rumänien 640\nBulgarein 310\nPolen 60\nUngern 44\nSlovakien 30\nMoldova 26"
    )
    assert "Rumänien: 640" in text and "Bulgarien: 310" in text and "Moldavien: 26" in text
    _toast, text = await choose(e, CHAIR, "done")
    assert "130" in text and "4/9" in text  # 130 with origin not stated
    assert "5/9" in await answer(e, CHAIR, "0 260 540 340 70 30")
    _toast, text = await choose(e, CHAIR, "none")
    assert "6/9" in text and "1\u00a0032" in text  # planned by the annex: 129 weekdays × 8 h
    assert "7/9" in await answer(e, CHAIR, "1010")
    assert "8/9" in await answer(e, CHAIR, "3")
    await choose(e, CHAIR, "t:treatment")
    await answer(e, CHAIR, "2")
    await choose(e, CHAIR, "t:information")
    text = await answer(e, CHAIR, "1")
    _toast, text = await choose(e, CHAIR, "done")
    assert "9/9" in text
    # A personnummer is refused before the form sees it, and nothing is stored.
    refused = await answer(e, CHAIR, "Besökaren 19850612-1238 behövde hjälp")
    assert "personnummer" in refused
    assert "19850612" not in str(entries(e)["Mobil uppsökande verksamhet"].form)
    # Data about an individual, without a number, is refused by the form itself.
    refused = await answer(e, CHAIR, "Maria, 34 år, kom varje morgon")
    assert (
        head(
            "That reads as data about an individual ({what}). The report holds aggregated figures only, so nothing was recorded. Please write it again without it."
        )
        in refused
    )
    summary = await answer(
        e, CHAIR, "Uppsöken kl 08–16 räckte väl; fler kvinnor nåddes på morgonen."
    )
    assert sv("Summary") in summary and "1\u00a0240" in summary
    _toast, text = await choose(e, CHAIR, "submit")
    assert (
        sv("Submitted. You can correct the figures until the report is compiled: press Change.")
        in text
    )


async def fill_simple(e: Env, user: FakeUser, start: str, figures: dict[str, str]) -> None:
    await e.say(user, FakeChat.private(user), f"/start {start}")
    await answer(e, user, figures["total"])
    await answer(e, user, figures["gender"])
    await answer(e, user, figures["countries"])
    await choose(e, user, "done")
    await answer(e, user, figures["age"])
    if figures.get("night"):
        await answer(e, user, figures["night"])
    else:
        await choose(e, user, "none")
    await answer(e, user, figures["hours"])
    await answer(e, user, figures["complaints"])
    for theme, count in figures.get("themes", {}).items():
        await choose(e, user, f"t:{theme}")
        await answer(e, user, count)
    if figures["complaints"] != "0":
        await choose(e, user, "done")
    if figures.get("needs"):
        await answer(e, user, figures["needs"])
    else:
        await choose(e, user, "skip")
    _toast, text = await choose(e, user, "submit")
    assert (
        sv("Submitted. You can correct the figures until the report is compiled: press Change.")
        in text
    )


FA_FIGURES = {
    "total": "2100",
    "gender": "420 1650 30",
    "countries": "Rumänien 1200\nBulgarien 520\nPolen 110\nLitauen 40\nLettland 35\nUngern 60",
    "age": "0 380 900 640 150 30",
    "night": "5430 5212 288",
    "hours": "1548 1548",
    "complaints": "5",
    "themes": {"night_places": "3", "food": "1", "other": "1"},
    "needs": "Nattplatserna räckte inte under januari och februari.",
}
NG_FIGURES = {
    "total": "860",
    "gender": "160 690 10",
    "countries": "Rumänien 500\nBulgarien 140\nSerbien 40\nUkraina 38\nEstland 12\nTjeckien 14",
    "age": "0 120 400 260 60 20",
    "night": "3620 3480 120",
    "hours": "774 760",
    "complaints": "0",
}
VARBERG_FIGURES = {
    "total": "1500",
    "gender": "450 1030 20",
    "countries": "Rumänien 900\nBulgarien 300\nPolen 90\nUngern 50\nItalien 30",
    "age": "0 300 700 400 80 20",
    "hours": "401",
    "complaints": "2",
    "themes": {"food": "2"},
    "needs": "Duschar och tvätt efterfrågades mest.",
}
HASSELBY_FIGURES = {
    "total": "980",
    "gender": "300 670 10",
    "countries": "Rumänien 560\nBulgarien 200\nPolen 70\nSlovakien 25",
    "age": "0 180 450 290 50 10",
    "hours": "413",
    "complaints": "1",
    "themes": {"premises": "1"},
}
# Over the five activities: 1240 + 2100 + 860 + 1500 + 980.
TOTAL = 6680
TOP_TEN = [
    ("Rumänien", 3800),
    ("Bulgarien", 1470),
    ("Polen", 330),
    ("Ungern", 154),
    ("Slovakien", 55),
    ("Litauen", 40),
    ("Serbien", 40),
    ("Ukraina", 38),
    ("Lettland", 35),
    ("Italien", 30),
]


def _pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def _in_order(text: str, names: list[str]) -> bool:
    positions = [text.find(name) for name in names]
    return all(p >= 0 for p in positions) and positions == sorted(positions)


@pytest.mark.slow
async def test_the_half_yearly_report_end_to_end(env: Env, tmp_path: Path) -> None:
    e = env
    await link(e, SVG, "/koppla SOF 2025/144 samverkansgrupp")
    await link(e, SG, "/koppla SOF 2025/144 styrgrupp")
    for user, party in (
        (CHAIR, "Convictus"),
        (FA, "Frälsningsarmén"),
        (NG, "Ny Gemenskap"),
        (SSM, "Stadsmission"),
    ):
        await join(e, SVG, user, party)
    await join(e, SG, CHAIR, "Convictus")
    assert "Agneta" in (await e.say(ADMIN, SVG, "/ordforande @agneta_c"))[-1].plain
    await e.say(ADMIN, SG, "/ordforande @agneta_c")

    # Only the chair opens the report (001 §4: the samverkansgrupp's chair is responsible).
    refused = (await e.say(FA, SVG, "/rapport"))[-1].plain
    assert refused == sv("Only the chair of the samverkansgrupp opens the activity report.")
    status = (await e.say(CHAIR, SVG, "/rapport"))[-1]
    assert "november 2025–april 2026" in status.plain and "SOF 2025/144" in status.plain
    links = status_links(status)
    assert len(links) == 5
    payloads = {name.split(": ", 1)[1]: payload_of(url) for name, url in links.items()}
    assert set(payloads) == {
        "Mobil uppsökande verksamhet", "Frälsningsarmén", "Ny Gemenskap",
        "Mötesplats Vårberg", "Mötesplats Hässelby",
    }  # fmt: skip
    assert "0 av 5" in status.plain or "0 of 5" in status.plain

    # Someone who does not answer for an activity is refused.
    refused = (
        await e.say(STRANGER, FakeChat.private(STRANGER), f"/start {payloads['Ny Gemenskap']}")
    )[-1].plain
    assert (
        sv(
            "This form is filled in by a confirmed member of the samverkansgrupp for {party}.",
            party="Ny Gemenskap",
        )
        in refused
    )
    refused = (await e.say(FA, FakeChat.private(FA), f"/start {payloads['Ny Gemenskap']}"))[
        -1
    ].plain
    assert "Ny Gemenskap" in refused

    await fill_convictus(e, payloads["Mobil uppsökande verksamhet"])
    # The status message in the group follows.
    assert "✅" in status.plain  # the status message was edited in place (1 of 5 submitted)
    assert "1 av 5" in status.plain or "1 of 5" in status.plain

    # One correction after submitting: the hours.
    await choose(e, CHAIR, "edit:hours")
    summary = await answer(e, CHAIR, "1020")
    assert "1\u00a0020" in summary
    _toast, text = await choose(e, CHAIR, "submit")
    assert (
        sv("Submitted. You can correct the figures until the report is compiled: press Change.")
        in text
    )
    assert entries(e)["Mobil uppsökande verksamhet"].figures["hours"] == {
        "planned": 1032,
        "held": 1020,
    }  # type: ignore[index]

    # Frälsningsarmén starts, the bot restarts in the middle, the form goes on where it was.
    await e.say(FA, FakeChat.private(FA), f"/start {payloads['Frälsningsarmén']}")
    await answer(e, FA, FA_FIGURES["total"])
    await answer(e, FA, FA_FIGURES["gender"])
    await e.stop()
    await e.start()
    text = await answer(e, FA, FA_FIGURES["countries"])
    assert "Rumänien: 1\u00a0200" in text
    await choose(e, FA, "done")
    await answer(e, FA, FA_FIGURES["age"])
    await answer(e, FA, FA_FIGURES["night"])
    await answer(e, FA, FA_FIGURES["hours"])
    await answer(e, FA, FA_FIGURES["complaints"])
    for theme, count in FA_FIGURES["themes"].items():  # type: ignore[union-attr]
        await choose(e, FA, f"t:{theme}")
        await answer(e, FA, count)
    await choose(e, FA, "done")
    await answer(e, FA, FA_FIGURES["needs"])  # type: ignore[arg-type]
    await choose(e, FA, "submit")

    await fill_simple(e, NG, payloads["Ny Gemenskap"], NG_FIGURES)  # type: ignore[arg-type]
    await fill_simple(e, SSM, payloads["Mötesplats Vårberg"], VARBERG_FIGURES)  # type: ignore[arg-type]
    assert entries(e)["Mötesplats Hässelby"].state == EntryState.NOT_STARTED
    await fill_simple(e, SSM, payloads["Mötesplats Hässelby"], HASSELBY_FIGURES)  # type: ignore[arg-type]

    # The last submission compiled the report: the files are in the samverkansgrupp.
    docs = {
        m.document_name: m.document_bytes for m in e.fake.messages_in(SVG.id) if m.document_name
    }
    names = sorted(docs)
    assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "docx", "pdf", "xlsx"]
    pdf_bytes = next(v for k, v in docs.items() if k.endswith(".pdf"))
    text = _pdf_text(pdf_bytes)
    assert "6 680" in text.replace("\u00a0", " ")
    assert _in_order(text, [name for name, _ in TOP_TEN]), text
    assert "Okänt ursprungsland" in text
    docx_text = "\n".join(
        [
            p.text
            for p in DocxDocument(
                io.BytesIO(next(v for k, v in docs.items() if k.endswith(".docx")))
            ).paragraphs
        ]
        + [
            cell.text
            for table in DocxDocument(
                io.BytesIO(next(v for k, v in docs.items() if k.endswith(".docx")))
            ).tables
            for row in table.rows
            for cell in row.cells
        ]
    )
    assert "6\u00a0680" in docx_text
    assert _in_order(docx_text, [name for name, _ in TOP_TEN])
    csv_text = next(v for k, v in docs.items() if k.endswith(".csv")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    top = [(r[3], int(r[4])) for r in rows if re.match(r"\d+\. ", r[3])]
    assert [(label.split(". ", 1)[1], n) for label, n in top] == TOP_TEN
    assert [
        int(r[4]) for r in rows if r[0] == sv("Key figures") and r[3] == sv("Visitors, total")
    ] == [TOTAL]
    with zipfile.ZipFile(
        io.BytesIO(next(v for k, v in docs.items() if k.endswith(".xlsx")))
    ) as book:
        assert "Rumänien" in book.read("xl/sharedStrings.xml").decode()

    # A chart page, rendered and looked at: the country chart's bars are drawn in the report's
    # blue, on the page that lists the countries.
    pdf = pdfium.PdfDocument(pdf_bytes)

    def blue_pixels(index: int) -> int:
        pixels = numpy.asarray(pdf[index].render(scale=1.0).to_pil().convert("RGB")).astype(int)
        close = (abs(pixels - numpy.array([0x1F, 0x5A, 0x96])) < 16).all(axis=2)
        return int(close.sum())

    table_page = next(
        i
        for i in range(len(pdf))
        if "Okänt ursprungsland" in pdf[i].get_textpage().get_text_range()
    )
    # The chart follows the table: on its page, or the next when the page was full.
    chart_page = max((table_page, table_page + 1), key=blue_pixels)
    pdf[chart_page].render(scale=1.5).to_pil().save(tmp_path / "chart-page.png")
    assert blue_pixels(chart_page) > 3000
    pdf.close()

    # The chair's button sends it on; a member's press is refused.
    prompt = next(
        m
        for m in reversed(e.fake.messages_in(SVG.id))
        if any(d.startswith("rps:") for d in m.button_data())
    )
    data = prompt.button_data()[0]
    toast, _ = await e.press(FA, SVG, prompt, data)
    assert toast == sv("Only the chair sends the report on to the styrgrupp.")
    toast, _ = await e.press(CHAIR, SVG, prompt, data)
    assert toast == sv("Sent to the styrgrupp.")
    sg_docs = [m.document_name for m in e.fake.messages_in(SG.id) if m.document_name]
    assert sorted(sg_docs) == names
    with transaction(e.services.session_factory) as s:
        met = [m.key for m in s.exec(select(DeadlineMet)).all()]
        assert "activity_report:2025-11..2026-04" in met
        report = s.exec(select(ActivityReport)).one()
        assert report.status == "sent"
        open_reminders = s.exec(
            select(Reminder).where(
                Reminder.source.startswith("deadline:"),  # type: ignore[attr-defined]
                Reminder.source.endswith("activity_report:2025-11..2026-04"),  # type: ignore[attr-defined]
                Reminder.state == ReminderState.PENDING,
            )
        ).all()
        assert open_reminders == []
    # The button is gone; a replayed press (a stale client) changes nothing.
    toast, _ = await e.press(CHAIR, SVG, prompt, data, check=False)
    assert toast == sv("This report was already sent to the styrgrupp.")
    assert sorted(m.document_name for m in e.fake.messages_in(SG.id) if m.document_name) == names


@pytest.mark.slow
async def test_street_minds_under_004_and_the_budgets(env: Env) -> None:
    e = env
    await link(e, BF_SVG, "/koppla SOF 2023/202 samverkansgrupp")
    await join(e, BF_SVG, SM, "Street Minds")
    # 004: the body is responsible, so a member opens it; the half-year July–December 2025.
    status = (await e.say(SM, BF_SVG, "/rapport"))[-1]
    assert "juli–december 2025" in status.plain
    (url,) = status_links(status).values()
    replies = await e.say(SM, FakeChat.private(SM), f"/start {payload_of(url)}")
    assert "1/5" in replies[-1].plain
    assert (
        sv("How many did the open activity reach during the period? Write a number.")
        in replies[-1].plain
    )
    await answer(e, SM, "80")
    text = await answer(e, SM, "20 58 3")
    assert "20 + 58 + 3 = 81" in text
    await answer(e, SM, "20 58 2")
    await answer(e, SM, "2")
    await choose(e, SM, "t:treatment")
    await answer(e, SM, "2")
    await choose(e, SM, "done")
    await choose(e, SM, "skip")
    _toast, text = await choose(e, SM, "submit")
    docs = {
        m.document_name: m.document_bytes for m in e.fake.messages_in(BF_SVG.id) if m.document_name
    }
    assert len(docs) == 4
    pdf_text = _pdf_text(next(v for k, v in docs.items() if k.endswith(".pdf")))
    assert "Street Minds" in pdf_text or "Öppen verksamhet" in pdf_text
    assert "80" in pdf_text

    # Budgets in the SOF 2025/144 groups, and a financial report marked submitted.
    await link(e, SVG, "/koppla SOF 2025/144 samverkansgrupp")
    await join(e, SVG, CHAIR, "Convictus")
    await e.say(ADMIN, SVG, "/ordforande @agneta_c")
    e.clock.set(datetime(2026, 6, 10, 10, 0, tzinfo=UTC))
    overview = (await e.say(CHAIR, SVG, "/rapport ekonomi"))[-1]
    plain = overview.plain.replace("\u00a0", " ")
    for line in (
        "Personal (lön inkl. OB)",
        "2 150 000",
        "500 000",
        "350 000",
        "3 000 000",
        "1 530 000",
    ):
        assert line in plain, line
    button = next(d for d in overview.button_data() if d.startswith("rpe:"))
    toast, _ = await e.press(STRANGER, SVG, overview, button)
    assert toast == sv(
        "Only the administrator, the chair or a member for {party} can mark this.",
        party="Convictus",
    )
    toast, _ = await e.press(CHAIR, SVG, overview, button)
    assert sv("Marked as submitted: {party}.", party="Convictus") in toast
    with transaction(e.services.session_factory) as s:
        keys = [m.key for m in s.exec(select(DeadlineMet)).all()]
    assert any(k.startswith("financial_report:") and k.endswith(":2026") for k in keys)
