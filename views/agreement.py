"""/avtal: the agreement as it stands — period, state, parties, notice, annexes and revisions —
and the administrator's buttons when a period ended with no extension recorded."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.lifecycle import AgreementState, Participation, Period, Status
from i18n import _, current_language
from services.agreement import AgreementView, Revision
from storage.models import Party
from views import decision_reminders as decision_texts
from views.common import esc
from views.deadline_reminders import long_date
from views.decisions import KIND_NAMES
from views.report import number

EXTEND = "ag"  # callback data "ag:x:<new end>" (extended to) / "ag:e" (ended)


def day(value: date) -> str:
    return esc(long_date(value, current_language()))


def state_line(state: AgreementState) -> str:
    """The agreement's state in one line (also shown at the top of /tidsfrister)."""
    if state.status == Status.ENDED:
        return _("The agreement ended on {day}.").format(day=day(state.end))
    if state.status == Status.LAPSED:
        return _("The period ended on {day}; no extension is recorded.").format(
            day=day(state.period.end)
        )
    if state.status == Status.UNDER_NOTICE:
        return _("Notice has been given: the agreement ends on {day}.").format(day=day(state.end))
    return _("In force until {day}.").format(day=day(state.period.end))


def _period(period: Period) -> str:
    span = _("{start} – {end}").format(start=day(period.start), end=day(period.end))
    if period.basis == "decision" and period.decision:
        how = _("extended by decision {decision}").format(decision=esc(period.decision))
    elif period.basis == "decision":
        how = _("extended, recorded by the administrator")
    elif period.basis == "automatic":
        how = _("extended automatically under the agreement")
    else:
        how = _("initial period")
    return f"{span} ({how})"


def _participation(found: Participation | None) -> str:
    if found is None:
        return ""
    if found.status == "joining" and found.starts_on is not None:
        return _("joins on {day}").format(day=day(found.starts_on))
    if found.ends_on is not None:
        if found.status == "left":
            text = _("left on {day}").format(day=day(found.ends_on))
        elif found.reason == "expulsion":
            text = _("removed, takes part until {day}").format(day=day(found.ends_on))
        else:
            text = _("has given notice, takes part until {day}").format(day=day(found.ends_on))
        if found.decision:
            text += f" ({esc(found.decision)})"
        return text
    if found.starts_on is not None and found.decision:
        return _("joined on {day} ({decision})").format(
            day=day(found.starts_on), decision=esc(found.decision)
        )
    if found.starts_on is not None:
        return _("joined on {day}").format(day=day(found.starts_on))
    return ""


def _revision(revision: Revision) -> str:
    kind = _(KIND_NAMES.get(revision.kind, revision.kind))
    text = f"{esc(revision.decision)} {esc(kind)}"
    approver = decision_texts.approver_name(revision.approval_by, current_language())
    if revision.status == "pending_approval":
        text += " · " + esc(_("waiting for approval by {approver}").format(approver=approver))
    elif revision.status == "approved":
        text += " · " + esc(_("approved by {approver}").format(approver=approver))
    elif revision.status == "rejected":
        text += " · " + esc(_("not approved"))
    return text


def _next_dates(state: AgreementState) -> list[str]:
    lines = []
    today = state.today
    passed = " " + _("(passed)")
    if state.announce_by is not None and state.next_extension_end is not None:
        lines.append(
            _("Last day to announce an extension to {end}: {day}").format(
                end=day(state.next_extension_end), day=day(state.announce_by)
            )
            + (passed if state.announce_by < today else "")
        )
    if state.notice_by is not None and state.next_extension_end is not None:
        lines.append(
            _("Extends to {end} unless notice is given by {day}").format(
                end=day(state.next_extension_end), day=day(state.notice_by)
            )
            + (passed if state.notice_by < today else "")
        )
    if state.termination_by is not None and state.termination_by >= today:
        lines.append(
            _("Last day to give notice to end it on {end}: {day}").format(
                end=day(state.period.end), day=day(state.termination_by)
            )
        )
    return lines


