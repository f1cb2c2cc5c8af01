"""The compiled verksamhetsrapport as files: PDF and DOCX (same sections, same charts), CSV and
XLSX of the figures for the city's own tables.

One `ReportDocument` (read from the outbox row's JSON payload) gives every file, so the
samverkansgrupp and the styrgrupp receive the same content. Text is in the report's language;
every document embeds DejaVu Sans (`views.fonts`), and matplotlib draws the charts in the same
face (object API, no pyplot: safe in the dispatcher's worker thread).

Sections, as the city's case officer reads them: key figures with the previous period; per
party and activity; the ten most frequent countries of origin (the rest summed, "origin not
stated" apart); gender and age; night places; opening hours planned and held; feedback and
complaints by theme; how needs were met (the activities' own words); parties that did not
submit are named at the top.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from governance.countries import UNKNOWN_CODE, country_name
from governance.report_figures import ComparisonRow, Compilation, UnitResult, compare
from i18n import N_, t
from views.fonts import FAMILY, font_files
from views.report_labels import (
    GENDER_LABELS,
    NIGHT_LABELS,
    THEME_LABELS,
    age_label,
    comparison_label,
    long_date,
    period_text,
)

# fpdf2, python-docx, matplotlib and xlsxwriter take about a second to import: they are imported
# where a report file is built (in the dispatcher's worker thread), not when the bot starts.
if TYPE_CHECKING:
    from fpdf import FPDF
    from matplotlib.figure import Figure

__all__ = [
    "ReportDocument",
    "charts",
    "filename",
    "render_csv",
    "render_docx",
    "render_pdf",
    "render_xlsx",
]

DASH = "–"
_BLUE = "#1f5a96"
_GREY = "#9aa5b1"
_LIGHT = "#c9d6e3"


@dataclass(frozen=True)
class ReportDocument:
    kind: str  # "half_year" | "annual"
    key: str
    diarienummer: str
    partnership_name: str
    period_start: date
    period_end: date
    due_on: date
    compiled_at: datetime
    timezone: str
    counted: str  # "visitors" | "reached"
    current: Compilation
    previous: Compilation | None
    previous_period: tuple[date, date] | None
    committee_month: int | None = None
    committee_year: int | None = None
    from_body: str = "Samverkansgrupp"
    to_body: str = "Styrgrupp"
    missing_halves: tuple[str, ...] = ()

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ReportDocument:
        previous_period = payload.get("previous_period")
        return cls(
            kind=str(payload.get("kind", "half_year")),
            key=str(payload["key"]),
            diarienummer=str(payload["diarienummer"]),
            partnership_name=str(payload["partnership_name"]),
            period_start=date.fromisoformat(payload["period_start"]),
            period_end=date.fromisoformat(payload["period_end"]),
            due_on=date.fromisoformat(payload["due_on"]),
            compiled_at=datetime.fromisoformat(payload["compiled_at"]),
            timezone=str(payload.get("timezone", "Europe/Stockholm")),
            counted=str(payload.get("counted", "visitors")),
            current=Compilation.from_json(payload["compilation"]),
            previous=Compilation.from_json(payload["previous"])
            if payload.get("previous")
            else None,
            previous_period=(
                (date.fromisoformat(previous_period[0]), date.fromisoformat(previous_period[1]))
                if previous_period
                else None
            ),
            committee_month=payload.get("committee_month"),
            committee_year=payload.get("committee_year"),
            from_body=str(payload.get("from_body", "Samverkansgrupp")),
            to_body=str(payload.get("to_body", "Styrgrupp")),
            missing_halves=tuple(payload.get("missing_halves") or ()),
        )

    @property
    def compiled_day(self) -> date:
        return self.compiled_at.astimezone(ZoneInfo(self.timezone)).date()


Tr = Callable[[str], str]


def _tr(language: str) -> Tr:
    return lambda message: t(language, message)


def fmt(value: int | None, language: str) -> str:
    if value is None:
        return DASH
    text = f"{value:,}"
    return text if language == "en" else text.replace(",", "\u00a0")


def fmt_signed(value: int | None, language: str) -> str:
    if value is None:
        return DASH
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + fmt(abs(value), language)


def fmt_percent(value: float | None, language: str, *, signed: bool = True) -> str:
    if value is None:
        return DASH
    sign = ("+" if value > 0 else "−" if value < 0 else "±") if signed else ""
    text = f"{abs(value):.1f}"
    if language != "en":
        text = text.replace(".", ",")
    return f"{sign}{text}\u00a0%"


def _share(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


def title(doc: ReportDocument, language: str) -> str:
    tr = _tr(language)
    period = period_text(doc.period_start, doc.period_end, language)
    if doc.kind == "annual":
        return tr(N_("Annual compilation {period}")).format(period=period)
    return tr(N_("Activity report {period}")).format(period=period)


def filename(doc: ReportDocument, extension: str, language: str = "sv") -> str:
    stem = "arssammanstallning" if doc.kind == "annual" else "verksamhetsrapport"
    if language == "en":
        stem = "annual-compilation" if doc.kind == "annual" else "activity-report"
    dnr = doc.diarienummer.replace(" ", "-").replace("/", "-")
    return f"{stem}-{dnr}-{doc.period_start:%Y-%m}-{doc.period_end:%Y-%m}.{extension}"


# --- the figures as tables (shared by every format) ---------------------------------------


@dataclass(frozen=True)
class Table:
    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric_from: int = 1  # columns from this index are right-aligned
    note: str | None = None
    total_last: bool = True  # the last row is a total (bold)
    sheet: str = ""  # the XLSX sheet's name (at most 31 characters), else the heading's start


def _dnr(doc: ReportDocument, tr: Tr) -> str:
    """'Dnr SOF 2025/144': the diarienummer as the city's registry writes it."""
    return tr(N_("Dnr {diarienummer}")).format(diarienummer=doc.diarienummer)


