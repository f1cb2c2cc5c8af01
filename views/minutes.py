"""The live meeting in chat: opening, attendance panel, justerare choice, the current item, and
the acknowledgements of recorded lines."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.textsplit import truncate_plain
from i18n import _, language
from services.minutes import Names, doc_language
from services.sitting import AttendanceSheet, CurrentItem, JusterareChoice
from storage.attachments import Attachment
from storage.decisions import decision_label
from storage.models import AgendaItem, Body, Decision, MinuteEntry, Partnership, Person
from views import attachments as attachment_views
from views.agenda import item_title
from views.common import esc, person_name, person_name_titled

JUSTERARE, ATTENDANCE = "mj", "na"  # "mj:<meeting>:<person>", "na:<meeting>:<person>"
MAX_BUTTONS = 90


def names_for(partnership: Partnership) -> Names:
    """How the protokoll names items and people: in the partnership's language."""
    lang = doc_language(partnership)

    def title(item: AgendaItem) -> str:
        with language(lang):
            return item_title(item)

    def name(person: Person) -> str:
        with language(lang):
            return person_name(person)

    def titled(person: Person) -> str:
        with language(lang):
            return person_name_titled(person)

    def attachment(document: Attachment) -> str:
        with language(lang):
            return attachment_views.listed(document)

    def say(msgid: str, **params: str) -> str:
        with language(lang):
            return _(msgid).format(**params)

    def day(value: date) -> str:
        return format_date(value, "d MMMM", locale=lang)

    with language(lang):
        unfiled = _("Other recorded lines")
    return Names(
        item_title=title,
        person=name,
        unfiled=unfiled,
        attachment=attachment,
        titled=titled,
        say=say,
        day=day,
    )


def opened(label: str, minute_taker: Person | None) -> str:
    return "\n".join(
        [
            _("<b>Meeting {label} is open.</b>").format(label=esc(label)),
            _("Minutes: {name}").format(
                name=esc(person_name(minute_taker)) if minute_taker else "–"
            ),
        ]
    )


def attendance_panel(sheet: AttendanceSheet) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("<b>Attendance</b> (press a name to change it)")]
    buttons = []
    for row, person, party in sheet.rows[:MAX_BUTTONS]:
        mark = "✓" if row.present else "✗"
        party_name = party.name if party else ""
        lines.append(f"{mark} {esc(person_name(person))} – {esc(party_name)}")
        label = truncate_plain(f"{mark} {person_name(person)}", 40)
        buttons.append(
            InlineKeyboardButton(
                label, callback_data=f"{ATTENDANCE}:{sheet.meeting_id}:{person.id}"
            )
        )
    present = sum(1 for row, _p, _pa in sheet.rows if row.present)
    lines.append(_("Present: {present} of {total}").format(present=present, total=len(sheet.rows)))
    keyboard = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def justerare_panel(choice: JusterareChoice) -> tuple[str, InlineKeyboardMarkup | None]:
    names = ", ".join(esc(person_name(p)) for p in choice.chosen)
    buttons = [
        InlineKeyboardButton(
            truncate_plain(("✓ " if p.id in choice.chosen_ids else "") + person_name(p), 40),
            callback_data=f"{JUSTERARE}:{choice.meeting_id}:{p.id}",
        )
        for p in choice.candidates
    ]
    text = (
        _("Justerare: {names}").format(names=names)
        if names
        else _("Choose the justerare (press a name):")
    )
    warning = justerare_absent(choice)
    if warning:
        text = f"{warning}\n{text}"
    keyboard = [buttons[i : i + 2] for i in range(0, min(len(buttons), MAX_BUTTONS), 2)]
    return text, InlineKeyboardMarkup(keyboard) if keyboard else None


def current_item(current: CurrentItem) -> str:
    position = current.position
    if position.item is None:
        return _("The agenda is empty; lines are recorded without an item.")
    lines = [f"<b>§ {position.label or position.number} {esc(item_title(position.item))}</b>"]
    return "\n".join([*lines, *item_details(current)])


def item_details(current: CurrentItem) -> list[str]:
    """What the item carries: open action items under follow-up, the previous minutes' state."""
    lines: list[str] = []
    if current.open_items is not None:
        if current.open_items:
            lines.append(_("Open action items:"))
            for item, owner in current.open_items:
                lines.append(
                    "• "
                    + _("{owner}: {text} (due {due})").format(
                        owner=esc(person_name(owner)),
                        text=esc(item.text),
                        due=item.due_on.isoformat(),
                    )
                )
        else:
            lines.append(_("No open action items."))
    elif current.no_previous:
        lines.append(_("No earlier minutes."))
    elif current.previous is not None:
        previous = current.previous
        if not previous.approved:
            lines.append(
                _("The minutes of {meeting} are not yet approved (justerade).").format(
                    meeting=esc(previous.label)
                )
            )
        else:
            text = _("The minutes of {meeting} are approved; checksum {hash}.").format(
                meeting=esc(previous.label), hash=f"<code>{esc(previous.content_hash)}</code>"
            )
            if not previous.intact:
                text += " " + _("WARNING: the stored minutes do not match their checksum.")
            lines.append(text)
    return lines


def noted(entry_id: int | None) -> str:
    return _("✍ Noted (line #{id}).").format(id=entry_id)


def decision_recorded(body: Body, decision: Decision, entry_id: int | None) -> str:
    return _("✍ Decision {label} recorded (line #{id}).").format(
        label=esc(decision_label(body, decision)), id=entry_id
    )


def action_recorded(owner: Person, due: str, entry_id: int | None) -> str:
    return _("✍ Action item for {owner}, due {due} (line #{id}).").format(
        owner=esc(person_name(owner)), due=due, id=entry_id
    )


def struck(entry_id: int) -> str:
    return _("Line #{id} struck.").format(id=entry_id)


def corrected(entry_id: int) -> str:
    return _("✍ Line #{id} corrected.").format(id=entry_id)


def written_lines(written: list[MinuteEntry]) -> str | None:
    """What the bot wrote at the close, each line with its number to correct it by."""
    if not written:
        return None
    lines = [_("I wrote the standard paragraphs:")]
    lines += [f"• {esc(entry.text)} (#{entry.id})" for entry in written]
    lines.append(_("Correct one with /andra #number new text, or strike it with /stryk #number."))
    return "\n".join(lines)


def justerare_absent(choice: JusterareChoice) -> str | None:
    """⚠ when a chosen justerare is marked absent: someone present should check the minutes."""
    if not choice.absent:
        return None
    return "⚠ " + _(
        "{names} is chosen as justerare but marked absent. Choose someone present instead "
        "(press a name to change the choice)."
    ).format(names=", ".join(esc(person_name(p)) for p in choice.absent))
