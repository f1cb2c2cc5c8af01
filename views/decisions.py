"""The decision register, revisions, approvals, open action items and the minute-taker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.decision_input import AGREEMENT_EXTENSION, CADENCE_CHANGE, PARTY_NOTICE
from governance.textsplit import truncate_plain
from i18n import N_, _, current_language
from services.register import Entry, Revisions, Search
from storage.decisions import decision_label
from storage.models import ActionItem, Body, Decision, Meeting, Party, Person
from views import decision_reminders as decision_texts
from views.agenda import short_when
from views.common import esc, mention, person_name

DONE = "ad"  # callback data "ad:<action item id>"
MAX_BUTTONS = 40

# How the decision input is written: shown when /beslut is empty and by /beslutslogg.
DECISION_SYNTAX_HELP = N_(
    "<b>Decision types</b> (a tag in brackets before the text; without a tag the decision is ordinary):\n"
    "<code>[mindre revidering Party]</code> minor revision of a party's commitments (styrgrupp mandate)\n"
    "<code>[väsentlig revidering Party]</code> significant revision, also needs the förvaltningschef's approval\n"
    "<code>[budgetram]</code> change of the budget frame, decided by socialnämnden\n"
    "<code>[brist dialog Party]</code> deficiency: dialogue\n"
    "<code>[åtgärdsplan Party 2026-03-01]</code> deficiency: action plan with a due date\n"
    "<code>[uteslutning Party]</code> deficiency: the party is removed\n"
    "<code>[ny part Name]</code> a new party\n"
    "<code>[mötesintervall 2]</code> the body's meeting interval in months, where the agreement allows it\n"
    "<code>[förlängning till 2027-04-30]</code> the agreement is extended to that day\n"
    "<code>[uppsägning Party 2026-12-10]</code> the party gave notice that day (no date: today)\n"
    "English tags work too: [minor revision …], [significant revision …], [budget frame], "
    "[deficiency dialogue …], [action plan … date], [removal …], [new party …], [meeting interval …]."
)

KIND_NAMES = {
    "ordinary": N_("ordinary"),
    "revision_minor": N_("minor revision"),
    "revision_significant": N_("significant revision"),
    "budget_frame": N_("budget frame"),
    "deficiency_dialogue": N_("deficiency: dialogue"),
    "deficiency_action_plan": N_("deficiency: action plan"),
    "deficiency_removal": N_("deficiency: removal"),
    "new_party": N_("new party"),
    CADENCE_CHANGE: N_("meeting interval"),
    AGREEMENT_EXTENSION: N_("extension of the agreement"),
    PARTY_NOTICE: N_("notice by a party"),
}


def day_text(day: date) -> str:
    return format_date(day, "short", locale="en" if current_language() == "en" else "sv")


def _status(decision: Decision) -> str | None:
    approver = decision_texts.approver_name(decision.approval_by, current_language())
    if decision.status == "pending_approval":
        return _("waiting for approval by {approver}").format(approver=esc(approver))
    if decision.status == "approved" and decision.approved_at is not None:
        return _("approved by {approver}").format(approver=esc(approver))
    if decision.status == "rejected":
        return _("not approved")
    if decision.status == "struck":
        return _("struck from the minutes")
    return None


def decision_line(entry: Entry, *, with_body: bool = False) -> str:
    """One register line: number, date, meeting and §, type, party, text, status."""
    decision, body, meeting = entry.decision, entry.body, entry.meeting
    facts = [day_text(decision.decided_on)]
    if meeting is not None and meeting.number is not None:
        facts.append(_("meeting {number}/{year}").format(number=meeting.number, year=meeting.year))
    if entry.paragraph is not None:
        facts.append(f"§ {entry.paragraph}")
    if decision.kind != "ordinary":
        facts.append(esc(_(KIND_NAMES.get(decision.kind, decision.kind))))
    if entry.party is not None:
        facts.append(esc(entry.party.name))
    if decision.due_on is not None:
        facts.append(_("due {day}").format(day=day_text(decision.due_on)))
    status = _status(decision)
    if status:
        facts.append(f"<i>{status}</i>")
    label = decision_label(body, decision)
    head = f"<b>{esc(label)}</b>" + (f" ({esc(body.name)})" if with_body else "")
    return f"{head} · {' · '.join(facts)}\n{esc(truncate_plain(decision.text, 600))}"


def register(search: Search) -> str:
    """/beslutslogg: newest first; the syntax help where nothing matches."""
    body, query = search.body, search.query
    if not search.entries:
        if query:
            text = _("No decision in the register of the {body} matches “{query}”.")
        else:
            text = _("The register of the {body} has no decisions yet.")
        text = text.format(body=esc(body.name), query=esc(query))
        return text + "\n\n" + _(DECISION_SYNTAX_HELP)
    title = (
        _("<b>Decisions of the {body} matching “{query}”</b>")
        if query
        else _("<b>Decision register of the {body}</b> (latest first)")
    )
    lines = [title.format(body=esc(body.name), query=esc(query))]
    lines += [decision_line(e) for e in search.entries]
    return "\n\n".join(lines)


def revisions(found: Revisions) -> str:
    partnership = found.partnership
    lines = [
        _("<b>Revisions of commitments</b> · {dnr} {name}").format(
            dnr=esc(partnership.diarienummer), name=esc(partnership.name)
        )
    ]
    if not found.by_party:
        lines.append(_("No revision of a party's commitments is registered."))
    for party, entries in found.by_party:
        if party is not None:
            lines.append(
                f"\n<b>{esc(party.name)}</b> ({esc(party.org_number)}) · "
                + esc(partnership.diarienummer)
            )
        else:
            lines.append("\n<b>" + _("All parties") + "</b>")
        lines += [decision_line(e) for e in entries]
    return "\n".join(lines)


def approved(decision: Decision, decided_by: Body) -> str:
    approver = decision_texts.approver_name(decision.approval_by, current_language())
    text = _("{label} is approved by {approver}. The reminders stop.").format(
        label=f"<b>{esc(decision_label(decided_by, decision))}</b>",
        approver=esc(approver),
    )
    if decision.approval_note:
        text += "\n" + _("Note: {note}").format(note=esc(decision.approval_note))
    return text


def _action_line(index: int, item: ActionItem, owner: Person) -> str:
    return _("{number}. {text} – {owner}, due {day}").format(
        number=index,
        text=esc(truncate_plain(item.text, 300)),
        owner=esc(person_name(owner)),
        day=day_text(item.due_on),
    )


def open_actions(
    body: Body, items: Sequence[tuple[ActionItem, Person]]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """/uppgifter: the open action items with a "Done" button each."""
    if not items:
        return _("No open action items in the {body}.").format(body=esc(body.name)), None
    lines = [_("<b>Open action items of the {body}</b>").format(body=esc(body.name))]
    buttons: list[list[InlineKeyboardButton]] = []
    for index, (item, owner) in enumerate(items, start=1):
        lines.append(_action_line(index, item, owner))
        if index <= MAX_BUTTONS:
            label = _("Done {number}: {text}").format(
                number=index, text=truncate_plain(item.text, 40)
            )
            buttons.append([InlineKeyboardButton(label, callback_data=f"{DONE}:{item.id}")])
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def marked_done(item: ActionItem) -> str:
    return _("Marked done: {text}").format(text=truncate_plain(item.text, 150))


def minute_taker(body: Body, duty: str, person: Person | None, party: Party | None) -> str:
    name = esc(body.name)
    if duty == "rotating_party":
        if party is None:
            return _(
                "In the {body} a party holds the documentation duty and it rotates, but no party has confirmed members yet. Members say their party with /jag."
            ).format(body=name)
        return _(
            "{party} writes the minutes of the next meeting of the {body}. The duty then passes to the next party."
        ).format(party=esc(party.name), body=name)
    if person is None:
        return _(
            "The chair is responsible for the minutes of the {body}, but no chair is recorded. Record one with /ordforande @name."
        ).format(body=name)
    if duty == "chair_led_shared":
        return _(
            "{person} writes the minutes of the next meeting of the {body}. The chair is responsible and shares the writing out."
        ).format(person=mention(person), body=name)
    return _("{person} writes the minutes of the next meeting of the {body}.").format(
        person=mention(person), body=name
    )


def minute_taker_named(body: Body, person: Person, meeting: Meeting, zone: ZoneInfo) -> str:
    return _("{person} writes the minutes of the {body}'s meeting {when}.").format(
        person=mention(person), body=esc(body.name), when=esc(short_when(meeting.starts_at, zone))
    )