def _half_label(key: str, language: str) -> str:
    """A half-year's deadline key ('activity_report:2025-11..2026-04') as its period."""
    match = re.fullmatch(r"activity_report:(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})", key)
    if match is None:
        return key
    y1, m1, y2, m2 = (int(g) for g in match.groups())
    end = date(y2, m2, calendar.monthrange(y2, m2)[1])
    return period_text(date(y1, m1, 1), end, language)


def _unit_name(unit: UnitResult) -> str:
    return unit.name if unit.name == unit.party_name else f"{unit.party_name}: {unit.name}"


def _counted_label(doc: ReportDocument, tr: Tr) -> str:
    return tr(N_("Reached")) if doc.counted == "reached" else tr(N_("Visitors"))


def comparison_rows(doc: ReportDocument) -> list[ComparisonRow]:
    return compare(doc.current, doc.previous)


def _comparison_note(doc: ReportDocument, tr: Tr) -> str | None:
    if doc.previous is None:
        return tr(N_("No compiled report of the previous period is stored: no comparison (–)."))
    if doc.current.missing:
        return tr(
            N_("The figures cover only the activities that submitted; the previous period's all.")
        )
    return None


def tables(doc: ReportDocument, language: str) -> list[Table]:
    """Every section's table, in the order of the documents."""
    tr = _tr(language)
    c = doc.current
    out: list[Table] = []
    prev_name = (
        period_text(doc.previous_period[0], doc.previous_period[1], language)
        if doc.previous_period
        else tr(N_("Previous period"))
    )
    rows = comparison_rows(doc)
    out.append(
        Table(
            tr(N_("Key figures and comparison with the previous period")),
            (
                tr(N_("Measure")),
                period_text(doc.period_start, doc.period_end, language),
                prev_name,
                tr(N_("Difference")),
                tr(N_("Change")),
            ),
            tuple(
                (
                    comparison_label(r.label, language, doc.counted),
                    fmt(r.current, language),
                    fmt(r.previous, language),
                    fmt_signed(r.difference, language),
                    fmt_percent(r.percent, language),
                )
                for r in rows
            ),
            note=_comparison_note(doc, tr),
            total_last=False,
            sheet=tr(N_("Key figures")),
        )
    )
    # Per party and activity.
    has_gender = bool(c.gender)
    columns = [tr(N_("Party and activity")), _counted_label(doc, tr)]
    if has_gender:
        columns += [tr(GENDER_LABELS[k]) for k in ("women", "men", "other")]
    if c.complaints is not None:
        columns += [tr(N_("Feedback"))]
    unit_rows: list[tuple[str, ...]] = []
    for party, units in c.parties():
        for unit in units:
            f = unit.figures
            if f is None:
                row = [_unit_name(unit), tr(N_("not submitted"))] + [""] * (len(columns) - 2)
                unit_rows.append(tuple(row))
                continue
            row = [_unit_name(unit), fmt(int(f.get("total", 0)), language)]
            if has_gender:
                gender = f.get("gender") or {}
                row += [fmt(gender.get(k), language) for k in ("women", "men", "other")]
            if c.complaints is not None:
                row.append(fmt(f.get("complaints"), language))
            unit_rows.append(tuple(row))
        if len(units) > 1:
            unit_rows.append(
                (tr(N_("{party}, total")).format(party=party), fmt(c.party_total(party), language))
                + ("",) * (len(columns) - 2)
            )
    total_row = [tr(N_("All activities")), fmt(c.total, language)]
    if has_gender:
        total_row += [fmt(c.gender.get(k, 0), language) for k in ("women", "men", "other")]
    if c.complaints is not None:
        total_row.append(fmt(c.complaints, language))
    unit_rows.append(tuple(total_row))
    out.append(
        Table(
            tr(N_("Per party and activity")),
            tuple(columns),
            tuple(unit_rows),
            sheet=tr(N_("Per activity")),
        )
    )
    # Countries.
    if c.countries:
        top = c.top_countries()
        rows_c: list[tuple[str, ...]] = [
            (
                str(rank),
                country_name(code, language),
                fmt(n, language),
                fmt_percent(_share(n, c.total), language, signed=False),
            )
            for rank, (code, n) in enumerate(top, start=1)
        ]
        other = c.other_countries()
        rows_c.append(
            (
                "",
                tr(N_("Other countries")),
                fmt(other, language),
                fmt_percent(_share(other, c.total), language, signed=False),
            )
        )
        unknown = c.origin_not_stated()
        rows_c.append(
            (
                "",
                country_name(UNKNOWN_CODE, language),
                fmt(unknown, language),
                fmt_percent(_share(unknown, c.total), language, signed=False),
            )
        )
        rows_c.append(
            (
                "",
                tr(N_("Total")),
                fmt(c.total, language),
                fmt_percent(100.0 if c.total else None, language, signed=False),
            )
        )
        out.append(
            Table(
                tr(N_("The {count} most frequent countries of origin")).format(count=len(top)),
                ("#", tr(N_("Country")), tr(N_("Number")), tr(N_("Share"))),
                tuple(rows_c),
                numeric_from=2,
                sheet=tr(N_("Countries of origin")),
            )
        )
    if c.gender or c.age:
        rows_g: list[tuple[str, ...]] = []
        for key, value in c.gender.items():
            rows_g.append(
                (
                    tr(GENDER_LABELS[key]),
                    fmt(value, language),
                    fmt_percent(_share(value, c.total), language, signed=False),
                )
            )
        for key, value in c.age.items():
            rows_g.append(
                (
                    tr(N_("Age {band}")).format(band=age_label(key, language))
                    if key != "unknown"
                    else age_label(key, language),
                    fmt(value, language),
                    fmt_percent(_share(value, c.total), language, signed=False),
                )
            )
        out.append(
            Table(
                tr(N_("Gender and age")),
                (tr(N_("Group")), tr(N_("Number")), tr(N_("Share"))),
                tuple(rows_g),
                total_last=False,
                sheet=tr(N_("Gender and age")),
            )
        )
    if c.night is not None:
        rows_n: list[tuple[str, ...]] = []
        for unit in c.submitted:
            night = (unit.figures or {}).get("night")
            if night:
                rows_n.append(
                    (
                        _unit_name(unit),
                        fmt(night["offered"], language),
                        fmt(night["used"], language),
                        fmt_percent(
                            _share(night["used"], night["offered"]), language, signed=False
                        ),
                        fmt(night["turned_away"], language),
                    )
                )
        n = c.night
        rows_n.append(
            (
                tr(N_("All activities")),
                fmt(n.get("offered"), language),
                fmt(n.get("used"), language),
                fmt_percent(_share(n.get("used", 0), n.get("offered", 0)), language, signed=False),
                fmt(n.get("turned_away"), language),
            )
        )
        out.append(
            Table(
                tr(N_("Night places")),
                (
                    tr(N_("Activity")),
                    tr(NIGHT_LABELS["offered"]),
                    tr(NIGHT_LABELS["used"]),
                    tr(N_("Occupancy")),
                    tr(NIGHT_LABELS["turned_away"]),
                ),
                tuple(rows_n),
                sheet=tr(N_("Night places")),
            )
        )
    if c.hours is not None:
        rows_h: list[tuple[str, ...]] = []
        for unit in c.submitted:
            hours = (unit.figures or {}).get("hours")
            if hours:
                rows_h.append(
                    (
                        _unit_name(unit),
                        fmt(hours["planned"], language),
                        fmt(hours["held"], language),
                        fmt_percent(
                            _share(hours["held"], hours["planned"]), language, signed=False
                        ),
                    )
                )
        h = c.hours
        rows_h.append(
            (
                tr(N_("All activities")),
                fmt(h.get("planned"), language),
                fmt(h.get("held"), language),
                fmt_percent(_share(h.get("held", 0), h.get("planned", 0)), language, signed=False),
            )
        )
        out.append(
            Table(
                tr(N_("Opening hours, planned and held")),
                (tr(N_("Activity")), tr(N_("Planned")), tr(N_("Held")), tr(N_("Held of planned"))),
                tuple(rows_h),
                note=tr(
                    N_(
                        "Planned hours follow the annexes' weekly hours unless the activity gave its own."
                    )
                ),
                sheet=tr(N_("Opening hours")),
            )
        )
    if c.complaints is not None:
        rows_t: list[tuple[str, ...]] = [
            (tr(THEME_LABELS[k]), fmt(v, language)) for k, v in c.themes.items()
        ]
        rows_t.append((tr(N_("Total")), fmt(c.complaints, language)))
        out.append(
            Table(
                tr(N_("Feedback and complaints by theme")),
                (tr(N_("Theme")), tr(N_("Number"))),
                tuple(rows_t),
                sheet=tr(N_("Feedback and complaints")),
            )
        )
    return out


