"""The kallelse and its draft, the RSVP count, the invitation (.ics), the notices of a moved or
cancelled meeting, and /moten – in the current language (group-facing texts are rendered inside
`language(partnership.language)` by the caller)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance import agenda as rules
from governance.textsplit import split_html, truncate_plain
from i18n import N_, _, current_language
from services.justering import ProtokollState
from services.kallelse import Kallelse, MeetingLine
from services.meetings import RsvpSummary
from storage.attachments import Attachment
from storage.models import AgendaItem, Body, Meeting, MeetingStatus, Partnership, Person, RsvpAnswer
from views import attachments as attachment_views
from views import links
from views.agenda import agenda_labels, item_title, meeting_title, short_when, when_text
from views.common import esc, person_name
from views.ics import Method, Organizer, meeting_ics

RSVP, AGENDA, PUBLISH, WHEN_NEW, WHEN_MOVE, CANCEL = "rv", "ma", "mp", "mw", "mf", "mx"
ANSWER_CODES = {"y": RsvpAnswer.YES, "n": RsvpAnswer.NO, "m": RsvpAnswer.MAYBE}
MAX_NAMES_SHOWN = 30

ANSWER_LABELS = {
    RsvpAnswer.YES: N_("Coming"),
    RsvpAnswer.NO: N_("Not coming"),
    RsvpAnswer.MAYBE: N_("Maybe"),
}


def answer_label(answer: str) -> str:
    return _(ANSWER_LABELS[RsvpAnswer(answer)])


def _header(partnership: Partnership, body: Body, meeting: Meeting, *, kind: str) -> list[str]:
    tz = ZoneInfo(partnership.timezone)
    title = esc(meeting_title(body, meeting))
    lines = []
    if kind == "cancelled":
        lines.append(_("<b>CANCELLED</b>: {title}").format(title=title))
    elif kind == "draft":
        lines.append(_("<b>Draft kallelse</b>: {title}").format(title=title))
    else:
        lines.append(_("<b>Kallelse</b>: {title}").format(title=title))
    lines.append(esc(partnership.name))
    lines.append(
        _("<b>When:</b> {when}").format(when=esc(when_text(meeting.starts_at, meeting.ends_at, tz)))
    )
    place = esc(meeting.place) if meeting.place else esc(_("to be announced"))
    lines.append(_("<b>Where:</b> {place}").format(place=place))
    return lines


def _details(k: Kallelse) -> dict[str, list[str]]:
    """What the standard items carry: unapproved previous minutes, open action items."""
    followup = [
        _("{owner}, by {due}: {text}").format(
            owner=person_name(owner), due=item.due_on.isoformat(), text=item.text
        )
        for item, owner in k.open_items
    ]
    pending = [previous_minutes(k.previous)]
    if k.pending_minutes:
        pending.append(
            _("Minutes not yet approved: {labels}").format(labels=", ".join(k.pending_minutes))
        )
    return {rules.StandardKey.PREVIOUS_MINUTES: pending, rules.StandardKey.FOLLOWUP: followup}


def _agenda_lines(
    items: Sequence[AgendaItem],
    names: dict[int, Person],
    details: dict[str, list[str]] | None = None,
    documents: Sequence[Attachment] = (),
) -> list[str]:
    lines = [_("<b>Agenda</b>")]
    labels = agenda_labels(list(items))
    for item in items:
        if item.dropped:
            continue
        label = labels.get(item.id or 0, "")
        # A question raised from the samverkansgrupp stands under its heading ("6.1").
        indent = "   " if "." in label else ""
        line = f"{indent}{label}. {esc(item_title(item))}"
        if item.kind == rules.ItemKind.MEMBER and item.added_by_person_id in names:
            line += " " + esc(
                _("(raised by {name})").format(name=person_name(names[item.added_by_person_id]))
            )
        lines.append(line)
        for detail in (details or {}).get(item.standard_key or "", []):
            lines.append(f"   – {esc(detail)}")
        for document in documents:
            if document.agenda_item_id == item.id:
                lines.append(f"{indent}   📎 {esc(attachment_views.listed(document))}")
    return lines


def rsvp_lines(summary: RsvpSummary) -> list[str]:
    """The live count on the kallelse: who answered what, and how many have not answered."""
    lines = [_("<b>Answers</b>")]
    for answer_value in (RsvpAnswer.YES, RsvpAnswer.NO, RsvpAnswer.MAYBE):
        persons = summary.by_answer.get(answer_value, [])
        shown = ", ".join(esc(person_name(p)) for p in persons[:MAX_NAMES_SHOWN])
        if len(persons) > MAX_NAMES_SHOWN:
            shown += ", …"
        label = esc(_(ANSWER_LABELS[answer_value]))
        lines.append(f"{label} ({len(persons)})" + (f": {shown}" if shown else ""))
    lines.append(esc(_("Not answered yet: {count}").format(count=len(summary.unanswered))))
    lines.append(
        esc(
            _(
                "Answer with the buttons. Whoever has not answered gets a reminder in a private chat with me, once they have started one."
            )
        )
    )
    return lines


def rsvp_keyboard(meeting_id: int, body_id: int | None = None) -> InlineKeyboardMarkup:
    """Kommer / Kommer inte / Kanske, and (with the body) the button that starts the private
    chat where reminders come."""
    rows = [
        [
            InlineKeyboardButton(
                _(ANSWER_LABELS[value]), callback_data=f"{RSVP}:{meeting_id}:{code}"
            )
            for code, value in ANSWER_CODES.items()
        ]
    ]
    start = (
        links.start_button(links.body_payload(body_id), current_language())
        if body_id is not None
        else None
    )
    if start is not None:
        rows.append([links.ptb_button(start)])
    return InlineKeyboardMarkup(rows)


def kallelse_parts(k: Kallelse) -> tuple[list[str], str]:
    """The agenda messages that go before the panel (empty when all fits in one message) and
    the panel: the message with the answers and the buttons, edited in place later."""
    cancelled = k.meeting.status == MeetingStatus.CANCELLED
    header = _header(
        k.partnership, k.body, k.meeting, kind="cancelled" if cancelled else "published"
    )
    agenda = _agenda_lines(k.items, k.raisers, _details(k), k.attachments)
    answers = [] if cancelled or k.rsvp is None else rsvp_lines(k.rsvp)
    full = "\n".join([*header, "", *agenda, *(["", *answers] if answers else [])])
    if len(split_html(full)) == 1:
        return [], full
    before = split_html("\n".join([*header, "", *agenda]))
    note = esc(_("The agenda is in the messages above."))
    panel = "\n".join([*header, note, *(["", *answers] if answers else [])])
    return before, panel


def panel_keyboard(meeting: Meeting) -> InlineKeyboardMarkup | None:
    """The RSVP buttons while the meeting is published; none once it is cancelled."""
    if meeting.status != MeetingStatus.PUBLISHED or meeting.id is None:
        return None
    return rsvp_keyboard(meeting.id, meeting.body_id)


def _preview_text(k: Kallelse, selected: int | None) -> str:
    """The chair's draft: every item numbered (dropped ones struck through), in one message."""
    header = _header(k.partnership, k.body, k.meeting, kind="draft")
    help_text = esc(
        _(
            "Press an item's number to move or drop it. Members add items with /punkt. Press Publish when the agenda is ready."
        )
    )
    text = ""
    for width in (200, 60, 30, 12):
        lines = [*header, "", _("<b>Agenda</b>")]
        for number, item in enumerate(k.items, start=1):
            title = esc(truncate_plain(item_title(item), width))
            mark = "▶ " if item.id == selected else ""
            line = f"{mark}{number}. {title}"
            if item.dropped:
                line = f"<s>{line}</s> " + esc(_("(dropped)"))
            lines.append(line)
        text = "\n".join([*lines, "", help_text])
        if len(split_html(text)) == 1:
            return text
    return text


