"""PDF layout of a protokoll (fpdf2, A4, Swedish municipal form), archivable as PDF/A-2u.

Fonts: DejaVu Sans from matplotlib's wheel (`views.fonts`), embedded (subset), so every name is
printed exactly as written (Ştefan, Łódź, Nguyễn, Ålund, Cyrillic and Greek too) and the text
extracts as Unicode. What the font has no glyph for is handled by `pdf_safe`: a letter falls back
to its base letter when that exists (rare scripts), emoji and other symbols are dropped, anything
else becomes "?". The canonical JSON stays the record; the DOCX keeps the exact text.

Archive format: every PDF is written with fpdf2's `DocumentCompliance.PDFA_2U` (embedded fonts,
sRGB output intent, no Info dictionary) and XMP metadata of our own (title, the diarienummer as
dc:identifier, the meeting, language sv-SE, PDF/A-2u identification) with fixed dates, so the
same protokoll gives the same bytes.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time
from functools import cache
from html import escape as _xml

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, DocumentCompliance, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from governance.protokoll import View
from views.fonts import FAMILY, font_files

__all__ = ["COMPLIANCE", "pdf_safe", "render_pdf"]

COMPLIANCE = DocumentCompliance.PDFA_2U
_FONT = FAMILY
_LINE = 5.0  # mm per line of body text
_SPACES = {"\u2028": "\n", "\u2029": "\n"}


@cache
def _glyphs() -> frozenset[int]:
    """The code points every face of the font has (the intersection, so bold text is safe)."""
    covered: frozenset[int] | None = None
    for path in font_files().values():
        font = TTFont(str(path), lazy=True)
        try:
            points = frozenset(font.getBestCmap())
        finally:
            font.close()
        covered = points if covered is None else covered & points
    return covered or frozenset()


def pdf_safe(text: str) -> str:
    """`text` restricted to what the embedded font can show (see module doc)."""
    glyphs = _glyphs()
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _SPACES:
            out.append(_SPACES[ch])
        elif ch in "\n\t" or (ord(ch) in glyphs and unicodedata.category(ch)[0] != "C"):
            out.append(ch)
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            if base and base != ch and all(ord(c) in glyphs for c in base) and base.isprintable():
                out.append(base)
            elif unicodedata.category(ch) in ("So", "Sk", "Cf", "Cs", "Cc", "Mn", "Me", "Co"):
                continue  # emoji, joiners, variation selectors, stray marks
            else:
                out.append("?")
    return "".join(out)


def _xmp(view: View, meeting_date: date, stamp: datetime) -> str:
    """XMP metadata: PDF/A-2u identification, title, identifier (Dnr), subject, language."""
    lab = view.labels
    meta = dict(view.meta)
    dnr = meta.get(lab["diarienummer"], "")
    meeting = meta.get(lab["meeting_number"], "")
    title = f"{view.title} {view.body} {meeting or meeting_date.isoformat()}"
    keywords = [k for k in (dnr, meeting, view.body, view.partnership) if k]
    when = stamp.isoformat(timespec="seconds")
    bag = "".join(f"<rdf:li>{_xml(k)}</rdf:li>" for k in keywords)
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about=""
        xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
        xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:xmp="http://ns.adobe.com/xap/1.0/"
        xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
      <pdfaid:part>{COMPLIANCE.part}</pdfaid:part>
      <pdfaid:conformance>{COMPLIANCE.conformance}</pdfaid:conformance>
      <dc:format>application/pdf</dc:format>
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_xml(title)}</rdf:li></rdf:Alt></dc:title>
      <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{_xml(view.partnership)}</rdf:li></rdf:Alt></dc:description>
      <dc:identifier>{_xml(dnr)}</dc:identifier>
      <dc:subject><rdf:Bag>{bag}</rdf:Bag></dc:subject>
      <dc:language><rdf:Bag><rdf:li>{_xml(lab["lang"])}</rdf:li></rdf:Bag></dc:language>
      <xmp:CreateDate>{when}</xmp:CreateDate>
      <xmp:ModifyDate>{when}</xmp:ModifyDate>
      <xmp:MetadataDate>{when}</xmp:MetadataDate>
      <xmp:CreatorTool>IOP-boten</xmp:CreatorTool>
      <pdf:Producer>fpdf2</pdf:Producer>
      <pdf:Keywords>{_xml(", ".join(keywords))}</pdf:Keywords>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>"""