def intro_lines(doc: ReportDocument, language: str) -> list[str]:
    tr = _tr(language)
    lines = [
        doc.partnership_name + " · " + _dnr(doc, tr),
        tr(N_("The samverkansgrupp's joint report to the styrgrupp. Compiled {day}.")).format(
            day=long_date(doc.compiled_day, language)
        ),
    ]
    if doc.committee_month and doc.committee_year:
        from babel.dates import format_date

        month = format_date(
            date(doc.committee_year, doc.committee_month, 1),
            "LLLL y",
            locale="en" if language == "en" else "sv",
        )
        lines.append(
            tr(N_("The city's compilation goes to socialnämnden in {month}.")).format(month=month)
        )
    missing = doc.current.missing
    submitted = len(doc.current.units) - len(missing)
    lines.append(
        tr(N_("{submitted} of {total} activities submitted their figures.")).format(
            submitted=submitted, total=len(doc.current.units)
        )
    )
    if missing:
        lines.append(
            tr(N_("Not submitted: {names}.")).format(
                names=", ".join(_unit_name(u) for u in missing)
            )
        )
    if doc.missing_halves:
        lines.append(
            tr(N_("A half-year of the year has no compiled report: {keys}.")).format(
                keys=", ".join(_half_label(k, language) for k in doc.missing_halves)
            )
        )
    lines.append(tr(N_("Aggregated figures only; no data about individuals.")))
    return lines