def _preview_keyboard(
    meeting_id: int, items: Sequence[AgendaItem], selected: int | None
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    chosen = next((i for i in items if i.id == selected), None)
    if chosen is not None:
        # The buttons say what they move: "▲ 5 Nattplatser".
        prefix = f"{AGENDA}:{meeting_id}:{chosen.id}"
        number = next(n for n, i in enumerate(items, start=1) if i.id == chosen.id)
        what = truncate_plain(f"{number} {item_title(chosen)}", 30)
        rows.append([InlineKeyboardButton(f"▲ {what}", callback_data=f"{prefix}:u")])
        rows.append([InlineKeyboardButton(f"▼ {what}", callback_data=f"{prefix}:d")])
        if chosen.dropped:
            label = "↩ " + _("Restore {item}").format(item=what)
            rows.append([InlineKeyboardButton(label, callback_data=f"{prefix}:r")])
        else:
            label = "✕ " + _("Drop {item}").format(item=what)
            rows.append([InlineKeyboardButton(label, callback_data=f"{prefix}:x")])
        rows.append([InlineKeyboardButton(_("Done"), callback_data=f"{AGENDA}:{meeting_id}:0:o")])
        return InlineKeyboardMarkup(rows)
    movable = [
        InlineKeyboardButton(
            truncate_plain(f"{number} {item_title(item)}", 24),
            callback_data=f"{AGENDA}:{meeting_id}:{item.id}:s",
        )
        for number, item in enumerate(items, start=1)
        if item.standard_key not in rules.LOCKED
    ]
    rows += [movable[i : i + 2] for i in range(0, len(movable), 2)]
    rows.append(
        [
            # Members may add items after the draft was shown: the chair sees them on refresh.
            InlineKeyboardButton("↻ " + _("Refresh"), callback_data=f"{AGENDA}:{meeting_id}:0:o"),
            InlineKeyboardButton(_("Publish"), callback_data=f"{PUBLISH}:{meeting_id}"),
        ]
    )
    # Telegram refuses more than 100 buttons; the agenda's own limit keeps well below.
    assert sum(len(r) for r in rows) <= 100
    return InlineKeyboardMarkup(rows)


def draft(k: Kallelse, selected: int | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """The chair's draft kallelse with its agenda buttons."""
    assert k.meeting.id is not None
    return _preview_text(k, selected), _preview_keyboard(k.meeting.id, k.items, selected)


def ics(k: Kallelse, *, now: datetime) -> tuple[bytes, str]:
    """The invitation and its file name: PUBLISH (a cancelled meeting as STATUS:CANCELLED), or
    REQUEST / CANCEL from the organizer the partnership file names (`views.ics`)."""
    partnership, body, meeting = k.partnership, k.body, k.meeting
    # The stored file was validated when imported (`[calendar]`, governance.partnership_schema).
    settings = (partnership.spec or {}).get("calendar") or {}
    email, name = settings.get("organizer_email"), settings.get("organizer_name")
    organizer = Organizer(str(email), str(name) if name else None) if email else None
    cancelled = meeting.status == MeetingStatus.CANCELLED
    method: Method = "PUBLISH" if organizer is None else "CANCEL" if cancelled else "REQUEST"
    tz = ZoneInfo(partnership.timezone)
    items = [i for i in k.items if not i.dropped]
    description = "\n".join(
        [_("Agenda"), *(f"{n}. {item_title(i)}" for n, i in enumerate(items, start=1))]
    )
    summary = f"{meeting_title(body, meeting)} – {partnership.name}"
    data = meeting_ics(
        meeting.uid,
        meeting.sequence,
        meeting.starts_at,
        meeting.ends_at,
        tz,
        summary,
        description,
        meeting.place,
        method,
        stamp=now,
        cancelled=cancelled,
        organizer=organizer,
    )
    local = meeting.starts_at.astimezone(tz)
    name = f"{body.decision_prefix.lower()}-{local:%Y-%m-%d-%H%M}.ics"
    name = name.encode("ascii", "replace").decode().replace("?", "x")
    return data, name


def invitation_caption(body: Body, meeting: Meeting) -> str:
    return _("Calendar invitation: {title}").format(title=meeting_title(body, meeting))


def published() -> str:
    return _("The kallelse has been published.")


def moved_notice(k: Kallelse, old: datetime) -> str:
    tz = ZoneInfo(k.partnership.timezone)
    meeting = k.meeting
    return _(
        "<b>The meeting has been moved</b>: {title}\nFrom {old}\nTo {new}\nWhere: {place}\nPlease answer again with the buttons on the kallelse."
    ).format(
        title=esc(meeting_title(k.body, meeting)),
        old=esc(short_when(old, tz)),
        new=esc(when_text(meeting.starts_at, meeting.ends_at, tz)),
        place=esc(meeting.place or _("to be announced")),
    )


def moved_caption(body: Body, meeting: Meeting) -> str:
    return _("Updated calendar invitation: {title}").format(title=meeting_title(body, meeting))


def cancelled_notice(k: Kallelse) -> str:
    tz = ZoneInfo(k.partnership.timezone)
    return _("<b>The meeting has been cancelled</b>: {title}, {when}").format(
        title=esc(meeting_title(k.body, k.meeting)),
        when=esc(when_text(k.meeting.starts_at, k.meeting.ends_at, tz)),
    )


def cancelled_caption(body: Body, meeting: Meeting) -> str:
    return _("Cancelled: {title}").format(title=meeting_title(body, meeting))


def cancelled_done(meeting: Meeting, tz: ZoneInfo) -> str:
    return _("The meeting {when} has been cancelled.").format(
        when=short_when(meeting.starts_at, tz)
    )


def cancel_choice(meetings: Sequence[Meeting], tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        [
            InlineKeyboardButton(
                _("Cancel {when}").format(when=short_when(m.starts_at, tz))
                + (" " + _("(draft)") if m.status == MeetingStatus.DRAFT else ""),
                callback_data=f"{CANCEL}:{m.id}",
            )
        ]
        for m in meetings
    ]
    text = esc(
        _("Which meeting do you want to cancel? Everyone is told, and the invitation is withdrawn.")
    )
    return text, InlineKeyboardMarkup(buttons)


def which_time(
    candidates: Sequence[datetime], tz: ZoneInfo, prefix: str
) -> tuple[str, InlineKeyboardMarkup]:
    """An ambiguous time, asked with one button per reading."""
    labels = [short_when(c, tz) for c in candidates]
    if len(set(labels)) < len(labels):
        # The same wall time twice (the autumn DST change): only the zone tells them apart.
        labels = [
            f"{label} ({c.astimezone(tz).tzname()})"
            for label, c in zip(labels, candidates, strict=True)
        ]
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"{prefix}:{int(c.timestamp())}")]
            for label, c in zip(labels, candidates, strict=True)
        ]
    )
    return _("Which time did you mean?"), keyboard


