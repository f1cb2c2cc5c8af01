"""How meetings and agenda items are named, in the current language (shared by the kallelse,
the live meeting, the protokoll and the lists)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from governance import agenda as rules
from i18n import N_, _, current_language
from storage.models import AgendaItem, Body, Meeting
from views.common import clock, clock_pattern, zone_note

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
_DATE_PATTERNS = {"sv": "EEEE d MMMM y 'kl.' ", "en": "EEEE d MMMM y 'at' "}


def agenda_labels(items: list[AgendaItem]) -> dict[int, str]:
    """Each shown item's number ("5"; "6.1" for a question under its heading)."""
    return rules.labels(
        [
            rules.AgendaEntry(i.id, i.kind, i.standard_key, i.dropped)
            for i in items
            if i.id is not None
        ]
    )


def item_title(item: AgendaItem) -> str:
    if item.standard_key in STANDARD_TITLES:
        return _(STANDARD_TITLES[item.standard_key])
    return item.title


def meeting_title(body: Body, meeting: Meeting) -> str:
    if meeting.number is not None and meeting.year is not None:
        return _("{body}, meeting {number}/{year}").format(
            body=body.name, number=meeting.number, year=meeting.year
        )
    return _("{body}, new meeting").format(body=body.name)


def when_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """ "torsdag 10 december 2026 kl. 14.00–15.30" (English: "… at 14:00–15:30 (CET)") in the
    current language."""
    lang = current_language()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    pattern = _DATE_PATTERNS.get(lang, _DATE_PATTERNS["sv"]) + clock_pattern(lang)
    text = format_datetime(local_start, pattern, locale=lang)
    if local_end.date() == local_start.date():
        text += "–" + clock(local_end, lang)
    else:
        text += " – " + format_datetime(local_end, pattern, locale=lang)
    return text + zone_note(local_start, lang)


def short_when(start: datetime, tz: ZoneInfo) -> str:
    """ "2026-12-10 kl. 14.00" (English: "2026-12-10 14:00 CET")."""
    local = start.astimezone(tz)
    if current_language() == "en":
        return f"{local:%Y-%m-%d} {clock(local, 'en')} {local.tzname()}"
    return f"{local:%Y-%m-%d} kl. {clock(local, 'sv')}"
