"""Documents on agenda items: the acknowledgement with its remove button, the question which
item a document goes under, and how a document is listed (kallelse, protokoll)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.textsplit import truncate_plain
from i18n import N_, _
from services.attachments import Attached
from storage.attachments import Attachment
from storage.models import AgendaItem
from views.agenda import item_title
from views.common import esc, rows

CHOOSE, REMOVE = "ab", "ax"  # "ab:<meeting>:<item>", "ax:<attachment>"
HOW_TO = N_(
    "Reply to a document with /bilaga and the item's number (for example /bilaga 5), or send the document with /bilaga 5 as its caption in reply to the kallelse."
)


def size_text(size: int) -> str:
    """ "120 kB", "2,4 MB" (Swedish decimal comma; English keeps it, as numbers in chat do)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} kB"
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")


def listed(attachment: Attachment) -> str:
    """ "Bilaga 1: Budget 2027.pdf (120 kB)" – plain text, escaped by the caller."""
    return _("Attachment {number}: {name} ({size})").format(
        number=attachment.number, name=attachment.file_name, size=size_text(attachment.size)
    )


def attached(found: Attached) -> tuple[str, InlineKeyboardMarkup]:
    a = found.attachment
    text = "📎 " + esc(
        _("{document} is attached to item {label} {item}.").format(
            document=listed(a), label=found.label, item=item_title(found.item)
        )
    )
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("🗑 " + _("Remove (chair)"), callback_data=f"{REMOVE}:{a.id}")]]
    )
    return text, keyboard


def removed(attachment: Attachment) -> str:
    return "🗑 " + esc(_("{document} has been removed.").format(document=listed(attachment)))


def which_item(
    meeting_id: int, choices: Sequence[tuple[AgendaItem, str]]
) -> tuple[str, InlineKeyboardMarkup]:
    """No (or no valid) item number: the items as buttons."""
    buttons = [
        InlineKeyboardButton(
            truncate_plain(f"{label} {item_title(item)}", 30),
            callback_data=f"{CHOOSE}:{meeting_id}:{item.id}",
        )
        for item, label in choices[:90]
    ]
    text = esc(_("Which agenda item does the document belong to?"))
    return text, InlineKeyboardMarkup(rows(buttons, 2))


def how_to() -> str:
    return esc(_(HOW_TO))