def item_added(title: str, meeting: Meeting | None, tz: ZoneInfo) -> str:
    shown = esc(truncate_plain(title, 200))
    if meeting is None:
        return _("“{item}” will be on the agenda of the next meeting called.").format(item=shown)
    if meeting.status == MeetingStatus.DRAFT:
        return _(
            "“{item}” is on the draft agenda of the meeting {when}. The chair can move or drop it before publishing."
        ).format(item=shown, when=esc(short_when(meeting.starts_at, tz)))
    return _("“{item}” has been added to the agenda of the meeting {when}.").format(
        item=shown, when=esc(short_when(meeting.starts_at, tz))
    )


def rsvp_answered(answer: str, *, changed: bool) -> str:
    label = answer_label(answer)
    if not changed:
        return _("Your answer is already recorded: {answer}.").format(answer=label)
    return _("Thank you. Your answer: {answer}.").format(answer=label)


def _day(value: date) -> str:
    return format_date(value, "d MMMM", locale="en" if current_language() == "en" else "sv")


def previous_minutes(state: ProtokollState | None) -> str:
    """The kallelse's "previous minutes": justerat (when, with the hash's start), not yet, or
    none (plain text)."""
    if state is None:
        return _("There are no previous minutes.")
    if state.approved_at is not None:
        return _("Minutes {label} of {held}: approved on {approved} ({hash}).").format(
            label=state.label,
            held=_day(state.held_on),
            approved=_day(state.approved_at.date()),
            hash=(state.content_hash or "")[:8],
        )
    return _("Minutes {label} of {held}: not yet approved.").format(
        label=state.label, held=_day(state.held_on)
    )


