"""How meetings and agenda items are named, in the current language (shared by the kallelse,
the live meeting, the protokoll and the lists)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from governance import agenda as rules
from i18n import N_, _, current_language
from storage.models import AgendaItem, Body, Meeting

STANDARD_TITLES: dict[str, str] = {
    rules.StandardKey.OPENING: N_("Opening of the meeting"),
    rules.StandardKey.JUSTERARE: N_("Choice of a person to check the minutes (justerare)"),
    rules.StandardKey.APPROVE_AGENDA: N_("Approval of the agenda"),
    rules.StandardKey.PREVIOUS_MINUTES: N_("Previous minutes"),
    rules.StandardKey.FOLLOWUP: N_("Follow-up of open action items"),
    rules.StandardKey.ESCALATIONS: N_("Items raised from the samverkansgrupp"),
    rules.StandardKey.REPORTS: N_("Reports"),
    rules.StandardKey.OTHER_BUSINESS: N_("Other business"),
    rules.StandardKey.CLOSING: N_("Closing of the meeting"),
}
_DATE_PATTERNS = {"sv": "EEEE d MMMM y 'kl.' HH:mm", "en": "EEEE d MMMM y 'at' HH:mm"}


def item_title(item: AgendaItem) -> str:
    if item.standard_key in STANDARD_TITLES:
        return _(STANDARD_TITLES[item.standard_key])
    return item.title


def meeting_title(body: Body, meeting: Meeting) -> str:
    if meeting.number is not None and meeting.year is not None:
        return _("{body}, meeting {number}/{year}").format(
            body=body.name, number=meeting.number, year=meeting.year
        )
    return _("{body}, meeting").format(body=body.name)


def when_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """ "torsdag 10 december 2026 kl. 14:00–15:30 (CET)" in the current language."""
    lang = current_language()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    pattern = _DATE_PATTERNS.get(lang, _DATE_PATTERNS["sv"])
    text = format_datetime(local_start, pattern, locale=lang)
    if local_end.date() == local_start.date():
        text += "–" + local_end.strftime("%H:%M")
    else:
        text += " – " + format_datetime(local_end, pattern, locale=lang)
    return f"{text} ({local_start.tzname()})"


def short_when(start: datetime, tz: ZoneInfo) -> str:
    local = start.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