class _Document(FPDF):
    def __init__(self, view: View) -> None:
        super().__init__(
            orientation="portrait", unit="mm", format="A4", enforce_compliance=COMPLIANCE
        )
        self.view = view
        for style, path in font_files().items():
            self.add_font(_FONT, style, str(path))
        self.set_margins(left=25, top=18, right=20)
        self.set_auto_page_break(auto=True, margin=22)

    def header(self) -> None:
        v = self.view
        if v.draft:
            self._watermark(v.labels["draft"])
        self.set_font(_FONT, "", 8)
        self.set_text_color(90, 90, 90)
        width = self.epw / 2
        left = self.fit(pdf_safe(f"{v.body} – {v.title}"), width - 2)
        self.cell(width, 4, left, new_x=XPos.RIGHT, new_y=YPos.TOP)
        right = pdf_safe(v.labels["draft_note"] if v.draft else "")
        self.cell(
            width, 4, self.fit(right, width - 2), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.set_y(self.get_y() + 5)
        self.set_text_color(0, 0, 0)

    def _watermark(self, text: str) -> None:
        self.set_font(_FONT, "B", 90)
        self.set_text_color(225, 225, 225)
        width = self.get_string_width(text)
        cx, cy = self.w / 2, self.h / 2
        with self.rotation(45, x=cx, y=cy):
            self.text(cx - width / 2, cy + 90 * 0.3528 / 3, text)

    def footer(self) -> None:
        v = self.view
        self.set_y(-16)
        self.set_font(_FONT, "", 7)
        self.set_text_color(90, 90, 90)
        if v.hash_line:
            self.cell(0, 4, pdf_safe(v.hash_line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.ln(4)
        self.set_font(_FONT, "", 8)
        page = v.labels["page"].format(page=self.page_no(), pages=self.str_alias_nb_pages)
        self.cell(0, 4, pdf_safe(page), align=Align.C)
        self.set_text_color(0, 0, 0)

    def fit(self, text: str, width: float) -> str:
        """`text` shortened with "..." to fit on one line of `width` mm in the current font."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "...") > width:
            text = text[:-1]
        return text.rstrip() + "..."

    # --- building blocks -----------------------------------------------------------------------

    def heading(self, text: str, size: float = 12) -> None:
        if self.will_page_break(size * 0.3528 * 2 + 3 * _LINE):
            self.add_page()  # keep a heading with at least a few lines of its text
        self.ln(2)
        self.set_font(_FONT, "B", size)
        self.multi_cell(
            0, size * 0.45, pdf_safe(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(1)

    def body_text(self, text: str, indent: float = 0, style: str = "") -> None:
        self.set_font(_FONT, style, 10)
        self.set_x(self.l_margin + indent)
        self.multi_cell(
            0, _LINE, pdf_safe(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def pairs(self, rows: tuple[tuple[str, str], ...], label_width: float = 60) -> None:
        """Label/value rows without borders; both columns wrap."""
        if not rows:
            return
        self.set_font(_FONT, "", 10)
        with self.table(
            col_widths=(label_width, self.epw - label_width),
            borders_layout=TableBordersLayout.NONE,
            first_row_as_headings=False,
            line_height=_LINE,
            padding=(0.5, 1, 0.5, 0),
            text_align="LEFT",
            align=Align.L,
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(pdf_safe(label), style=FontFace(emphasis="BOLD"))
                row.cell(pdf_safe(value))


def render_pdf(view: View, meeting_date: date) -> bytes:
    """The PDF bytes of `view`; the creation date is the meeting date, so output is stable."""
    lab = view.labels
    pdf = _Document(view)
    stamp = datetime.combine(meeting_date, time(), tzinfo=UTC)
    pdf.set_lang(lab["lang"])
    pdf.set_title(f"{view.title} {view.body} {meeting_date.isoformat()}")
    pdf.set_subject(view.partnership)
    pdf.set_creation_date(stamp)
    pdf.set_xmp_metadata(_xmp(view, meeting_date, stamp))
    pdf.add_page()

    pdf.set_font(_FONT, "B", 20)
    pdf.cell(0, 10, pdf_safe(view.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "B", 14)
    pdf.multi_cell(0, 7, pdf_safe(view.body), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 11)
    pdf.multi_cell(
        0, 6, pdf_safe(view.partnership), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    if view.amendment_line:
        pdf.ln(1)
        pdf.body_text(view.amendment_line, style="I")
    pdf.ln(3)
    pdf.pairs(view.meta)

    pdf.heading(lab["present"])
    pdf.pairs(view.present or ((lab["none"], ""),), label_width=60)
    if view.absent:
        pdf.heading(lab["absent"])
        pdf.pairs(view.absent, label_width=60)
    pdf.ln(2)
    pdf.pairs(tuple((role, name) for role, name in view.roles if name))

    for section in view.sections:
        pdf.ln(2)
        pdf.heading(section.heading)
        for note in section.notes:
            pdf.body_text(note)
            pdf.ln(1)
        for label, text in section.decisions:
            pdf.body_text(f"{lab['decision']} {label}", style="B")
            pdf.body_text(text, indent=5)
            pdf.ln(1)

    if view.actions:
        pdf.ln(2)
        pdf.heading(lab["actions"])
        pdf.set_font(_FONT, "", 9)
        with pdf.table(
            col_widths=(40, 24, pdf.epw - 40 - 24 - 20, 20),
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
            line_height=4.5,
            text_align="LEFT",
            align=Align.L,
        ) as table:
            table.row([pdf_safe(h) for h in view.action_header])
            for action in view.actions:
                table.row([pdf_safe(cell) for cell in action])

    _justering(pdf, view)
    return bytes(pdf.output())


def _justering(pdf: _Document, view: View) -> None:
    """The justering block (who approved, when, which §§, version, SHA-256; on a draft who is to
    approve), with wet-signature lines beside it when the file asks for them."""
    lab = view.labels
    lines = view.justering
    wet = view.signatures if view.signature_lines else ()
    if not lines and not wet:
        return
    needed = max(10 + 6 * len(lines) + (6 if lines and view.hash_line else 0), 20 * len(wet))
    if pdf.will_page_break(min(needed + 14, 120)):
        pdf.add_page()
    pdf.ln(4)
    pdf.heading(lab["justering"])
    pdf.ln(1.5)
    top = pdf.get_y()
    width = pdf.epw * (0.6 if wet else 1.0)
    final = view.hash_line is not None
    inner = width - (4 if final else 0)
    for index, line in enumerate(lines):
        height = _LINE
        if index == 0:
            pdf.set_font(_FONT, "B" if final else "I", 10)
        elif line.startswith(f"{lab['sha256']}:"):
            pdf.set_font(_FONT, "", 7)
            height = 3.6
            label, _, digest = line.partition(": ")
            if pdf.get_string_width(line) > inner:  # two halves rather than a ragged break
                half = len(digest) // 2
                line = f"{label}:\n{digest[:half]}\n{digest[half:]}"
            pdf.ln(0.5)
        else:
            pdf.set_font(_FONT, "", 9.5)
        pdf.set_x(pdf.l_margin + (2 if final else 0))
        pdf.multi_cell(
            inner, height, pdf_safe(line), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        if index == 0:
            pdf.ln(1)
    bottom = pdf.get_y() + 1
    if final and lines:
        pdf.set_draw_color(120, 120, 120)
        pdf.rect(pdf.l_margin, top - 1.5, width, bottom - top + 2)
        pdf.set_draw_color(0, 0, 0)
    if wet:
        x = pdf.l_margin + width + 8
        column = pdf.epw - width - 8
        y = top
        for role, name in wet:
            y += 12
            pdf.line(x, y, x + column, y)
            pdf.set_xy(x, y + 1)
            pdf.set_font(_FONT, "", 8)
            pdf.cell(column, 4, pdf_safe(role), new_x=XPos.LEFT, new_y=YPos.NEXT)
            pdf.set_font(_FONT, "", 10)
            pdf.multi_cell(column, _LINE, pdf_safe(name), new_x=XPos.LEFT, new_y=YPos.NEXT)
            y = pdf.get_y()
        bottom = max(bottom, y)
    pdf.set_xy(pdf.l_margin, bottom + 2)
