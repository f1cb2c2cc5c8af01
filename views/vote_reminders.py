"""How votes are worded (Telegram HTML): the live vote message, the decision text, reminders.

The vote message is shared by the whole body, so it is written in the partnership's language,
not the presser's. Questions and names come from users and are escaped. Importing this module
registers the renderer of "vote.reminder".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from delivery.parts import Button, Part, Text
from delivery.renderers import escape, register, with_late_note
from governance.voting import Choice, Outcome, Tally
from i18n import N_, nt, t
from services.votes import KIND_REMINDER, RollCallParty
from storage.models import Person, Vote
from views import links
from views.private_buttons import vote_row

__all__ = [
    "CHOICE_NAMES",
    "OUTCOME_NAMES",
    "choice_name",
    "decision_text",
    "party_line",
    "render_reminder",
    "vote_message",
]

CHOICE_NAMES = {Choice.YES: N_("Yes"), Choice.NO: N_("No"), Choice.ABSTAIN: N_("Abstain")}
OUTCOME_NAMES = {
    Outcome.ADOPTED: N_("Adopted"),
    Outcome.REJECTED: N_("Rejected"),
    Outcome.TIE: N_("Tie: the proposal is not adopted"),
    Outcome.NO_QUORUM: N_("No quorum: nothing was decided"),
    Outcome.NO_VOTES: N_("No yes or no votes: nothing was decided"),
}


def _locale(language: str) -> str:
    return "en" if language == "en" else "sv"


def choice_name(choice: Choice | str, language: str) -> str:
    return t(language, CHOICE_NAMES[Choice(choice)])


def when_text(at: datetime, zone: ZoneInfo, language: str) -> str:
    """ "10 december 2026 kl. 17.00" / "10 December 2026 17:00"."""
    pattern = "d MMMM yyyy HH:mm" if language == "en" else "d MMMM yyyy 'kl.' HH.mm"
    return format_datetime(at.astimezone(zone), pattern, tzinfo=zone, locale=_locale(language))


def _name(person: Person) -> str:
    full = " ".join(p for p in (person.first_name, person.last_name) if p)
    return escape((full or person.username or str(person.telegram_user_id))[:64])


def _counts(result: Tally, language: str) -> list[str]:
    counts = t(language, "Yes {yes} · No {no} · Abstain {abstain}").format(
        yes=result.yes, no=result.no, abstain=result.abstain
    )
    if result.rule == "per_party":
        # The numbers are parties, not presses: say so.
        counts = t(language, "Parties' votes: {counts}").format(counts=counts)
        cast = nt(
            language,
            "Votes cast: {cast} of {entitled} entitled party (turnout {turnout} %)",
            "Votes cast: {cast} of {entitled} entitled parties (turnout {turnout} %)",
            result.entitled,
        )
    else:
        cast = nt(
            language,
            "Votes cast: {cast} of {entitled} entitled member (turnout {turnout} %)",
            "Votes cast: {cast} of {entitled} entitled members (turnout {turnout} %)",
            result.entitled,
        )
    lines = [
        counts,
        cast.format(
            cast=result.votes_cast, entitled=result.entitled, turnout=round(result.turnout * 100)
        ),
    ]
    if result.quorum is not None:
        lines.append(
            t(language, "Quorum: {present} of the {required} required").format(
                present=result.quorum.present, required=result.quorum.required
            )
        )
    return lines


def party_line(row: RollCallParty, language: str) -> str:
    """How a party stands and how it came about: "Convictus: Yes (2 of 2)", "⚠️ split"."""
    chosen = [choice for _person, choice in row.voters if choice is not None]
    total = len(row.voters)
    head = f"<b>{escape(row.party_name)}</b>: "
    if row.split:
        tally = ", ".join(
            f"{choice_name(c, language)} {chosen.count(c)}" for c in Choice if c in chosen
        )
        if row.counted is None:
            note = t(language, "not counted until they agree")
        else:
            note = t(language, "the designated representative decides: {choice}").format(
                choice=choice_name(row.counted, language)
            )
        split = t(language, "split")
        return head + "⚠️ " + escape(f"{split} ({tally}) – {note}")
    of = t(language, "({voted} of {total})")
    if row.counted is None:
        shown, voted = t(language, "not voted"), 0
    else:
        shown, voted = choice_name(row.counted, language), chosen.count(row.counted)
    return head + escape(f"{shown} {of.format(voted=voted, total=total)}")


def vote_message(
    vote: Vote,
    result: Tally,
    rows: list[RollCallParty],
    *,
    body_name: str,
    zone: ZoneInfo,
    language: str,
    decision_label: str | None = None,
) -> str:
    """The vote as it stands (or its result once closed), with the roll-call by party."""
    lines = [
        "🗳 <b>" + escape(t(language, "Vote")) + f"</b> · {escape(body_name)}",
        f"<b>{escape(vote.question)}</b>",
    ]
    if result.rule == "per_party":
        lines.append(escape(t(language, "One vote per party; a party's vote counts when its representatives agree.")))  # fmt: skip
    else:
        lines.append(escape(t(language, "One vote per representative; majority decides.")))
    if vote.status == "open" and vote.closes_at is not None:
        lines.append(
            escape(
                t(language, "Closes {when}.").format(when=when_text(vote.closes_at, zone, language))
            )
        )
    lines.append("")
    lines += [escape(line) for line in _counts(result, language)]
    lines.append("")
    for row in rows:
        voters = " · ".join(
            f"{_name(person)}: "
            + escape(choice_name(choice, language) if choice else t(language, "not voted"))
            for person, choice in row.voters
        )
        if result.rule == "per_party" and len(row.voters) == 1:
            # One representative: the party's vote and who cast it, on one line.
            person, choice = row.voters[0]
            shown = choice_name(choice, language) if choice else t(language, "not voted")
            lines.append(f"<b>{escape(row.party_name)}</b>: {escape(shown)} ({_name(person)})")
        elif result.rule == "per_party":
            lines.append(party_line(row, language))
            lines.append(f"   {voters}")
        else:
            lines.append(f"<b>{escape(row.party_name)}</b>: {voters}")
    if vote.status == "closed":
        lines.append("")
        outcome = t(language, OUTCOME_NAMES[result.outcome])
        lines.append(
            "<b>" + escape(t(language, "Closed. {outcome}.").format(outcome=outcome)) + "</b>"
        )
        if decision_label:
            lines.append(
                escape(t(language, "Recorded as decision {label}.").format(label=decision_label))
            )
    elif vote.status == "cancelled":
        lines.append("<b>" + escape(t(language, "The vote was cancelled.")) + "</b>")
    return "\n".join(lines)


def decision_text(language: str) -> Any:
    """The register's text of a closed vote: the question, the outcome and the counts."""

    def wording(vote: Vote, result: Tally) -> str:
        outcome = t(language, OUTCOME_NAMES[result.outcome])
        counts = "; ".join(_counts(result, language))
        return t(language, "Vote: {question} – {outcome}. {counts}.").format(
            question=vote.question, outcome=outcome, counts=counts
        )

    return wording


