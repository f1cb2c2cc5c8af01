"""The activity report's files and chat texts, from plausible figures (tests/report_samples)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

import pypdfium2 as pdfium
from docx import Document as DocxDocument
from docx.oxml.ns import qn

from tests import report_samples
from views.report_files import (
    DASH,
    charts,
    filename,
    render_csv,
    render_docx,
    render_pdf,
    render_xlsx,
    tables,
)


def _pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def test_pdf_carries_totals_top_ten_and_names_the_missing() -> None:
    doc = report_samples.document(missing=("ny-gemenskap",))
    text = _pdf_text(render_pdf(doc)).replace("\u00a0", " ")
    assert "Verksamhetsrapport november 2025–april 2026" in text
    assert "5 820" in text  # 6 680 without Ny Gemenskap's 860
    assert "Ej inskickat: Ny Gemenskap." in text
    assert "Stadens sammanställning redovisas för socialnämnden i augusti 2026." in text
    order = ["Rumänien", "Bulgarien", "Polen", "Ungern", "Slovakien"]
    section = text[text.index("De 9 vanligaste ursprungsländerna") :]
    positions = [section.index(name) for name in order]
    assert positions == sorted(positions)
    assert "Siffrorna omfattar bara de verksamheter som skickat in" in text


def test_without_a_previous_period_the_comparison_shows_dashes() -> None:
    doc = report_samples.document(with_previous=False)
    key_figures = tables(doc, "sv")[0]
    assert all(row[2] == DASH and row[3] == DASH and row[4] == DASH for row in key_figures.rows)
    assert key_figures.note is not None and "ingen jämförelse" in key_figures.note
    assert "comparison" not in charts(doc, "sv")


def test_docx_is_swedish_with_tables_and_charts() -> None:
    doc = report_samples.document()
    document = DocxDocument(io.BytesIO(render_docx(doc)))
    languages = {
        style.name: lang.get(qn("w:val"))
        for style in document.styles
        if (rpr := style.element.rPr) is not None and (lang := rpr.find(qn("w:lang"))) is not None
    }
    assert languages["Normal"] == "sv-SE" and languages["Heading 1"] == "sv-SE"
    assert document.core_properties.language == "sv-SE"
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "6\u00a0680" in cells
    assert len(document.inline_shapes) == 3  # comparison, countries, gender and age


def test_csv_and_xlsx_hold_the_figures() -> None:
    doc = report_samples.document()
    data = render_csv(doc)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Avsnitt", "Part", "Verksamhet", "Mått", "Värde"]
    assert ["Nyckeltal", "", "", "Besökare, totalt", "6680", "5678", "1002", "17,6"] in rows
    top = [r[3] for r in rows if r[0].startswith("Ursprungsland, de")]
    assert top[:3] == ["1. Rumänien", "2. Bulgarien", "3. Polen"]
    with zipfile.ZipFile(io.BytesIO(render_xlsx(doc))) as book:
        workbook = book.read("xl/workbook.xml").decode()
        key_figures = book.read("xl/worksheets/sheet2.xml").decode()
    # The section sheets hold numbers, not the printed text: visitors, difference, change %.
    row = re.search(r'<row r="2".*?</row>', key_figures)
    assert row is not None
    assert re.findall(r"<v>([^<]*)</v>", row.group(0))[1:] == ["6680", "5678", "1002", "17.6"]
    assert row.group(0).count('t="s"') == 1  # only the measure's name is text
    # Whole words as the sheets' names (a heading cut at 31 characters read "… med fö").
    assert re.findall(r'<sheet name="([^"]*)"', workbook) == [
        "Siffror", "Nyckeltal", "Per verksamhet", "Ursprungsland", "Kön och ålder",
        "Nattplatser", "Öppettider", "Synpunkter och klagomål",
    ]  # fmt: skip
    assert filename(doc, "pdf") == "verksamhetsrapport-SOF-2025-144-2025-11-2026-04.pdf"


def test_annual_title() -> None:
    doc = report_samples.document()
    annual = type(doc)(
        **{
            **doc.__dict__,
            "kind": "annual",
            "period_start": date(2025, 1, 1),
            "period_end": date(2025, 12, 31),
        }
    )
    assert _pdf_text(render_pdf(annual)).startswith("Årssammanställning")


def test_every_heading_is_swedish_and_a_missing_half_year_is_named_by_its_months() -> None:
    doc = report_samples.document()
    annual = type(doc)(
        **{
            **doc.__dict__,
            "kind": "annual",
            "period_start": date(2025, 5, 1),
            "period_end": date(2026, 4, 30),
            "missing_halves": ("activity_report:2025-05..2025-10",),
        }
    )
    text = _pdf_text(render_pdf(annual)).replace("\u00a0", " ")
    assert "Ett halvår under året saknar sammanställd rapport: maj–oktober 2025." in text
    assert "activity_report" not in text
    assert "8. Hur verksamheterna har mött behoven" in text
    assert "Dnr SOF 2025/144" in text
    for english in ("How the activities", "Summary", "Dnr {"):
        assert english not in text
