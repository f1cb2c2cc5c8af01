"""Minutes (protokoll): model, canonical JSON and hash, and the three renderers."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import docx
import pypdfium2 as pdfium
import pytest

from governance.protokoll import (
    ActionItem,
    Attendance,
    DecisionKind,
    DecisionLine,
    JusteringStamp,
    Paragraph,
    Protokoll,
    canonical_json,
    content_hash,
    document_view,
    from_canonical_json,
    labels,
    lock,
    start_amendment,
    verify,
)
from governance.textsplit import utf16_len, visible_len, visible_text
from tests.pdfcheck import fonts, xmp
from views.protokoll import to_docx, to_pdf, to_telegram_html
from views.protokoll_pdf import pdf_safe


def make(**changes: object) -> Protokoll:
    p = Protokoll(
        body_name="Styrgruppen",
        partnership_name="IOP Stöd till EU-medborgare i utsatthet",
        diarienummer="SOF 2025/144",
        meeting_number="SG 2026:3",
        date=date(2026, 3, 12),
        start_time="13.00",
        end_time="15.00",
        place="Socialförvaltningen, Swedenborgsgatan 20",
        chair="Anna Lindqvist",
        minute_taker="Björn Åkesson",
        justerare=("Ștefan Ionescu",),
        present_by_party=(
            Attendance("Stockholms stad", ("Anna Lindqvist", "Björn Åkesson")),
            Attendance("Convictus", ("Ștefan Ionescu",)),
            Attendance("Stockholms Stadsmission", ("Karin Ek",)),
        ),
        absent_by_party=(Attendance("Frälsningsarmén", ("Per Olsson",)),),
        items=(
            Paragraph(1, "Mötets öppnande", ("Ordföranden öppnade mötet.",)),
            Paragraph(
                2,
                "Val av justerare",
                ("Förslag: Ștefan Ionescu.",),
                (DecisionLine("SG 2026:6", "Att utse Ștefan Ionescu till justerare."),),
            ),
            Paragraph(
                3,
                "Öppettider <bilaga 2> & nattplatser",
                ("Diskussion om fördelningen av nattplatser.",),
                (
                    DecisionLine(
                        "SG 2026:7",
                        "Öppettiderna ändras till vardagar 08–16.",
                        DecisionKind.REVISION_MINOR,
                    ),
                ),
            ),
        ),
        action_items=(
            ActionItem("Karin Ek", date(2026, 4, 1), "Statistik per kön och ursprungsland."),
            ActionItem("Ștefan Ionescu", None, "Skicka reviderad bilaga.", "done"),
        ),
    )
    return replace(p, **changes)  # type: ignore[arg-type]


def long_protokoll(paragraphs: int = 30) -> Protokoll:
    items = tuple(
        Paragraph(
            n,
            f"Ärende nummer {n} om åtaganden",
            ("Styrgruppen diskuterade läget i verksamheten och öppettiderna. " * 12,),
            (DecisionLine(f"SG 2026:{n + 10}", f"Beslut i ärende {n}."),),
        )
        for n in range(1, paragraphs + 1)
    )
    return make(items=items)


# --- canonical JSON and hash -------------------------------------------------------------------


def test_hash_is_stable_across_runs() -> None:
    # Pinned: if this changes, hashes stored with locked minutes could no longer be verified.
    assert content_hash(make()) == (
        "02f4b31a80e0fc5370bd97a453ee10e526e15c7c729ab8934351ff939e36fa0f"
    )


@pytest.mark.slow
def test_hash_does_not_depend_on_the_hash_seed() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.path.insert(0, 'tests'); from test_protokoll import make; "
        "from governance.protokoll import content_hash; print(content_hash(make()))"
    )
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=str(__import__("pathlib").Path(__file__).parent.parent),
        )
        assert result.stdout.strip() == content_hash(make())


def test_canonical_json_is_sorted_compact_and_iso() -> None:
    text = canonical_json(make())
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert data["date"] == "2026-03-12"
    assert data["action_items"][0]["due"] == "2026-04-01"
    assert data["action_items"][1]["due"] is None
    assert "Ștefan" in text  # not \u-escaped


def test_canonical_json_round_trips() -> None:
    for p in (make(), lock(make()), make(amendment_of="abc", action_items=())):
        again = from_canonical_json(canonical_json(p))
        assert again == p
        assert canonical_json(again) == canonical_json(p)


def test_lists_are_accepted_and_equal_to_tuples() -> None:
    p = make(justerare=["Ștefan Ionescu"], present_by_party=list(make().present_by_party))
    assert p == make()
    assert content_hash(p) == content_hash(make())


def test_unknown_format_and_status_are_refused() -> None:
    data = json.loads(canonical_json(make()))
    data["format"] = 99
    with pytest.raises(ValueError):
        from_canonical_json(json.dumps(data))
    with pytest.raises(ValueError):
        make(status="approved")


@pytest.mark.parametrize(
    "change",
    [
        {"date": date(2026, 3, 13)},
        {"place": "Digitalt"},
        {"justerare": ("Karin Ek",)},
        {"present_by_party": tuple(reversed(make().present_by_party))},
        {"absent_by_party": ()},
        {"amendment_of": "x"},
        {
            "action_items": (
                ActionItem("Karin Ek", date(2026, 4, 2), "Statistik per kön och ursprungsland."),
            )
        },
        {"items": make().items[:2]},
        {
            "items": (
                *make().items[:2],
                replace(
                    make().items[2],
                    decisions=(replace(make().items[2].decisions[0], kind="ordinary"),),
                ),
            )
        },
        {
            "items": (
                replace(make().items[0], notes=("Ordföranden öppnade mötet!",)),
                *make().items[1:],
            )
        },
    ],
)
def test_hash_changes_when_content_changes(change: dict[str, object]) -> None:
    assert content_hash(make(**change)) != content_hash(make())


def test_hash_ignores_status_and_the_stored_hash() -> None:
    draft = make()
    assert content_hash(lock(draft)) == content_hash(draft)
    assert content_hash(replace(draft, locked_hash="0" * 64)) == content_hash(draft)


def test_hash_is_sha256_of_the_documented_recipe() -> None:
    import hashlib

    data = json.loads(canonical_json(lock(make())))
    del data["status"], data["locked_hash"]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert content_hash(make()) == hashlib.sha256(text.encode()).hexdigest()


# --- lock, verify, amend -----------------------------------------------------------------------


def test_lock_and_verify() -> None:
    draft = make()
    assert not verify(draft)
    final = lock(draft, approved_hash=content_hash(draft))
    assert final.status == "final" and final.locked_hash == content_hash(draft)
    assert verify(final)
    assert verify(from_canonical_json(canonical_json(final)))
    tampered = replace(final, place="Någon annanstans")
    assert not verify(tampered)
    with pytest.raises(ValueError):
        lock(tampered)


def test_lock_refuses_content_changed_after_approval() -> None:
    approved = content_hash(make())
    with pytest.raises(ValueError):
        lock(make(place="Digitalt"), approved_hash=approved)


def test_amendment_is_a_new_linked_draft() -> None:
    final = lock(make())
    amendment = start_amendment(final)
    assert amendment.status == "draft" and amendment.locked_hash is None
    assert amendment.amendment_of == final.locked_hash
    assert verify(final)  # the original is untouched
    assert content_hash(amendment) != content_hash(final)
    with pytest.raises(ValueError):
        start_amendment(make())


# --- labels ------------------------------------------------------------------------------------


def test_labels_sv_and_en_have_the_same_keys() -> None:
    assert set(labels("sv")) == set(labels("en"))
    assert labels("sv")["title"] == "PROTOKOLL"
    for kind in DecisionKind:
        assert f"kind.{kind.value}" in labels("sv")
    with pytest.raises(ValueError):
        labels("de")


def test_view_labels_decisions_and_keeps_free_kind_text() -> None:
    p = make(items=(Paragraph(1, "Ny part", (), (DecisionLine("SG 2026:9", "Ja.", "Eget slag"),)),))
    view = document_view(p)
    assert view.sections[0].heading == "§ 1 Ny part"
    assert view.sections[0].decisions == (("SG 2026:9 (Eget slag)", "Ja."),)
    assert document_view(make()).sections[2].decisions[0][0] == (
        "SG 2026:7 (Mindre revidering av åtaganden)"
    )
    assert document_view(make()).sections[1].decisions[0][0] == "SG 2026:6"


# --- Telegram ----------------------------------------------------------------------------------


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"b", "i", "code"}:
            self.errors.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"/{tag}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_valid_chunks(chunks: list[str]) -> None:
    assert chunks
    for chunk in chunks:
        assert utf16_len(chunk) <= 4096
        assert visible_len(chunk) <= 4096
        checker = _Checker()
        checker.feed(chunk)
        checker.close()
        assert not checker.errors and not checker.stack, chunk[:200]
        bare = re.sub(r"<[^<>]*>|&(#[0-9]+|#x[0-9a-fA-F]+|[a-z]+);", "", chunk)
        assert not set("<>&") & set(bare)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_telegram_short_protokoll_is_one_escaped_message() -> None:
    chunks = to_telegram_html(make())
    assert_valid_chunks(chunks)
    assert len(chunks) == 1
    assert "Öppettider &lt;bilaga 2&gt; &amp; nattplatser" in chunks[0]
    text = visible_text(chunks[0])
    for needed in ("PROTOKOLL", "UTKAST", "§ 3 Öppettider <bilaga 2> & nattplatser", "SG 2026:7",
                   "Närvarande", "Frånvarande", "Åtgärdslista", "Ștefan Ionescu"):  # fmt: skip
        assert needed in text
    assert "Kontrollsumma" not in text


def test_telegram_final_shows_hash_and_no_draft_mark() -> None:
    final = lock(make())
    text = "".join(visible_text(c) for c in to_telegram_html(final))
    assert final.locked_hash is not None and final.locked_hash in text
    assert "UTKAST" not in text


def test_telegram_long_hostile_text_is_split_safely_without_loss() -> None:
    hostile = ("a<b & c> 😀👍🏽 " * 400)[:10_000]
    unbroken = "x" * 10_000
    p = make(
        items=(
            Paragraph(1, "<script>&amp;", (hostile, unbroken, "🇸🇪" * 2500)),
            *make().items[1:],
        )
    )
    chunks = to_telegram_html(p)
    assert_valid_chunks(chunks)
    assert len(chunks) >= 6
    whole = to_telegram_html(p, limit=10**9)
    assert len(whole) == 1
    assert squeeze("".join(visible_text(c) for c in chunks)) == squeeze(visible_text(whole[0]))
    assert squeeze(hostile) in squeeze(visible_text(whole[0]))
    assert "§ 1 <script>&amp;" in visible_text(whole[0])


# --- PDF ---------------------------------------------------------------------------------------


def pdf_pages(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    # Text objects may be extracted with line breaks between them ("Sida 1 av \r\n2").
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    return [re.sub(r"\s+", " ", page) for page in pages]


def test_pdf_is_a_pdf_with_swedish_text_and_page_numbers() -> None:
    data = to_pdf(make())
    assert data.startswith(b"%PDF-")
    pages = pdf_pages(data)
    text = "\n".join(pages)
    for needed in ("PROTOKOLL", "Styrgruppen", "Sammanträdesdatum", "2026-03-12", "Plats",
                   "Närvarande", "Frånvarande", "§ 1 Mötets öppnande", "Beslut SG 2026:6",
                   "Åtgärdslista", "Ansvarig", "Klart senast", "Uppgift", "Justering",
                   "Ordförande", "Justerare", "Björn Åkesson", "Ștefan Ionescu",
                   "Öppettider <bilaga 2> & nattplatser"):  # fmt: skip
        assert needed in text, needed
    for number, page in enumerate(pages, start=1):
        assert f"Sida {number} av {len(pages)}" in page
        assert "Utkast – ej justerat" in page


def test_pdf_long_input_has_many_numbered_pages() -> None:
    pages = pdf_pages(to_pdf(long_protokoll(40)))
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        assert f"Sida {number} av {len(pages)}" in page
    assert "§ 40 Ärende nummer 40 om åtaganden" in "".join(pages)


def test_pdf_final_prints_hash_on_every_page_and_no_draft_mark() -> None:
    final = lock(long_protokoll(12))
    pages = pdf_pages(to_pdf(final))
    assert len(pages) > 1
    for page in pages:
        assert final.locked_hash is not None and final.locked_hash in page
        assert "Utkast" not in page and "UTKAST" not in page


def test_pdf_is_deterministic() -> None:
    assert to_pdf(make()) == to_pdf(make())


def test_pdf_safe_keeps_every_name_and_drops_what_the_font_lacks() -> None:
    for exact in ("åäö ÅÄÖ é ü – “citat” … € §", "Ștefan Țară Łukasz", "Łódź", "Nguyễn",
                  "Ålund", "Лиляна Петрова", "Ştefan Łukasiewicz-Nguyễn"):  # fmt: skip
        assert pdf_safe(exact) == exact
    assert pdf_safe("bra 👍🏽 jobbat") == "bra  jobbat"
    assert pdf_safe("漢") == "?"
    every = "x" + "".join(map(chr, range(0x250, 0x3000)))
    to_pdf(make(items=(Paragraph(1, "Tecken", (every,)),)))  # never raises


def test_pdf_prints_exact_names_in_embedded_fonts_as_pdf_a_2u() -> None:
    names = "Ştefan Łukasiewicz-Nguyễn, Łódź, Ålund"
    data = to_pdf(make(place=names))
    assert names in "".join(pdf_pages(data))
    used = fonts(data)
    assert used and all(embedded for _name, embedded in used), used
    assert all("DejaVuSans" in name for name, _ in used)
    meta = xmp(data)
    assert "<pdfaid:part>2</pdfaid:part>" in meta
    assert "<pdfaid:conformance>U</pdfaid:conformance>" in meta
    assert "<dc:identifier>SOF 2025/144</dc:identifier>" in meta
    assert "<rdf:li>sv-SE</rdf:li>" in meta and "SG 2026:3" in meta
    assert "PROTOKOLL Styrgruppen SG 2026:3" in meta
    assert b"/Lang (sv-SE)" in data or b"/Lang <" in data


def stamped(p: Protokoll, **changes: object) -> Protokoll:
    stamp = JusteringStamp(
        at="2026-03-20T10:05", chair=p.chair, justerare=p.justerare, version=2, first=1, last=3
    )
    return replace(lock(p), justering=replace(stamp, **changes))  # type: ignore[arg-type]


def test_final_pdf_carries_the_justering_block() -> None:
    final = stamped(make())
    text = "".join(pdf_pages(to_pdf(final)))
    assert (
        "Justerat digitalt 2026-03-20 kl. 10.05 av Ștefan Ionescu (justerare) "
        "och Anna Lindqvist (ordförande)"
    ) in text
    assert "Paragrafer: §§ 1–3" in text and "Version: 2" in text
    assert final.locked_hash is not None and final.locked_hash in text
    assert "Underskrift" not in text and "Utkast" not in text
    # The stamp is not part of the hashed content: the approved hash still verifies.
    assert verify(final) and verify(from_canonical_json(canonical_json(final)))
    assert from_canonical_json(canonical_json(final)) == final


def test_wet_signature_lines_stand_beside_the_block_when_the_file_asks() -> None:
    final = stamped(make(), signature_lines=True)
    document = pdfium.PdfDocument(to_pdf(final))
    last = document[len(document) - 1]
    text = last.get_textpage().get_text_range()
    assert "Justerat digitalt" in text and "Protokollförare" in text
    view = document_view(final)
    assert view.signature_lines and not document_view(stamped(make())).signature_lines


def test_draft_names_who_is_to_approve_and_says_utkast_once_a_page() -> None:
    pages = pdf_pages(to_pdf(make()))
    assert "Justeras av Ștefan Ionescu (justerare) och Anna Lindqvist (ordförande)" in pages[-1]
    for page in pages:
        assert page.count("Utkast – ej justerat") == 1


def ink(image: object) -> tuple[int, int]:
    """(darkest value, number of dark pixels) of a PIL image in grey."""
    grey = image.convert("L")  # type: ignore[attr-defined]
    histogram = grey.histogram()
    return grey.getextrema()[0], sum(histogram[:128])


def test_pdf_page_is_not_blank_and_stays_inside_the_margins() -> None:
    overflowing = make(
        body_name="Samverkansgruppen för" + "x" * 300,
        place="y" * 400,
        items=(
            Paragraph(1, "z" * 300, ("w" * 10_000, "Ord " * 2000)),
            Paragraph(2, "Beslut", (), (DecisionLine("SG 2026:1", "v" * 3000),)),
        ),
        action_items=(ActionItem("o" * 200, date(2026, 5, 1), "t" * 2000),),
        present_by_party=(Attendance("p" * 200, ("n" * 300,)),),
    )
    document = pdfium.PdfDocument(to_pdf(overflowing))
    assert len(document) > 1
    for index in range(len(document)):
        image = document[index].render(scale=1).to_pil()
        width, height = image.size
        darkest, dark_pixels = ink(image)
        assert darkest < 60 and dark_pixels > 500, index
        right = image.crop((int(width * 0.95), 0, width, height))
        left = image.crop((0, 0, int(width * 0.05), height))
        assert ink(right) == (255, 0) or ink(right)[0] > 200, f"page {index + 1} overflows right"
        assert ink(left)[1] == 0, f"page {index + 1} overflows left"

    page1 = pdfium.PdfDocument(to_pdf(make()))[0].render(scale=2).to_pil()
    assert ink(page1)[1] > 5000
    page1.save("/tmp/protokoll_page1.png")


# --- DOCX --------------------------------------------------------------------------------------


def open_docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def test_docx_has_headings_text_and_action_table() -> None:
    p = make(items=(*make().items, Paragraph(4, "Övrigt 👍", ("Лиляна Петрова hälsar.",))))
    document = open_docx(to_docx(p))
    headings = [
        x.text
        for x in document.paragraphs
        if x.style is not None and str(x.style.name).startswith(("Heading", "Title"))
    ]
    for needed in ("PROTOKOLL", "Styrgruppen", "Närvarande", "Frånvarande",
                   "§ 1 Mötets öppnande", "§ 3 Öppettider <bilaga 2> & nattplatser",
                   "§ 4 Övrigt 👍", "Åtgärdslista", "Justering"):  # fmt: skip
        assert needed in headings, needed
    body = "\n".join(x.text for x in document.paragraphs)
    assert "Лиляна Петрова hälsar." in body  # exact text, no transliteration
    assert "Beslut SG 2026:7 (Mindre revidering av åtaganden)" in body

    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    actions = next(t for t in tables if t[0] == ["Ansvarig", "Klart senast", "Uppgift", "Status"])
    assert actions[1:] == [
        ["Karin Ek", "2026-04-01", "Statistik per kön och ursprungsland.", "Öppen"],
        ["Ștefan Ionescu", "–", "Skicka reviderad bilaga.", "Klar"],
    ]
    meta = next(t for t in tables if t[0] == ["Dnr", "SOF 2025/144"])
    assert ["Sammanträdesdatum", "2026-03-12"] in meta and ["Plats", make().place] in meta
    block = "\n".join(c for t in tables[-1:] for row in t for c in row)
    assert "Justeras av Ștefan Ionescu (justerare) och Anna Lindqvist (ordförande)" in block


def test_docx_draft_header_and_final_hash_footer() -> None:
    draft = open_docx(to_docx(make())).sections[0]
    assert draft.header.paragraphs[0].text.count("Utkast – ej justerat") == 1
    assert "UTKAST" not in draft.header.paragraphs[0].text
    assert draft.footer.paragraphs[0].text.startswith("Sida ")
    final_p = lock(make())
    final = open_docx(to_docx(final_p)).sections[0]
    assert "UTKAST" not in final.header.paragraphs[0].text
    assert any(
        final_p.locked_hash in x.text for x in final.footer.paragraphs if final_p.locked_hash
    )
    assert "NUMPAGES" in final.footer._element.xml


def test_docx_is_swedish_throughout_and_carries_the_justering_block() -> None:
    data = to_docx(stamped(make(), signature_lines=True))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("word/styles.xml").decode()
        body = z.read("word/document.xml").decode()
    langs = set(re.findall(r'<w:lang w:val="([^"]+)"', styles + body))
    assert langs == {"sv-SE"}, langs
    assert body.count("<w:r>") == body.count('<w:lang w:val="sv-SE"/>')
    document = open_docx(data)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "Justerat digitalt 2026-03-20 kl. 10.05 av Ștefan Ionescu (justerare)" in cells
    assert "Paragrafer: §§ 1–3" in cells and "Protokollförare" in cells
    assert document.core_properties.language == "sv-SE"


def test_one_source_all_renderers_show_every_section_and_decision() -> None:
    p = long_protokoll(5)
    telegram = "".join(visible_text(c) for c in to_telegram_html(p))
    pdf = "".join(pdf_pages(to_pdf(p)))
    word = "\n".join(x.text for x in open_docx(to_docx(p)).paragraphs)
    for section in document_view(p).sections:
        for output in (telegram, pdf, word):
            assert section.heading in output
            for label, text in section.decisions:
                assert label in output and text in output


def test_english_variant() -> None:
    p = make()
    assert visible_text(to_telegram_html(p, "en")[0]).startswith("MINUTES – DRAFT")
    pages = pdf_pages(to_pdf(p, "en"))
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert open_docx(to_docx(p, "en")).paragraphs[0].text == "MINUTES"
