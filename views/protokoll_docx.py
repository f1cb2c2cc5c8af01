"""Word (DOCX) layout of a protokoll (python-docx, A4, Swedish municipal form).

The text is kept exactly (Word picks fonts for any script). A draft says so once, in the page
header; page numbers are Word fields (PAGE, NUMPAGES), so they are right after any edit in Word
too. The document's language (sv-SE for Swedish minutes) is set on the default run properties,
on every style and on every run, so Word proofs it as Swedish rather than underlining each word.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph

from governance.protokoll import View

__all__ = ["render_docx"]

_FONT = "Arial"


def _field(paragraph: DocxParagraph, instruction: str) -> None:
    """Append a Word field (e.g. PAGE) whose cached result is "1"."""
    begin, separate, end = (OxmlElement("w:fldChar") for _ in range(3))
    begin.set(qn("w:fldCharType"), "begin")
    separate.set(qn("w:fldCharType"), "separate")
    end.set(qn("w:fldCharType"), "end")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(begin)
    paragraph.add_run()._r.append(code)
    paragraph.add_run()._r.append(separate)
    paragraph.add_run("1")
    paragraph.add_run()._r.append(end)


def _page_numbers(paragraph: DocxParagraph, template: str) -> None:
    """Write `template` ("Sida {page} av {pages}") with fields in place of the two numbers."""
    head, _, rest = template.partition("{page}")
    middle, _, tail = rest.partition("{pages}")
    paragraph.add_run(head)
    _field(paragraph, "PAGE")
    paragraph.add_run(middle)
    _field(paragraph, "NUMPAGES")
    paragraph.add_run(tail)


def _repeat_as_header(table: Table) -> None:
    properties = table.rows[0]._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    properties.append(marker)


def _pairs(document: DocxDocument, rows: tuple[tuple[str, str], ...], label_width: float) -> None:
    table = document.add_table(rows=0, cols=2)
    table.autofit = False
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Mm(label_width), Mm(160 - label_width)
        cells[0].paragraphs[0].add_run(label).bold = True
        cells[1].paragraphs[0].add_run(value)


def _set_language(document: DocxDocument, tag: str) -> None:
    """`w:lang` = `tag` on the defaults, every style and every run (body, headers, footers)."""

    def mark(properties: BaseOxmlElement) -> None:
        lang = properties.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            properties.append(lang)
        lang.set(qn("w:val"), tag)

    styles = document.styles.element
    for properties in styles.iter(qn("w:rPr")):
        mark(properties)
    for style in styles.iter(qn("w:style")):
        if style.find(qn("w:rPr")) is None:
            style.append(OxmlElement("w:rPr"))
            mark(style.find(qn("w:rPr")))
    parts = [document.element.body]
    for section in document.sections:
        parts += [section.header._element, section.footer._element]
    for part in parts:
        for run in part.iter(qn("w:r")):
            mark(run.get_or_add_rPr())


def _justering(document: DocxDocument, view: View) -> None:
    """The justering block as in the PDF, with wet-signature lines beside it when asked for."""
    lab = view.labels
    if not view.justering and not view.signature_lines:
        return
    document.add_heading(lab["justering"], level=2)
    wet = view.signatures if view.signature_lines else ()
    table = document.add_table(rows=1, cols=2 if wet else 1)
    if view.hash_line:
        table.style = "Table Grid"
    block = table.rows[0].cells[0]
    final = view.hash_line is not None
    for index, line in enumerate(view.justering):
        paragraph = block.paragraphs[0] if index == 0 else block.add_paragraph()
        run = paragraph.add_run(line)
        if index == 0:
            run.bold, run.italic = final, not final
        elif line.startswith(f"{lab['sha256']}:"):
            run.font.size = Pt(7.5)
    if wet:
        lines = table.rows[0].cells[1]
        for index, (role, name) in enumerate(wet):
            first = lines.paragraphs[0] if index == 0 else lines.add_paragraph()
            first.add_run("\n" + "_" * 30)
            lines.add_paragraph().add_run(role).font.size = Pt(8)
            lines.add_paragraph(name)
        block.width, lines.width = Mm(95), Mm(65)


def render_docx(view: View, meeting_date: date) -> bytes:
    """The DOCX bytes of `view`."""
    lab = view.labels
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = _FONT
    normal.font.size = Pt(10)
    properties = document.core_properties
    stamp = datetime.combine(meeting_date, time(), tzinfo=UTC)
    properties.title = f"{view.title} {view.body} {meeting_date.isoformat()}"
    properties.subject = view.partnership
    properties.author = ""
    properties.language = lab["lang"]
    properties.created = properties.modified = stamp
    properties.revision = 1

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(25), Mm(20)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)

    header = section.header.paragraphs[0]
    header.add_run(f"{view.body} – {view.title}").font.size = Pt(8)
    if view.draft:
        mark = header.add_run(f"\t\t{lab['draft_note']}")
        mark.bold = True
        mark.font.size = Pt(10)
        mark.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_numbers(footer, lab["page"])
    if view.hash_line:
        line = section.footer.add_paragraph()
        line.add_run(view.hash_line).font.size = Pt(7)

    document.add_heading(view.title, level=0)
    document.add_heading(view.body, level=1)
    document.add_paragraph(view.partnership)
    if view.amendment_line:
        document.add_paragraph().add_run(view.amendment_line).italic = True
    _pairs(document, view.meta, 60)

    document.add_heading(lab["present"], level=2)
    _pairs(document, view.present or ((lab["none"], ""),), 60)
    if view.absent:
        document.add_heading(lab["absent"], level=2)
        _pairs(document, view.absent, 60)
    document.add_paragraph()
    _pairs(document, tuple((role, name) for role, name in view.roles if name), 60)

    for s in view.sections:
        document.add_heading(s.heading, level=2)
        for note_text in s.notes:
            document.add_paragraph(note_text)
        for label, text in s.decisions:
            document.add_paragraph().add_run(f"{lab['decision']} {label}").bold = True
            decision = document.add_paragraph(text)
            decision.paragraph_format.left_indent = Mm(5)

    if view.actions:
        document.add_heading(lab["actions"], level=2)
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, view.action_header, strict=True):
            cell.paragraphs[0].add_run(text).bold = True
        _repeat_as_header(table)
        for action in view.actions:
            for cell, text in zip(table.add_row().cells, action, strict=True):
                cell.text = text
        for row in table.rows:
            for cell, width in zip(row.cells, (40, 24, 76, 20), strict=True):
                cell.width = Mm(width)

    _justering(document, view)
    _set_language(document, lab["lang"])

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
