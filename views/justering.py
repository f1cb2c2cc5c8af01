"""Closing and justering in chat: the justering buttons, their answers, the files' names."""

from __future__ import annotations

import re
import unicodedata

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance import protokoll as doc
from i18n import N_, _, language
from services.justering import CHAIR, JUSTERARE
from storage.models import Partnership, ProtokollRecord
from views.common import esc
from views.minutes import doc_language

JUSTERING = "js"  # "js:<protokoll>:<a|c>": approve, or ask for a change
EXTRACT = "ux"  # "ux:<protokoll>:<§>": the extract of one paragraph
IMMEDIATE = "oj"  # "oj:<immediate justering>": approve a paragraph at once
ROLE_LABELS = {CHAIR: N_("chair"), JUSTERARE: N_("justerare")}


def file_stem(record: ProtokollRecord, p: doc.Protokoll) -> str:
    # "SG möte 3/2026" -> "protokoll-SG-mote-3-2026": ASCII, stable, the notation readable.
    plain = unicodedata.normalize("NFKD", p.meeting_number)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    stem = "protokoll-" + re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")
    if record.status != "final":
        stem += f"-utkast-v{record.version}"
    elif record.amendment_of_id is not None:
        stem += f"-v{record.version}"
    return stem.encode("ascii", "replace").decode().replace("?", "x")


def docx_name(record: ProtokollRecord, p: doc.Protokoll) -> str:
    return f"{file_stem(record, p)}.docx"


def pdf_name(record: ProtokollRecord, p: doc.Protokoll) -> str:
    return f"{file_stem(record, p)}.pdf"


def caption(record: ProtokollRecord, p: doc.Protokoll, word: bool) -> str:
    """The caption naming a protokoll file: which minutes, draft or approved, which format."""
    label = esc(p.meeting_number)
    if record.status != "final":
        text = (
            _("Minutes {label}, draft version {version} (Word)")
            if word
            else _("Minutes {label}, draft version {version} (PDF)")
        )
    elif word:
        text = _("Minutes {label}, approved, version {version} (Word)")
    else:
        text = _("Minutes {label}, approved, version {version} (PDF/A, for the records)")
    return text.format(label=label, version=record.version)


def justering_keyboard(record: ProtokollRecord) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Justera"), callback_data=f"{JUSTERING}:{record.id}:a"),
                InlineKeyboardButton(
                    _("Request a change"), callback_data=f"{JUSTERING}:{record.id}:c"
                ),
            ]
        ]
    )


def draft_for_justering(
    record: ProtokollRecord, p: doc.Protokoll
) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "Draft version {version} of the minutes {label}. The chair and the justerare: approve with Justera, or request a change."
    ).format(version=record.version, label=esc(p.meeting_number))
    return text, justering_keyboard(record)


def closed() -> str:
    return _("The meeting is closed. Here is the draft of the minutes.")


def choose_justerare_first() -> str:
    return _("Choose the justerare before closing the meeting.")


def amendment_title(partnership: Partnership) -> str:
    with language(doc_language(partnership)):
        return _("Amendment")


def change_requested(name: str) -> str:
    return _(
        "{name} requests a change. Write the reason as a reply to this message, or with /andring reason."
    ).format(name=esc(name))


def approved_waiting(waiting: tuple[str, ...]) -> str:
    roles = ", ".join(_(ROLE_LABELS[w]) for w in waiting)
    return _("Approved. Waiting for: {roles}.").format(roles=roles)


def approved_by(name: str, version: int) -> str:
    return _("✓ {name} approved version {version}.").format(name=esc(name), version=version)


def locked_toast() -> str:
    return _("Approved. The minutes are now locked.")


def locked(p: doc.Protokoll) -> str:
    return _("The minutes {label} are approved and locked.").format(label=esc(p.meeting_number))


def final_checksum(record: ProtokollRecord) -> str:
    return _("<b>Approved minutes</b>, checksum (SHA-256): <code>{hash}</code>").format(
        hash=esc(record.content_hash)
    )


def reason_noted() -> str:
    return _(
        "The request for a change is noted. The author or the chair corrects lines with /andra or /stryk (as a reply to the line); the chair then makes a new draft with /utkast."
    )


# --- protokollsutdrag -------------------------------------------------------------------------


def extract_name(p: doc.Protokoll, number: int) -> str:
    stem = "protokollsutdrag-" + re.sub(r"[^A-Za-z0-9]+", "-", p.meeting_number).strip("-")
    return f"{stem}-paragraf-{number}.pdf".encode("ascii", "replace").decode().replace("?", "x")


def extract_caption(p: doc.Protokoll, number: int) -> str:
    return _("Extract from the minutes {label}, § {number}").format(
        label=esc(p.meeting_number), number=number
    )


def revision_note(p: doc.Protokoll, number: int, decision: str, party: str) -> str:
    """Sent privately before the extract to a member of the party a revision concerns."""
    return _(
        "The minutes {label} are approved. § {number} (decision {decision}) revises the commitments of {party}; here is the extract."
    ).format(label=esc(p.meeting_number), number=number, decision=esc(decision), party=esc(party))


def choose_paragraph(record: ProtokollRecord, p: doc.Protokoll) -> tuple[str, InlineKeyboardMarkup]:
    """The paragraphs of the latest approved minutes as buttons, four to a row."""
    text = _("Which paragraph of the minutes {label} do you want as an extract?").format(
        label=esc(p.meeting_number)
    )
    buttons = [
        InlineKeyboardButton(
            f"§ {item.number} {item.title}"[:40],
            callback_data=f"{EXTRACT}:{record.id}:{item.number}",
        )
        for item in p.items[:60]
    ]
    return text, InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def extract_queued() -> str:
    return _("The extract is on its way.")


def extract_buttons(found: list[tuple[str, int, int]]) -> InlineKeyboardMarkup | None:
    """One "Extract SG 2026:2 (§ 5)" button per approved decision (at most 30)."""
    if not found:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Extract {label} (§ {number})").format(label=label, number=number),
                    callback_data=f"{EXTRACT}:{protokoll_id}:{number}",
                )
            ]
            for label, protokoll_id, number in found[-30:]
        ]
    )


# --- omedelbar justering ------------------------------------------------------------------------


def immediate_prompt(immediate_id: int, label: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "Decision {label} is to be justerad at once. The chair and the justerare: read the paragraph in the minutes so far and approve it with the button."
    ).format(label=esc(label))
    button = InlineKeyboardButton(_("Justera at once"), callback_data=f"{IMMEDIATE}:{immediate_id}")
    return text, InlineKeyboardMarkup([[button]])


def immediate_locked(number: int, label: str) -> str:
    return _(
        "§ {number} (decision {label}) is justerad at once and locked; the extract follows. The rest of the minutes follows the normal justering."
    ).format(number=number, label=esc(label))


def immediate_caption(p: doc.Protokoll, number: int) -> str:
    return _("Extract from the minutes {label}, § {number}, justerad at once").format(
        label=esc(p.meeting_number), number=number
    )
