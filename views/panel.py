"""The meeting panel: one message the chair runs the meeting from, edited in place.

It always starts with the same header (the meeting, where it stands, attendance), so no press
ever edits the opening away; below it, what the chosen mode shows, and its buttons:

- main: the current item and what was recorded under it, Nästa punkt ▶, Punkter ☰, Närvaro,
  Justerare (until one is chosen), Ny omröstning, Avsluta mötet;
- items: the agenda as buttons, to jump to any item;
- attendance: each member as a button that toggles present/absent;
- justerare: the present members who may check the minutes;
- vote: a vote on the current item with one press (or the question as a reply to the panel);
- close: "close the meeting and write the draft protokoll?".

Rendered in the partnership's language (the whole body reads it). Callback data
`pn:<meeting>:<op>[:<arg>]`, at most 3 + 13 + 2 + 13 bytes.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.textsplit import truncate_plain
from i18n import _, ngettext
from services.minutes import EntryKind
from services.panel import Panel
from views.agenda import item_title, meeting_title
from views.common import esc, person_name, rows
from views.minutes import item_details

PREFIX = "pn"
MAIN, ITEMS, ATTENDANCE, JUSTERARE, VOTE, CLOSE = "main", "items", "attendance", "justerare", "vote", "close"  # fmt: skip
MODES = (MAIN, ITEMS, ATTENDANCE, JUSTERARE, VOTE, CLOSE)
# ops: n(ext) g(o to item) m(ode) t(oggle attendance) s(elect justerare) V(ote on the item)
# E(nd, confirmed)
OPS = "ngmtsVE"
LABEL_WIDTH = 40
INLINE_CANDIDATES = 4  # more than this: the Justerare button and its own list


def _data(panel: Panel, op: str, arg: object = "") -> str:
    return f"{PREFIX}:{panel.meeting.id}:{op}" + (f":{arg}" if arg != "" else "")


def _button(panel: Panel, text: str, op: str, arg: object = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=_data(panel, op, arg))


def _names(people: list) -> str:  # type: ignore[type-arg]
    return ", ".join(esc(person_name(p)) for p in people)


def header(panel: Panel) -> list[str]:
    """The lines every mode starts with."""
    meeting = panel.meeting
    title = esc(meeting_title(panel.body, meeting))
    if panel.closed:
        lines = ["⏹ " + _("<b>{title}</b> is closed.").format(title=title)]
    else:
        lines = ["🟢 " + _("<b>{title}</b> is in session").format(title=title)]
    lines.append(
        esc(
            _("Present: {present} of {expected}").format(
                present=panel.present, expected=panel.expected
            )
        )
        + " · "
        + (
            _("Justerare: {names}").format(names=_names(panel.justerare))
            if panel.justerare
            else esc(_("Justerare: not chosen yet"))
        )
    )
    if panel.minute_taker is not None:
        lines.append(_("Minutes: {name}").format(name=esc(person_name(panel.minute_taker))))
    return lines


def _recorded(panel: Panel) -> str:
    counts = panel.counts
    if not any(counts.values()) and not panel.attachments:
        return esc(_("Nothing recorded under this item yet."))
    parts = [
        ngettext("{n} note", "{n} notes", counts[EntryKind.NOTE]).format(n=counts[EntryKind.NOTE]),
        ngettext("{n} decision", "{n} decisions", counts[EntryKind.DECISION]).format(
            n=counts[EntryKind.DECISION]
        ),
        ngettext("{n} action item", "{n} action items", counts[EntryKind.ACTION]).format(
            n=counts[EntryKind.ACTION]
        ),
    ]
    if panel.attachments:
        parts.append(
            ngettext("{n} document", "{n} documents", panel.attachments).format(n=panel.attachments)
        )
    return esc(_("Recorded here: {what}").format(what=", ".join(parts)))


def _current(panel: Panel) -> list[str]:
    position = panel.position
    if position.item is None:
        return [esc(_("The agenda is empty; lines are recorded without an item."))]
    # The § alone says where the meeting is: a second count ("item 7 of 10") beside "§ 6.1"
    # only made the chair wonder which number was right.
    lines = [
        "▶ " + f"<b>§ {esc(position.label)} {esc(item_title(position.item))}</b>",
        *(item_details(panel.details) if panel.details is not None else []),
        _recorded(panel),
    ]
    if panel.open_votes:
        lines.append(
            esc(
                ngettext(
                    "{n} vote is open: close it with Close on the vote.",
                    "{n} votes are open: close them with Close on each vote.",
                    len(panel.open_votes),
                ).format(n=len(panel.open_votes))
            )
        )
    if not panel.justerare and _inline_candidates(panel):
        lines.append(esc(_("Choose the justerare: press a name.")))
    lines.append(esc(_("Write /anteckning, /beslut or /uppgift: it is recorded under this item.")))
    return lines


def _inline_candidates(panel: Panel) -> list:  # type: ignore[type-arg]
    """Until a justerare is chosen, the few present members who may be one stand right on the
    main panel: one press instead of two."""
    choice = panel.choice
    if choice is None or not choice.candidates or len(choice.candidates) > INLINE_CANDIDATES:
        return []
    return list(choice.candidates)


def render(
    panel: Panel, mode: str = MAIN, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The panel's text and buttons in `mode` (a closed meeting has no buttons)."""
    lines = header(panel)
    lines.append("")
    if panel.closed:
        lines.append(esc(_("The draft protokoll follows; the chair and the justerare approve it.")))
        return "\n".join(lines), None
    if mode == ITEMS:
        lines.append(esc(_("Jump to an item:")))
        body, keyboard = _items(panel)
    elif mode == ATTENDANCE:
        body, keyboard = _attendance(panel)
    elif mode == JUSTERARE:
        body, keyboard = _justerare(panel)
    elif mode == VOTE:
        body, keyboard = _vote(panel)
    elif mode == CLOSE:
        body, keyboard = _close(panel)
    else:
        body, keyboard = _current(panel), _main_keyboard(panel)
    lines += body
    if note:
        lines += ["", f"<i>{esc(note)}</i>"]
    return "\n".join(lines), keyboard


