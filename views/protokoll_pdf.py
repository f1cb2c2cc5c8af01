"""PDF layout of a protokoll (fpdf2, A4, Swedish municipal form).

Fonts: no TrueType font ships in any installed package, so the PDF uses the built-in Helvetica
with the Windows-1252 encoding (covers Swedish å ä ö and the rest of Western Europe, plus – — “ ”
… €). Text outside it is transliterated by `pdf_safe`: letters lose their diacritics (ș → s,
ă → a, ł → l), Cyrillic and Greek letters are romanised, emoji and other symbols are dropped,
anything else becomes "?". The DOCX keeps the exact text; the canonical JSON is the record.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from governance.protokoll import View

__all__ = ["pdf_safe", "render_pdf"]

_ENCODING = "cp1252"
_FONT = "helvetica"
_LINE = 5.0  # mm per line of body text
_SPECIAL = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "ŀ": "l", "Ŀ": "L",
    "ŉ": "'n", "ĸ": "k", "ſ": "s", "ŧ": "t", "Ŧ": "T", "ə": "e", "Ə": "E",
    "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u2032": "'", "\u2033": '"',
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u2028": "\n", "\u2029": "\n",
}  # fmt: skip
_CYRILLIC = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъьюяыэёєіїґ",
        "a b v g d e zh z i y k l m n o p r s t u f h ts ch sh sht a y yu ya y e yo ye i yi g".split(),
        strict=True,
    )
)
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψω",
        "a v g d e z i th i k l m n x o p r s s t y f ch ps o".split(),
        strict=True,
    )
)


def _encodable(ch: str) -> bool:
    try:
        ch.encode(_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _romanise(ch: str) -> str | None:
    lower = ch.lower()
    table = _CYRILLIC if lower in _CYRILLIC else _GREEK if lower in _GREEK else None
    if table is None:
        return None
    latin = table[lower]
    return latin.capitalize() if ch != lower else latin


def pdf_safe(text: str) -> str:
    """`text` restricted to what the core font can show (see module doc)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in "\n\t" or (_encodable(ch) and unicodedata.category(ch)[0] != "C"):
            out.append(ch)
        elif (latin := _romanise(ch)) is not None:
            out.append(latin)
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            if base and all(_encodable(c) for c in base) and base.isprintable():
                out.append(base)
            elif unicodedata.category(ch) in ("So", "Sk", "Cf", "Cs", "Cc", "Mn", "Me", "Co"):
                continue  # emoji, joiners, variation selectors, stray marks
            else:
                out.append("?")
    return "".join(out)


class _Document(FPDF):
    def __init__(self, view: View) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.view = view
        self.core_fonts_encoding = _ENCODING
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
    pdf.set_lang(lab["lang"])
    pdf.set_title(pdf_safe(f"{view.title} {view.body} {meeting_date.isoformat()}"))
    pdf.set_subject(pdf_safe(view.partnership))
    pdf.set_creation_date(datetime.combine(meeting_date, time(), tzinfo=UTC))
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

    _signatures(pdf, view)
    return bytes(pdf.output())


def _signatures(pdf: _Document, view: View) -> None:
    lab = view.labels
    rows = [view.signatures[i : i + 2] for i in range(0, len(view.signatures), 2)]
    block = 14 + 22 * len(rows)
    if pdf.will_page_break(min(block, 80)):
        pdf.add_page()
    pdf.ln(4)
    pdf.heading(lab["justering"])
    column = pdf.epw / 2
    for row in rows:
        if pdf.will_page_break(22):
            pdf.add_page()
        pdf.ln(12)
        y = pdf.get_y()
        for index, (role, name) in enumerate(row):
            x = pdf.l_margin + index * column
            pdf.set_draw_color(0, 0, 0)
            pdf.line(x, y, x + column - 10, y)
            pdf.set_xy(x, y + 1)
            pdf.set_font(_FONT, "", 8)
            pdf.cell(column - 10, 4, pdf_safe(role), new_x=XPos.LEFT, new_y=YPos.NEXT)
            pdf.set_font(_FONT, "", 10)
            pdf.multi_cell(column - 10, _LINE, pdf_safe(name), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_xy(pdf.l_margin, y + 10)
