"""The calendar feed and the /kalender answers.

Each meeting keeps the UID of its kallelse's invitation (`views.ics`), so a meeting imported from
the `.ics` file and the same meeting in the subscription are one event in the member's calendar;
a moved meeting carries its higher SEQUENCE, a cancelled one STATUS:CANCELLED.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from i18n import _, language
from services.calendar_feed import Feed, Subscription
from storage.models import MeetingStatus
from views.agenda import item_title, meeting_title
from views.ics import meeting_event, published_calendar

# How often calendar apps should fetch the feed again (a hint; Outlook and Google decide).
REFRESH = timedelta(hours=1)


def feed_address(public_url: str, secret: str) -> str:
    """webcal:// on the public host: calendar apps subscribe to it rather than import it."""
    base = re.sub(r"^https?://", "webcal://", public_url.rstrip("/"))
    return f"{base}/kalender/{secret}.ics"


def feed_ics(feed: Feed, *, stamp: datetime) -> bytes:
    zone = ZoneInfo(feed.partnership.timezone)
    with language(feed.partnership.language):
        events = []
        for entry in feed.meetings:
            meeting = entry.meeting
            agenda = [f"{n}. {item_title(i)}" for n, i in enumerate(entry.agenda, start=1)]
            event = meeting_event(
                meeting.uid,
                meeting.sequence,
                meeting.starts_at,
                meeting.ends_at,
                zone,
                f"{meeting_title(feed.body, meeting)} – {feed.partnership.name}",
                "\n".join([_("Agenda"), *agenda]) if agenda else "",
                meeting.place,
                cancelled=meeting.status == MeetingStatus.CANCELLED,
                stamp=stamp,
                modified=meeting.updated_at,
                # A cancelled meeting stays visible as cancelled but no longer blocks the time.
                transparent=meeting.status == MeetingStatus.CANCELLED,
            )
            events.append((event, meeting.starts_at, meeting.ends_at))
        name = f"{feed.body.name} – {feed.partnership.name}"
        return published_calendar(name, feed.partnership.timezone, events, REFRESH)


def subscription_text(subscription: Subscription, address: str) -> str:
    lead = (
        _("Your new calendar address for {body} (the old one no longer works):")
        if subscription.renewed
        else _("Your personal calendar address for {body}:")
    )
    return "\n".join(
        [
            lead.format(body=subscription.body.name),
            f"<code>{address}</code>",
            "",
            _(
                "Add it to your calendar as a subscription (Outlook: Add calendar → From the "
                "internet; Google: Other calendars → From URL, with https:// instead of "
                "webcal://). It shows the group's meetings, moved and cancelled ones too, with "
                "their agendas, and keeps itself up to date. It is personal: if someone else got "
                "it, write /kalender ny in the group for a new one."
            ),
        ]
    )


def sent_privately_text() -> str:
    return _("I sent you your calendar address in a private message.")


def start_private_first(bot_username: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "Your calendar address is personal, so I send it in a private chat. Open one with me "
        "(the button), press Start, then write /kalender here again."
    )
    button = InlineKeyboardButton(_("Private chat"), url=f"https://t.me/{bot_username}")
    return text, InlineKeyboardMarkup([[button]])