_HALF_PREFIX = re.compile(r"^(\d{4})-(\d{2})–(\d{4})-(\d{2}): ", re.MULTILINE)


def needs_texts(doc: ReportDocument, language: str = "sv") -> list[tuple[str, str]]:
    """Each activity's own words; in the annual compilation each half-year's text begins with
    its months ("januari–juni 2025: …"; merged as "2025-01–2025-06: …")."""

    def months(match: re.Match[str]) -> str:
        y1, m1, y2, m2 = (int(g) for g in match.groups())
        end = date(y2, m2, calendar.monthrange(y2, m2)[1])
        return period_text(date(y1, m1, 1), end, language) + ": "

    return [
        (_unit_name(u), _HALF_PREFIX.sub(months, text)) for u, text in doc.current.needs_texts()
    ]


# --- charts -------------------------------------------------------------------------------


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=150, layout="constrained")
    return figure


def _style(axes: Any, language: str, *, values_on: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=8)
    # The value axis in the report's digit grouping (7 000, not 7000).
    axis = axes.xaxis if values_on == "x" else axes.yaxis
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: fmt(round(value), language)))


def charts(doc: ReportDocument, language: str) -> dict[str, bytes]:
    """PNG charts: "countries", "gender_age", "comparison" (each only when there is data)."""
    tr = _tr(language)
    c = doc.current
    out: dict[str, bytes] = {}
    import matplotlib

    matplotlib.rcParams["font.family"] = "DejaVu Sans"
    if c.countries:
        top = c.top_countries()
        labels = [country_name(code, language) for code, _ in top]
        values = [n for _, n in top]
        colors = [_BLUE] * len(values)
        if c.other_countries():
            labels.append(tr(N_("Other countries")))
            values.append(c.other_countries())
            colors.append(_GREY)
        if c.origin_not_stated():
            labels.append(country_name(UNKNOWN_CODE, language))
            values.append(c.origin_not_stated())
            colors.append(_LIGHT)
        figure = _figure(6.3, 0.32 * len(values) + 1.0)
        axes = figure.add_subplot()
        positions = list(range(len(values)))[::-1]
        bars = axes.barh(positions, values, color=colors)
        axes.set_yticks(positions, labels)
        axes.bar_label(bars, labels=[fmt(v, language) for v in values], padding=3, fontsize=7)
        axes.set_title(tr(N_("Countries of origin")), fontsize=10, loc="left")
        axes.margins(x=0.15)
        _style(axes, language, values_on="x")
        out["countries"] = _png(figure)
    if c.gender or c.age:
        panels = [p for p in (c.gender, c.age) if p]
        figure = _figure(6.3, 2.4)
        for index, values_map in enumerate(panels, start=1):
            axes = figure.add_subplot(1, len(panels), index)
            if values_map is c.gender:
                labels = [tr(GENDER_LABELS[k]) for k in values_map]
                axes.set_title(tr(N_("Gender")), fontsize=10, loc="left")
            else:
                labels = [age_label(k, language) for k in values_map]
                axes.set_title(tr(N_("Age")), fontsize=10, loc="left")
            values = list(values_map.values())
            bars = axes.bar(range(len(values)), values, color=_BLUE)
            axes.set_xticks(range(len(values)), labels, rotation=20, ha="right")
            axes.bar_label(bars, labels=[fmt(v, language) for v in values], padding=2, fontsize=7)
            axes.margins(y=0.18)
            _style(axes, language)
        out["gender_age"] = _png(figure)
    rows = [r for r in comparison_rows(doc) if r.label.startswith(("total", "gender", "country"))]
    if doc.previous is not None and rows:
        rows = rows[:9]
        figure = _figure(6.3, 2.8)
        axes = figure.add_subplot()
        width = 0.38
        xs = list(range(len(rows)))
        now_name = period_text(doc.period_start, doc.period_end, language)
        before_name = (
            period_text(doc.previous_period[0], doc.previous_period[1], language)
            if doc.previous_period
            else tr(N_("Previous period"))
        )
        axes.bar(
            [x - width / 2 for x in xs],
            [r.previous or 0 for r in rows],
            width,
            color=_GREY,
            label=before_name,
        )
        axes.bar(
            [x + width / 2 for x in xs],
            [r.current for r in rows],
            width,
            color=_BLUE,
            label=now_name,
        )
        axes.set_xticks(
            xs,
            [comparison_label(r.label, language, doc.counted, short=True) for r in rows],
            rotation=25,
            ha="right",
        )
        axes.legend(fontsize=7, frameon=False)
        axes.set_title(tr(N_("Comparison with the previous period")), fontsize=10, loc="left")
        _style(axes, language)
        out["comparison"] = _png(figure)
    return out