def render_reminder(payload: dict[str, Any], language: str, late: bool) -> list[Part | str]:
    """A reminder to the entitled who have not voted before a standalone vote closes: in
    private with the vote's own buttons (and a link to it in the group); in the group naming
    those without a private chat, with a button that starts one."""
    closes = datetime.fromisoformat(str(payload["closes_at"]))
    zone = ZoneInfo(str(payload.get("timezone") or "Europe/Stockholm"))
    when = when_text(closes, zone, language)
    header = (
        "🗳 <b>"
        + escape(t(language, "Vote closing soon"))
        + "</b> · "
        + " · ".join(
            escape(p) for p in (payload.get("diarienummer", ""), payload.get("body_name", "")) if p
        )
    )
    lines = [header, f"<b>{escape(payload.get('question', ''))}</b>"]
    rows: list[tuple[Button, ...]] = []
    if payload.get("private"):
        lines.append(escape(t(language, "You have not voted yet. The vote closes {when}; vote with the buttons below.").format(when=when)))  # fmt: skip
        vote_id = payload.get("vote_id")
        if isinstance(vote_id, int):
            rows.append(vote_row(vote_id, language))
        chat, message = payload.get("group_chat_id"), payload.get("message_id")
        link = (
            links.message_url(chat, message)
            if isinstance(chat, int) and isinstance(message, int)
            else None
        )
        if link:
            rows.append((Button(t(language, "Open the vote in the group"), url=link),))
    else:
        people = payload.get("names", [])
        names = ", ".join(
            f'<a href="tg://user?id={int(n["user_id"])}">{escape(n.get("name", ""))}</a>'
            for n in people
        )
        wording = nt(
            language,
            "{names}: you have not voted yet. The vote closes {when}.",
            "{names}: none of you has voted yet. The vote closes {when}.",
            len(people),
        )
        lines.append(wording.format(names=names, when=escape(when)))
        body_id = payload.get("body_id")
        button = (
            links.start_button(links.body_payload(body_id), language)
            if isinstance(body_id, int)
            else None
        )
        if button is not None:
            lines.append(escape(t(language, "In a private chat with me you can vote and get your reminders there.")))  # fmt: skip
            rows.append((button,))
    text = with_late_note("\n".join(lines), language, late)
    return [Text(text, keyboard=tuple(rows) or None)]


register(KIND_REMINDER, render_reminder)
