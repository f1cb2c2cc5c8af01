"""Issue 12's done-when, end to end through the fake Bot API: a SOF 2025/144 styrgrupp meeting
with Ştefan Łukasiewicz-Nguyễn as justerare and Frälsningsarmén with no registered member; the
final PDF is read as a registrator would (its text, its fonts, its XMP, a rendered page), the
final DOCX is Swedish, and /utdrag gives one paragraph with its justering block."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx

from fakeapi.models import FakeUser
from storage.models import ProtokollRecord
from tests.conftest import Harness
from tests.pdfcheck import fonts, pages_text, render_png, xmp
from tests.test_meetings_flow import (
    CHAIR,
    CITY,
    SG_CHAT,
    STADSMISSION,
    call_and_publish,
    join,
    press,
    say,
    setup_sg,
)
from tests.test_minutes_flow import MEETING_START, meeting_harness, rows  # noqa: F401

STEFAN = FakeUser(3010, "Stefan", "stefan_ln")  # the Telegram name; /namn gives the exact one
FULL_NAME = "Ştefan Łukasiewicz-Nguyễn"
PNG_DIR = Path("/tmp")


def ink(image: Any) -> tuple[int, int]:
    grey = image.convert("L")
    return grey.getextrema()[0], sum(grey.histogram()[:128])


async def held_and_closed(h: Harness) -> Any:
    """The meeting held with Ştefan as justerare; returns the justering message."""
    await setup_sg(h)
    await join(h, SG_CHAT, STEFAN, "Ny Gemenskap", CHAIR)
    await say(h, STEFAN, SG_CHAT, f"/namn {FULL_NAME}, samordnare")
    _preview, kallelse, _ics = await call_and_publish(h)
    meeting_id = int(kallelse.button_data()[0].split(":")[1])
    for user in (CHAIR, STADSMISSION, STEFAN):
        await press(h, user, SG_CHAT, kallelse.message_id, f"rv:{meeting_id}:y")
    h.clock.set(MEETING_START)
    await say(h, CHAIR, SG_CHAT, "/motesstart @stefan_ln")
    await say(h, STEFAN, SG_CHAT, "/anteckning Łódź och Ålund nämndes som exempel.")
    await say(h, CHAIR, SG_CHAT, "/nasta")
    await say(h, CHAIR, SG_CHAT, "/beslut Lägesrapporten godkänns.")
    await say(h, CHAIR, SG_CHAT, "/nasta")
    await say(
        h, CHAIR, SG_CHAT, "/beslut [mindre revidering Convictus] Convictus tar över kvällspasset."
    )
    before = len(h.fake.sent)
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    return [m for m in h.fake.sent[before:] if m.chat_id == SG_CHAT.id][-1]


async def test_a_protokoll_a_registrator_files_as_it_is(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    panel = await held_and_closed(h)
    approve = next(d for d in panel.button_data() if d.endswith(":a"))
    await press(h, CHAIR, SG_CHAT, panel.message_id, approve)
    # The justerare approves four days later, at 10.30 in Stockholm: the date on the block.
    h.clock.set(datetime(2026, 12, 14, 9, 30, tzinfo=UTC))
    before = len(h.fake.sent)
    await press(h, STEFAN, SG_CHAT, panel.message_id, approve)
    final = rows(h, ProtokollRecord)[-1]
    assert final.status == "final"
    files = {
        (m.document_name or "").rsplit(".", 1)[-1]: m
        for m in h.fake.sent[before:]
        if m.document_name
    }
    assert sorted(files) == ["docx", "pdf"]
    assert files["pdf"].document_name.startswith("protokoll-")  # type: ignore[union-attr]
    pdf = files["pdf"].document_bytes or b""
    word = files["docx"].document_bytes or b""

    # What the registrator reads on the pages.
    pages = pages_text(pdf)
    text = " ".join(pages)
    assert FULL_NAME in text and "Łódź och Ålund" in text
    assert (
        f"Justerat digitalt 2026-12-14 kl. 10.30 av {FULL_NAME} (justerare) och Agneta (ordförande)"
    ) in text
    numbers = [int(n) for n in re.findall(r"§ (\d+) ", text)]
    assert f"Paragrafer: §§ {min(numbers)}–{max(numbers)}" in text
    assert f"SHA-256: {final.content_hash}" in text and "Version: 1" in text
    assert "Utkast" not in text and "UTKAST" not in text
    # Every party, the one without a registered member too, and the beslutförhet line.
    for party in ("Convictus", "Stockholms Stadsmission", "Ny Gemenskap", "Frälsningsarmén"):
        assert party in text, party
    assert "Frälsningsarmén ej representerad" in text
    assert re.search(r"\d av 5 parter var närvarande", text)
    # The standard paragraphs, written by the bot in protokoll Swedish.
    for line in (
        "Ordföranden förklarade mötet öppnat.",
        f"Till justerare valdes {FULL_NAME}.",
        "Dagordningen godkändes.",
        "Ordföranden förklarade mötet avslutat kl.",
    ):
        assert line in text, line
    # The archive format: every font embedded, PDF/A-2u declared in the XMP, in Swedish.
    used = fonts(pdf)
    assert used and all(embedded for _name, embedded in used), used
    meta = xmp(pdf)
    assert "<pdfaid:part>2</pdfaid:part>" in meta and "<pdfaid:conformance>U" in meta
    assert "<dc:identifier>SOF 2025/144</dc:identifier>" in meta and "sv-SE" in meta

    # A page as the registrator sees it: ink, nothing outside the margins.
    for index in range(len(pages)):
        image = render_png(pdf, index, PNG_DIR / f"protokoll-e2e-final-{index + 1}.png")
        width, height = image.size  # type: ignore[attr-defined]
        darkest, dark = ink(image)
        assert darkest < 60 and dark > 2000, index
        assert ink(image.crop((0, 0, int(width * 0.05), height)))[1] == 0  # type: ignore[attr-defined]
        assert ink(image.crop((int(width * 0.95), 0, width, height)))[1] == 0  # type: ignore[attr-defined]

    # The Word file: Swedish on styles and runs, the same justering block.
    with zipfile.ZipFile(io.BytesIO(word)) as z:
        xml = z.read("word/styles.xml").decode() + z.read("word/document.xml").decode()
    assert set(re.findall(r'<w:lang w:val="([^"]+)"', xml)) == {"sv-SE"}
    document = docx.Document(io.BytesIO(word))
    cells = " ".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert f"av {FULL_NAME} (justerare) och Agneta (ordförande)" in cells

    # /utdrag: one paragraph with the justering block.
    before = len(h.fake.sent)
    await say(h, CITY, SG_CHAT, "/utdrag SG 2026:1")
    (extract,) = [m for m in h.fake.sent[before:] if m.document_name]
    data = extract.document_bytes or b""
    extract_text = " ".join(pages_text(data))
    assert "PROTOKOLLSUTDRAG" in extract_text and "Lägesrapporten godkänns." in extract_text
    assert len(re.findall(r"§ \d+ ", extract_text)) == 1
    assert f"av {FULL_NAME} (justerare)" in extract_text and final.content_hash in extract_text
    assert all(embedded for _name, embedded in fonts(data))
    render_png(data, 0, PNG_DIR / "protokoll-e2e-extract.png")