# --- PDF ----------------------------------------------------------------------------------


def _new_pdf(footer_text: str) -> FPDF:
    """An A4 document whose every page ends with `footer_text` and the page number."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FAMILY, "", 7.5)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, footer_text, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="R")
            self.set_text_color(0, 0, 0)

    return _Pdf(format="A4")


def render_pdf(
    doc: ReportDocument, language: str = "sv", *, chart_images: Mapping[str, bytes] | None = None
) -> bytes:
    tr = _tr(language)
    images = dict(chart_images) if chart_images is not None else charts(doc, language)
    from fpdf.enums import XPos, YPos

    pdf = _new_pdf(title(doc, language) + " · " + _dnr(doc, tr))
    pdf.alias_nb_pages()
    for style, path in font_files().items():
        pdf.add_font(FAMILY, style, str(path))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(title(doc, language))
    pdf.set_subject(doc.partnership_name)
    pdf.set_lang("en" if language == "en" else "sv-SE")
    pdf.set_creation_date(doc.compiled_at)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 17)
    pdf.multi_cell(0, 8, title(doc, language), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 9.5)
    pdf.ln(1)
    for line in intro_lines(doc, language):
        pdf.multi_cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    section_tables = tables(doc, language)
    chart_after = {
        tr(N_("Key figures and comparison with the previous period")): "comparison",
        tr(N_("Gender and age")): "gender_age",
    }
    number = 0
    for table in section_tables:
        number += 1
        _pdf_heading(pdf, f"{number}. {table.heading}", keep=_table_height(table))
        if table.columns and table.columns[0] == "#" and "countries" in images:
            _pdf_table(pdf, table)
            _pdf_image(pdf, images["countries"])
        else:
            _pdf_table(pdf, table)
            chart = chart_after.get(table.heading)
            if chart and chart in images:
                _pdf_image(pdf, images[chart])
    texts = needs_texts(doc, language)
    number += 1
    _pdf_heading(pdf, f"{number}. " + tr(N_("How the activities met the needs")))
    if not texts:
        pdf.set_font(FAMILY, "", 9.5)
        pdf.multi_cell(0, 5, DASH, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for name, text in texts:
        pdf.set_font(FAMILY, "B", 9.5)
        pdf.multi_cell(0, 5, name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 9.5)
        pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
    return bytes(pdf.output())


def _table_height(table: Table) -> float:
    """About how tall the table is drawn (mm): a row of two lines for the heading, then one each."""
    return (len(table.rows) + 2) * 7.0 + (5 if table.note else 0)


def _pdf_heading(pdf: FPDF, text: str, *, keep: float = 0) -> None:
    """A section's heading; a new page first when the heading and `keep` mm after it (a table
    that fits on one page) would not fit on this one, so a table is not split for a row or two."""
    from fpdf.enums import XPos, YPos

    room = pdf.h - pdf.b_margin - pdf.get_y() - 12
    usable = pdf.h - pdf.t_margin - pdf.b_margin - 12
    if pdf.get_y() > pdf.h - 50 or (keep < usable and keep > room):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(FAMILY, "B", 12)
    pdf.set_text_color(31, 90, 150)
    pdf.multi_cell(0, 6.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _pdf_table(pdf: FPDF, table: Table) -> None:
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    pdf.set_font(FAMILY, "", 8.5)
    count = len(table.columns)
    first = 0.31 if count > 5 else 0.42 if count > 3 else 0.5
    rest = (1 - first) / (count - 1) if count > 1 else 0
    widths = [first] + [rest] * (count - 1)
    if table.columns and table.columns[0] == "#":
        widths = [0.07, 0.45, 0.24, 0.24]
    width = pdf.epw
    aligns = ["LEFT" if i < table.numeric_from else "RIGHT" for i in range(count)]
    with pdf.table(
        col_widths=[w * width for w in widths],
        text_align=tuple(aligns),  # type: ignore[arg-type]
        headings_style=FontFace(emphasis="BOLD", fill_color=(228, 235, 243)),
        line_height=4.6,
        padding=1.2,
        first_row_as_headings=True,
    ) as grid:
        heading = grid.row()
        for column in table.columns:
            # A period ("januari–december 2025") breaks after its dash, not inside a month.
            heading.cell(column.replace("–", "–\n") if len(column) > 12 else column)
        for index, values in enumerate(table.rows):
            last = index == len(table.rows) - 1
            style = FontFace(emphasis="BOLD") if last and table.total_last else None
            row = grid.row(style=style)
            for value in values:
                row.cell(value)
    if table.note:
        pdf.set_font(FAMILY, "I", 7.5)
        pdf.multi_cell(0, 4, table.note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _pdf_image(pdf: FPDF, png: bytes) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        width_px, height_px = image.size
    width = min(pdf.epw, 165)
    height = width * height_px / width_px
    if pdf.get_y() + height > pdf.h - 20:
        pdf.add_page()
    pdf.ln(2)
    pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width)
    pdf.ln(2)


# --- DOCX ---------------------------------------------------------------------------------


def _set_language(styles: Any, code: str) -> None:
    """w:lang on every paragraph and character style, so Word checks the text as Swedish."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for style in styles:
        element = getattr(style, "element", None)
        if element is None:
            continue
        rpr = element.get_or_add_rPr() if hasattr(element, "get_or_add_rPr") else None
        if rpr is None:
            continue
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), code)
        lang.set(qn("w:eastAsia"), code)
        lang.set(qn("w:bidi"), code)


