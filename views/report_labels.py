"""Names of the report's figures in a language: genders, age bands, themes, steps, periods.

Shared by the chat texts (`views.report`), the files (`views.report_files`) and the reminders.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from governance.countries import country_name
from i18n import N_, t

__all__ = [
    "AGE_LABELS",
    "GENDER_LABELS",
    "STEP_LABELS",
    "THEME_LABELS",
    "comparison_label",
    "long_date",
    "period_text",
]

GENDER_LABELS = {"women": N_("Women"), "men": N_("Men"), "other": N_("Other / not stated")}
AGE_LABELS = {
    "0-17": "0–17",
    "18-29": "18–29",
    "30-49": "30–49",
    "50-64": "50–64",
    "65+": "65+",
    "unknown": N_("Age not stated"),
}
THEME_LABELS = {
    "treatment": N_("Treatment by staff"),
    "opening_hours": N_("Opening hours"),
    "food": N_("Food"),
    "premises": N_("Premises and hygiene"),
    "night_places": N_("Night places"),
    "information": N_("Information and advice"),
    "safety": N_("Safety"),
    "other": N_("Other"),
}
STEP_LABELS = {
    "total": N_("Total"),
    "gender": N_("Gender"),
    "countries": N_("Countries of origin"),
    "age": N_("Age"),
    "night": N_("Night places"),
    "hours": N_("Opening hours"),
    "complaints": N_("Feedback and complaints"),
    "themes": N_("Themes"),
    "needs": N_("How needs were met"),
}
NIGHT_LABELS = {
    "offered": N_("Place-nights offered"),
    "used": N_("Place-nights used"),
    "turned_away": N_("Turned away for lack of a place"),
}


def _locale(language: str) -> str:
    return "en" if language == "en" else "sv"


def long_date(day: date, language: str) -> str:
    return format_date(day, "long", locale=_locale(language))


def period_text(start: date, end: date, language: str) -> str:
    """'november 2025–april 2026' / 'maj–oktober 2025'."""
    locale = _locale(language)
    if start.year == end.year:
        first = format_date(start, "LLLL", locale=locale)
        return f"{first}–{format_date(end, 'LLLL y', locale=locale)}"
    return (
        f"{format_date(start, 'LLLL y', locale=locale)}–{format_date(end, 'LLLL y', locale=locale)}"
    )


def age_label(band: str, language: str) -> str:
    label = AGE_LABELS.get(band, band)
    return t(language, label) if band == "unknown" else label


def comparison_label(
    label: str, language: str, counted: str = "visitors", *, short: bool = False
) -> str:
    """The comparison row's name: "total", "gender.women", "country.RO", "night.used", …"""
    kind, _, key = label.partition(".")
    if kind == "total":
        return t(language, N_("Reached, total") if counted == "reached" else N_("Visitors, total"))
    if kind == "gender":
        return t(language, GENDER_LABELS.get(key, key))
    if kind == "country" and short:
        return country_name(key, language)
    if kind == "country":
        return t(language, N_("Origin: {country}")).format(country=country_name(key, language))
    if kind == "night":
        return t(language, NIGHT_LABELS.get(key, key))
    if kind == "hours":
        return t(language, N_("Opening hours held"))
    if kind == "complaints":
        return t(language, N_("Feedback and complaints"))
    return label