def _protokoll_part(state: ProtokollState) -> str:
    """/moten: a held meeting's protokoll, in a few words."""
    if state.approved_at is not None:
        return _("minutes approved {day} ({hash})").format(
            day=_day(state.approved_at.date()), hash=(state.content_hash or "")[:8]
        )
    if state.overdue:
        return "⚠ " + _("minutes not approved, due {day}").format(day=_day(state.due_on))
    return _("minutes to be approved by {day}").format(day=_day(state.due_on))


def _meeting_line(line: MeetingLine, tz: ZoneInfo) -> str:
    meeting = line.meeting
    parts = [esc(when_text(meeting.starts_at, meeting.ends_at, tz))]
    if meeting.number is not None:
        parts.insert(
            0,
            esc(_("meeting {number}/{year}").format(number=meeting.number, year=meeting.year)),
        )
    if line.protokoll is not None:
        parts.append(esc(_protokoll_part(line.protokoll)))
        return "• " + " · ".join(parts)
    if meeting.place:
        parts.append(esc(truncate_plain(meeting.place, 100)))
    if line.rsvp is None:
        parts.append(esc(_("draft, not yet published")))
    else:
        counts = line.rsvp.by_answer
        parts.append(
            esc(
                ", ".join(
                    f"{_(ANSWER_LABELS[a])} {len(counts.get(a, []))}"
                    for a in (RsvpAnswer.YES, RsvpAnswer.NO, RsvpAnswer.MAYBE)
                )
            )
        )
    return "• " + " · ".join(parts)


def meeting_list(
    body: Body, tz: ZoneInfo, upcoming: Sequence[MeetingLine], past: Sequence[MeetingLine]
) -> str:
    """/moten: upcoming and past meetings with their answers."""
    lines = [_("<b>Meetings of the {body}</b>").format(body=esc(body.name)), ""]
    lines.append(_("<b>Upcoming</b>"))
    lines += [_meeting_line(m, tz) for m in upcoming] or [
        esc(_("No meeting has been called. The chair calls one with /kallelse."))
    ]
    lines += ["", _("<b>Past</b>")]
    lines += [_meeting_line(m, tz) for m in past] or [esc(_("No meetings yet."))]
    return "\n".join(lines)