def render_docx(
    doc: ReportDocument, language: str = "sv", *, chart_images: Mapping[str, bytes] | None = None
) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    tr = _tr(language)
    images = dict(chart_images) if chart_images is not None else charts(doc, language)
    document = Document()
    code = "en-GB" if language == "en" else "sv-SE"
    for name in ("Normal", "Heading 1", "Heading 2", "Title"):
        style = document.styles[name]
        style.font.name = "DejaVu Sans"  # type: ignore[attr-defined]
    document.styles["Normal"].font.size = Pt(9.5)  # type: ignore[attr-defined]
    _set_language(document.styles, code)
    properties = document.core_properties
    properties.title = title(doc, language)
    properties.subject = doc.partnership_name
    properties.language = code
    properties.author = doc.from_body
    properties.created = properties.modified = doc.compiled_at
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    footer = section.footer.paragraphs[0]
    footer.text = title(doc, language) + " · " + _dnr(doc, tr)
    document.add_heading(title(doc, language), level=0)
    for line in intro_lines(doc, language):
        document.add_paragraph(line)
    number = 0
    chart_after = {
        tr(N_("Key figures and comparison with the previous period")): "comparison",
        tr(N_("Gender and age")): "gender_age",
    }
    for table in tables(doc, language):
        number += 1
        document.add_heading(f"{number}. {table.heading}", level=1)
        grid = document.add_table(rows=1, cols=len(table.columns))
        grid.style = "Light Grid Accent 1"
        for cell, text in zip(grid.rows[0].cells, table.columns, strict=True):
            cell.text = text
            cell.paragraphs[0].runs[0].bold = True
        for values in table.rows:
            cells = grid.add_row().cells
            for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
                cell.text = text
                if index >= table.numeric_from:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if table.note:
            note = document.add_paragraph(table.note)
            note.runs[0].italic = True
        chart = (
            "countries"
            if table.columns and table.columns[0] == "#"
            else chart_after.get(table.heading)
        )
        if chart and chart in images:
            document.add_picture(io.BytesIO(images[chart]), width=Mm(160))
    number += 1
    document.add_heading(f"{number}. " + tr(N_("How the activities met the needs")), level=1)
    texts = needs_texts(doc, language)
    if not texts:
        document.add_paragraph(DASH)
    for name, text in texts:
        paragraph = document.add_paragraph()
        paragraph.add_run(name).bold = True
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- CSV and XLSX -------------------------------------------------------------------------


