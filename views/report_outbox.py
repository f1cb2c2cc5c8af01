"""Outbox renderers of the activity report (registered on import).

* ``report.files`` (heavy: runs in the dispatcher's worker thread): the compiled report's summary,
  its PDF, DOCX, CSV and XLSX, and, in the samverkansgrupp, the chair's button that sends it on
  to the styrgrupp. Built at send time from the row's payload, so the transaction that compiles
  holds no lock while charts are drawn.
* ``report.private_reminder``: a member's private reminder that their activity has not
  submitted its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from delivery.parts import Button, Document, Part, Text
from delivery.renderers import escape, register, with_late_note
from governance.reminder_times import OVERDUE
from i18n import N_, t
from views.report_files import ReportDocument, all_files, fmt, title
from views.report_labels import long_date, period_text

__all__ = ["FILES_KIND", "PRIVATE_REMINDER_KIND", "render_files", "render_private_reminder"]

FILES_KIND = "report.files"
PRIVATE_REMINDER_KIND = "report.private_reminder"
SEND_ON = "rps"  # views.report.SEND_ON


def _summary(doc: ReportDocument, language: str, *, to_styrgrupp: bool) -> str:
    c = doc.current
    lines = [f"📊 <b>{escape(title(doc, language))}</b> · {escape(doc.diarienummer)}"]
    if to_styrgrupp:
        lines.append(
            escape(t(language, N_("The samverkansgrupp's joint report to the styrgrupp.")))
        )
    counted = N_("Reached") if doc.counted == "reached" else N_("Visitors")
    lines.append(f"{escape(t(language, counted))}: <b>{fmt(c.total, language)}</b>")
    top = c.top_countries()[:3]
    if top:
        from governance.countries import country_name

        lines.append(
            escape(t(language, N_("Most frequent countries: {countries}"))).format(
                countries=", ".join(
                    f"{escape(country_name(code, language))} {fmt(n, language)}" for code, n in top
                )
            )
        )
    missing = c.missing
    if missing:
        lines.append(
            "⚠️ "
            + escape(t(language, N_("Not submitted: {names}."))).format(
                names=", ".join(escape(u.name) for u in missing)
            )
        )
    lines.append(
        escape(t(language, N_("The report as PDF and DOCX, the figures as CSV and XLSX.")))
    )
    return "\n".join(lines)


def render_files(payload: dict[str, Any], language: str, late: bool) -> Sequence[Part | str]:
    doc = ReportDocument.from_payload(payload)
    to_styrgrupp = bool(payload.get("to_styrgrupp"))
    parts: list[Part | str] = [
        Text(with_late_note(_summary(doc, language, to_styrgrupp=to_styrgrupp), language, late))
    ]
    for name, data, mime in all_files(doc, language):
        parts.append(Document(name, data=data, mime_type=mime))
    if payload.get("send_button"):
        parts.append(
            Text(
                escape(
                    t(
                        language,
                        N_("When the chair has read it, the report goes on to the styrgrupp:"),
                    )
                ),
                keyboard=(
                    (
                        Button(
                            t(language, N_("Send to the styrgrupp")),
                            data=f"{SEND_ON}:{payload['report_id']}",
                        ),
                    ),
                ),
            )
        )
    return parts


def render_private_reminder(payload: dict[str, Any], language: str, late: bool) -> str:
    params = payload.get("params") or {}
    period = period_text(
        date.fromisoformat(str(params["period_start"])),
        date.fromisoformat(str(params["period_end"])),
        language,
    )
    due = date.fromisoformat(str(payload["due"]))
    units = ", ".join(escape(u) for u in payload.get("units") or [])
    if payload.get("label") == OVERDUE:
        head = t(language, N_("The activity report {period} was due {day}.")).format(
            period=period, day=long_date(due, language)
        )
    else:
        head = t(language, N_("The activity report {period} is due {day}.")).format(
            period=period, day=long_date(due, language)
        )
    lines = [
        f"⏰ <b>{escape(head)}</b> · {escape(payload.get('diarienummer', ''))}",
        escape(t(language, N_("Not yet submitted: {names}."))).format(names=units),
        escape(
            t(
                language,
                N_("Write /report here to fill in the figures (or press the button in the group)."),
            )
        ),
    ]
    return with_late_note("\n".join(lines), language, late)


register(FILES_KIND, render_files, heavy=True)
register(PRIVATE_REMINDER_KIND, render_private_reminder)