def render(found: AgreementView, *, administrator: bool) -> tuple[str, InlineKeyboardMarkup | None]:
    state, spec, partnership = found.state, found.spec, found.partnership
    heading = _("Agreement {dnr}").format(dnr=esc(partnership.diarienummer))
    lines = [
        f"<b>{heading}</b>",
        esc(partnership.name),
        "",
        "<b>" + state_line(state) + "</b>",
        _("Period: {period}").format(period=_period(state.period)),
    ]
    earlier = [p for p in state.periods if p.end < state.period.start]
    if earlier:
        lines.append(_("Earlier periods:"))
        lines += [f"  {_period(p)}" for p in earlier]
    lines += _next_dates(state)
    renewal = spec.agreement.renewal
    if renewal is not None and state.status in (Status.IN_FORCE, Status.LAPSED):
        lines.append(_("At the latest until: {day}").format(day=day(renewal.latest_end)))
    lines.append(
        _("Notice period: {months} months").format(months=spec.agreement.notice_period_months)
    )
    if state.notice_given_on is not None:
        lines.append(_("Notice given on {day}").format(day=day(state.notice_given_on)))

    lines += ["", "<b>" + _("Parties") + "</b>"]
    by_key = {p.party: p for p in state.parties}
    for party in found.parties:
        note = _participation(by_key.get(party.key))
        if not party.active and not note:
            note = _("no longer in the partnership file")
        line = f"• {esc(party.name)} ({esc(party.org_number)})"
        lines.append(f"{line} · {note}" if note else line)

    if spec.annexes:
        lines += ["", "<b>" + _("Annexes") + "</b>"]
        for annex in spec.annexes:
            head = f"• {annex.number}. " if annex.number is not None else "• "
            line = head + esc(annex.title)
            if annex.budget is not None:
                line += " · " + _("budget {amount} kr ({months} months)").format(
                    amount=number(annex.budget.total_sek), months=annex.budget.period_months
                )
            lines.append(line)
            for revision in found.revisions.get(annex.party, []):
                lines.append("  " + _revision(revision))
        general = found.revisions.get("", [])
        if general:
            lines.append(_("Whole agreement:"))
            lines += ["  " + _revision(r) for r in general]
    return "\n".join(lines), keyboard(state) if administrator else None


def keyboard(state: AgreementState) -> InlineKeyboardMarkup | None:
    """The administrator's buttons: extended to <next end> (where the rule allows a step by
    announcement), and, once the period has ended with nothing recorded, ended."""
    buttons = []
    if state.next_extension_end is not None and state.status in (Status.IN_FORCE, Status.LAPSED):
        if state.announce_by is not None or state.status == Status.LAPSED:
            buttons.append(
                InlineKeyboardButton(
                    _("Extended to {day}").format(day=long_date_plain(state.next_extension_end)),
                    callback_data=f"{EXTEND}:x:{state.next_extension_end.isoformat()}",
                )
            )
    if state.status == Status.LAPSED:
        buttons.append(
            InlineKeyboardButton(
                _("Ended on {day}").format(day=long_date_plain(state.period.end)),
                callback_data=f"{EXTEND}:e",
            )
        )
    return InlineKeyboardMarkup([[b] for b in buttons]) if buttons else None


def long_date_plain(value: date) -> str:
    return long_date(value, current_language())


def recorded_extension(new_end: date) -> str:
    return _("Recorded: the agreement is extended to {day}.").format(day=day(new_end))


def recorded_end(ended_on: date) -> str:
    return _("Recorded: the agreement ended on {day}. Reminders stop; /export still works.").format(
        day=day(ended_on)
    )


def party_added(party: Party) -> str:
    return _("Recorded: {party} ({number}) takes part from today. Add it to the partnership file at the next import.").format(
        party=esc(party.name), number=esc(party.org_number)
    )  # fmt: skip