def _figure_rows(doc: ReportDocument, language: str) -> list[list[Any]]:
    """The figures in long form: section, party, activity, measure, value, previous,
    difference, change %. Numbers as numbers; blanks where there is none."""
    tr = _tr(language)
    c = doc.current
    rows: list[list[Any]] = []
    for r in comparison_rows(doc):
        rows.append(
            [
                tr(N_("Key figures")),
                "",
                "",
                comparison_label(r.label, language, doc.counted),
                r.current,
                "" if r.previous is None else r.previous,
                "" if r.difference is None else r.difference,
                "" if r.percent is None else round(r.percent, 1),
            ]
        )
    for unit in c.units:
        f = unit.figures
        base = [tr(N_("Per activity")), unit.party_name, unit.name]
        if f is None:
            rows.append([*base, tr(N_("not submitted")), "", "", "", ""])
            continue
        rows.append([*base, _counted_label(doc, tr), int(f.get("total", 0)), "", "", ""])
        for key, value in (f.get("gender") or {}).items():
            rows.append([*base, tr(GENDER_LABELS[key]), value, "", "", ""])
        for key, value in (f.get("age") or {}).items():
            rows.append(
                [
                    *base,
                    tr(N_("Age {band}")).format(band=age_label(key, language)),
                    value,
                    "",
                    "",
                    "",
                ]
            )
        for code, value in sorted((f.get("countries") or {}).items(), key=lambda item: -item[1]):
            rows.append([*base, country_name(code, language), value, "", "", ""])
        if f.get("night"):
            for key, value in f["night"].items():
                rows.append([*base, tr(NIGHT_LABELS[key]), value, "", "", ""])
        if f.get("hours"):
            rows.append([*base, tr(N_("Planned hours")), f["hours"]["planned"], "", "", ""])
            rows.append([*base, tr(N_("Hours held")), f["hours"]["held"], "", "", ""])
        if "complaints" in f:
            rows.append([*base, tr(N_("Feedback and complaints")), f["complaints"], "", "", ""])
            for key, value in (f.get("themes") or {}).items():
                rows.append([*base, tr(THEME_LABELS[key]), value, "", "", ""])
    section = tr(N_("Countries of origin, top {count}")).format(count=len(c.top_countries()))
    for rank, (code, value) in enumerate(c.top_countries(), start=1):
        rows.append([section, "", "", f"{rank}. {country_name(code, language)}", value, "", "", ""])
    if c.countries:
        rows.append([section, "", "", tr(N_("Other countries")), c.other_countries(), "", "", ""])
        rows.append(
            [
                section,
                "",
                "",
                country_name(UNKNOWN_CODE, language),
                c.origin_not_stated(),
                "",
                "",
                "",
            ]
        )
    return rows


def _header(language: str) -> list[str]:
    tr = _tr(language)
    return [
        tr(N_("Section")),
        tr(N_("Party")),
        tr(N_("Activity")),
        tr(N_("Measure")),
        tr(N_("Value")),
        tr(N_("Previous period")),
        tr(N_("Difference")),
        tr(N_("Change %")),
    ]


