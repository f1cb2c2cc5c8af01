"""What to say when a date or time cannot be used."""

from __future__ import annotations

from i18n import N_

DATE_ERRORS = {
    "empty": N_("Write a date, for example 2026-12-10 or 10/12."),
    "unrecognised": N_(
        "I could not read that date or time. Try for example 2026-12-10 14:00, 10/12 14, tisdag 13:30 or imorgon 9."
    ),
    "invalid_date": N_("That date does not exist. Check the day and the month."),
    "invalid_time": N_("That time does not exist. Use 00:00–23:59."),
    "missing_time": N_("Say what time too, for example 2026-12-10 14:00."),
    "in_past": N_("That is in the past. Choose a later date and time."),
    "too_far": N_("That is too far ahead. Choose a date within the next five years."),
    "non_ascii_digits": N_("Please write the date with ordinary digits (0–9)."),
    "nonexistent_local_time": N_(
        "That time does not exist on that day: the clocks are put forward then. Choose another time."
    ),
}


def date_error_text(code: str) -> str:
    """The message id for a parse error code (translated by the caller)."""
    return DATE_ERRORS.get(code, DATE_ERRORS["unrecognised"])


def day_first() -> bool:
    """How the writer reads "3/4": day/month in Swedish (3 April, never asked); an English
    speaker is asked which they meant."""
    from i18n import current_language

    return current_language() != "en"