def _back(panel: Panel) -> list[InlineKeyboardButton]:
    return [_button(panel, "◀ " + _("Back"), "m", MAIN)]


def _main_keyboard(panel: Panel) -> InlineKeyboardMarkup:
    keyboard = []
    candidates = [] if panel.justerare else _inline_candidates(panel)
    if candidates:
        names = [
            _button(panel, truncate_plain("✍ " + person_name(p), LABEL_WIDTH // 2), "s", p.id)
            for p in candidates
        ]
        keyboard += rows(names, 2)
    if not panel.position.last:
        keyboard.append([_button(panel, _("Next item") + " ▶", "n")])
    third = [] if candidates else [_button(panel, "✍ " + _("Justerare"), "m", JUSTERARE)]
    keyboard.append(
        [
            _button(panel, "☰ " + _("Items"), "m", ITEMS),
            _button(panel, "👥 " + _("Attendance"), "m", ATTENDANCE),
            *third,
        ]
    )
    keyboard.append(
        [
            _button(panel, "🗳 " + _("New vote"), "m", VOTE),
            _button(panel, "⏹ " + _("Close the meeting"), "m", CLOSE),
        ]
    )
    return InlineKeyboardMarkup(keyboard)


def _items(panel: Panel) -> tuple[list[str], InlineKeyboardMarkup]:
    current = panel.position.item.id if panel.position.item is not None else None
    buttons = [
        _button(
            panel,
            truncate_plain(
                ("▶ " if entry.item.id == current else "")
                + f"{entry.label} {item_title(entry.item)}",
                LABEL_WIDTH,
            ),
            "g",
            entry.item.id,
        )
        for entry in panel.items[:90]
    ]
    return [], InlineKeyboardMarkup([*[[b] for b in buttons], _back(panel)])


def _attendance(panel: Panel) -> tuple[list[str], InlineKeyboardMarkup]:
    lines = [esc(_("Press a name to mark them present (✓) or absent (✗)."))]
    buttons = []
    assert panel.sheet is not None
    for row, person, _party in panel.sheet.rows[:90]:
        mark = "✓" if row.present else "✗"
        label = truncate_plain(f"{mark} {person_name(person)}", LABEL_WIDTH // 2)
        buttons.append(_button(panel, label, "t", person.id))
    return lines, InlineKeyboardMarkup([*rows(buttons, 2), _back(panel)])


def _justerare(panel: Panel) -> tuple[list[str], InlineKeyboardMarkup]:
    choice = panel.choice
    assert choice is not None
    if not choice.candidates:
        lines = [esc(_("Mark who is present first: the justerare is one of them (not the chair)."))]
        return lines, InlineKeyboardMarkup([_back(panel)])
    lines = [esc(_("Who checks the minutes with the chair? Press a name (again to undo)."))]
    buttons = [
        _button(
            panel,
            truncate_plain(
                ("✓ " if p.id in choice.chosen_ids else "") + person_name(p), LABEL_WIDTH
            ),
            "s",
            p.id,
        )
        for p in choice.candidates[:90]
    ]
    return lines, InlineKeyboardMarkup([*rows(buttons, 2), _back(panel)])


def _vote(panel: Panel) -> tuple[list[str], InlineKeyboardMarkup]:
    item = panel.position.item
    lines = [
        esc(
            _(
                "Vote on the current item with the button, or reply to this message with your own question."
            )
        )
    ]
    keyboard = []
    if item is not None:
        keyboard.append(
            [
                _button(
                    panel,
                    truncate_plain(
                        "🗳 " + _("Vote on: {item}").format(item=item_title(item)), LABEL_WIDTH
                    ),
                    "V",
                )
            ]
        )
    keyboard.append(_back(panel))
    return lines, InlineKeyboardMarkup(keyboard)


def vote_question(panel: Panel) -> str:
    """The question of a vote opened on the current item with one press."""
    item = panel.position.item
    assert item is not None
    return _("Does the meeting approve § {label} {item}?").format(
        label=panel.position.label, item=item_title(item)
    )


def _close(panel: Panel) -> tuple[list[str], InlineKeyboardMarkup]:
    if not panel.justerare:
        return _justerare_first(panel)
    lines = [
        esc(_("Close the meeting now? The draft protokoll is written and sent for justering."))
    ]
    if panel.open_votes:
        lines.append(
            esc(
                ngettext(
                    "{n} vote is still open: close it first, or it stays open after the meeting.",
                    "{n} votes are still open: close them first, or they stay open after the meeting.",
                    len(panel.open_votes),
                ).format(n=len(panel.open_votes))
            )
        )
    keyboard = [[_button(panel, "✅ " + _("Yes, close the meeting"), "E")], _back(panel)]
    return lines, InlineKeyboardMarkup(keyboard)


def _justerare_first(panel: Panel) -> tuple[list[str], InlineKeyboardMarkup]:
    lines, keyboard = _justerare(panel)
    return [esc(_("Choose the justerare before closing the meeting.")), *lines], keyboard