def render_csv(doc: ReportDocument, language: str = "sv") -> bytes:
    """Semicolon-separated UTF-8 with a byte order mark: Excel with Swedish settings opens it as
    it is (decimal comma)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_header(language))
    for row in _figure_rows(doc, language):
        writer.writerow([str(v).replace(".", ",") if isinstance(v, float) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_xlsx(doc: ReportDocument, language: str = "sv") -> bytes:
    import xlsxwriter

    tr = _tr(language)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties(
        {
            "title": title(doc, language),
            "subject": doc.partnership_name,
            "created": doc.compiled_at.replace(tzinfo=None),
        }
    )
    bold = book.add_format({"bold": True, "bg_color": "#E4EBF3", "border": 1})
    # "#,##0": Excel groups the digits as the reader's own settings say (1 234 567 in Swedish).
    number_format = book.add_format({"num_format": "#,##0"})
    percent_format = book.add_format({"num_format": "0.0"})
    thousands = "#,##0"
    signed_format = book.add_format({"num_format": f'+{thousands};"−"{thousands};"±"0'})
    change_format = book.add_format({"num_format": '+0.0" %";"−"0.0" %";"±"0.0" %"'})
    share_format = book.add_format({"num_format": '0.0" %"'})
    sheet = book.add_worksheet(tr(N_("Figures"))[:31])
    header = _header(language)
    sheet.write_row(0, 0, header, bold)
    for index, row in enumerate(_figure_rows(doc, language), start=1):
        for column, value in enumerate(row):
            if isinstance(value, float):
                sheet.write_number(index, column, value, percent_format)
            elif isinstance(value, int):
                sheet.write_number(index, column, value, number_format)
            else:
                sheet.write_string(index, column, str(value))
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 3, 30)
    sheet.set_column(4, 7, 14)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(
        0, 0, index if (index := len(_figure_rows(doc, language))) else 1, len(header) - 1
    )
    for table in tables(doc, language):
        name = (table.sheet or table.heading)[:31].replace("/", "-")
        ws = book.add_worksheet(_unique_sheet(book, name))
        ws.write_row(0, 0, list(table.columns), bold)
        for r, values in enumerate(table.rows, start=1):
            for c, text in enumerate(values):
                # Figures as numbers, so the city's own sheets can sum them; text stays text.
                value = _number_of(text, language) if c >= table.numeric_from else None
                if value is None:
                    ws.write_string(r, c, text)
                else:
                    signed = text[0] in "+−±"
                    if text.endswith("%"):
                        style = change_format if signed else share_format
                    else:
                        style = signed_format if signed else number_format
                    ws.write_number(r, c, value, style)
        ws.set_column(0, 0, 36)
        ws.set_column(1, len(table.columns), 16)
    book.close()
    return buffer.getvalue()


_NUMBER = re.compile(r"[+−±]?\d[\d\u00a0 ,.]*(?:\u00a0%)?")


def _number_of(text: str, language: str) -> float | None:
    """A figure as the tables print it ("1 234", "+17,6 %", "−12", "56,9 %") as a number."""
    if not _NUMBER.fullmatch(text):
        return None
    digits = text.rstrip("%").replace("\u00a0", "").replace(" ", "")
    sign = -1 if digits[0] == "−" else 1
    digits = digits.lstrip("+−±")
    digits = digits.replace(",", "") if language == "en" else digits.replace(",", ".")
    try:
        return sign * float(digits)
    except ValueError:
        return None


def _unique_sheet(book: Any, name: str) -> str:
    existing = {sheet.get_name() for sheet in book.worksheets()}
    for char in "[]:*?\\":
        name = name.replace(char, "")
    candidate, n = name, 2
    while candidate in existing:
        suffix = f" {n}"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    return candidate


def all_files(doc: ReportDocument, language: str = "sv") -> list[tuple[str, bytes, str]]:
    """(file name, bytes, MIME type) of the PDF, DOCX, CSV and XLSX, charts drawn once."""
    images = charts(doc, language)
    return [
        (
            filename(doc, "pdf", language),
            render_pdf(doc, language, chart_images=images),
            "application/pdf",
        ),
        (
            filename(doc, "docx", language),
            render_docx(doc, language, chart_images=images),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (filename(doc, "csv", language), render_csv(doc, language), "text/csv"),
        (
            filename(doc, "xlsx", language),
            render_xlsx(doc, language),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ]
