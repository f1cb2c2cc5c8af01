"""Texts and buttons of data protection: the privacy notice, the right of access, exports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from governance.privacy import PrivacyNotice
from governance.textsplit import escape
from i18n import N_, _, current_language, ngettext
from services.privacy import ExportListing, PersonalData
from storage.models import Partnership
from views.common import clock

# Deep links into the private chat (`handlers.start`): /start priv_<what>.
START_PREFIX = "priv"
START_EXPORT = "export"
START_MYDATA = "mydata"


def private_chat_keyboard(url: str | None) -> InlineKeyboardMarkup | None:
    """A URL button that opens the private chat with the bot (a deep link)."""
    if not url:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("Open the private chat"), url=url)]])


CHOOSE = "ex"  # callback data "ex:<partnership id>"


def choose_partnership(partnerships: Sequence[Partnership]) -> tuple[str, InlineKeyboardMarkup]:
    keyboard = [
        [InlineKeyboardButton(p.diarienummer, callback_data=f"{CHOOSE}:{p.id}")]
        for p in partnerships
    ]
    return _("Which partnership do you want to export?"), InlineKeyboardMarkup(keyboard)


# --- the privacy notice -------------------------------------------------------------------------


def notice_text(notices: Sequence[PrivacyNotice]) -> str:
    if not notices:
        return _("No partnership uses this bot yet, so it keeps no personal data about you.")
    blocks = [_notice_head(n) for n in notices]
    first = notices[0]
    blocks.append(
        _(
            "<b>What is stored, and why</b>\n"
            "• Your Telegram id, name, username and language: to know who writes and to answer "
            "in your language.\n"
            "• The party you represent, in which body, and whether you chair it: votes are "
            "weighed by party, and members are confirmed.\n"
            "• Your answers to meeting invitations, attendance, ballots, the lines you write in "
            "the minutes and your action items: the partnership's governance (the agreement's "
            "rules on the styrgrupp and samverkansgrupp).\n"
            "• The activity report figures you fill in and submit for your organisation, and "
            "documents you attach to the agenda: the follow-up the agreement asks for.\n"
            "• Your personal calendar address, if you asked for one with /kalender.\n"
            "• Reminders to you: to send each once and on time.\n"
            "• A log of who changed what, so that decisions can be traced.\n"
            "Minutes and reports are about the partnership, never about individual clients: "
            "text with a personal identity number is refused."
        )
    )
    months = first.departed_member_months
    blocks.append(
        _("<b>For how long</b>")
        + "\n"
        + "\n".join(
            (
                "• "
                + ngettext(
                    "When you leave or are removed, your data is erased after {n} month.",
                    "When you leave or are removed, your data is erased after {n} months.",
                    months,
                ).format(n=months),
                "• "
                + ngettext(
                    "Sent reminders: {n} day.",
                    "Sent reminders: {n} days.",
                    first.delivered_reminder_days,
                ).format(n=first.delivered_reminder_days),
                "• "
                + ngettext(
                    "The log of changes and of exports: {n} month.",
                    "The log of changes and of exports: {n} months.",
                    first.audit_months,
                ).format(n=first.audit_months),
                "• "
                + _(
                    "Approved minutes are public records (allmänna handlingar) and keep the "
                    "names in them."
                ),
            )
        )
    )
    blocks.append(
        _(
            "<b>Who can see it</b>\n"
            "• The members of your body see names, parties, answers and votes in the group.\n"
            "• The partnership's administrator can export everything; the export is only ever "
            "sent to the administrator in private.\n"
            "• Messages to and from the bot pass through Telegram, which handles them under its "
            "own terms."
        )
    )
    blocks.append(
        _(
            "<b>Your rights</b>\n"
            "/mina_uppgifter – everything stored about you (in private).\n"
            "/glomma_mig – erase your personal data.\n"
            "To have something corrected or restricted, or to object to the processing, turn to "
            "the controller named above.\n"
            "You may also complain to the Swedish Authority for Privacy Protection (IMY)."
        )
    )
    return "\n\n".join(blocks)


def _notice_head(notice: PrivacyNotice) -> str:
    lines = [
        _("<b>Privacy – {name}</b> ({diarienummer})").format(
            name=escape(notice.partnership_name), diarienummer=escape(notice.diarienummer)
        ),
        _("Controller (personuppgiftsansvarig): {controller}").format(
            controller=escape(notice.controller)
        ),
    ]
    if notice.legal_basis:
        lines.append(_("Legal basis: {basis}").format(basis=escape(notice.legal_basis)))
    if notice.contact:
        lines.append(_("Questions and requests: {contact}").format(contact=escape(notice.contact)))
    return "\n".join(lines)


def first_registration_text(notice: PrivacyNotice) -> str:
    """The short form shown once when a person first registers with /jag."""
    return _(
        "<b>About your data</b>: {controller} is responsible for what this bot stores about you "
        "(name, party, answers, votes, lines in the minutes). /integritet tells you what, why "
        "and for how long; /mina_uppgifter shows it all, /glomma_mig erases it."
    ).format(controller=escape(notice.controller))


# --- the right of access ----------------------------------------------------------------------

_STATUS = {
    "pending": N_("waiting for confirmation"),
    "confirmed": N_("confirmed"),
    "rejected": N_("not confirmed"),
    "left": N_("left"),
}


def access_summary(data: PersonalData) -> str:
    person = data.person
    name = " ".join(p for p in (person.first_name, person.last_name) if p)
    lines = [_("<b>What I have stored about you</b>")]
    who = escape(name or "—")
    if person.username:
        who += f" (@{escape(person.username)})"
    lines.append(_("Name: {name}").format(name=who))
    if person.formal_name:
        formal = ", ".join(p for p in (person.formal_name, person.formal_title) if p)
        lines.append(_("Name in minutes and kallelser (/namn): {name}").format(name=escape(formal)))
    if person.language_code:
        lines.append(
            _("Language: {language}").format(language=escape(_language_name(person.language_code)))
        )
    if data.memberships:
        lines.append(_("<b>Memberships</b>"))
        for m in data.memberships:
            lines.append(
                "• "
                + _("{body} ({diarienummer}), {party}: {status}").format(
                    body=escape(m.body),
                    diarienummer=escape(m.partnership),
                    party=escape(m.party or "—"),
                    status=_(_STATUS.get(m.status, m.status)),
                )
            )
    else:
        lines.append(_("You are not a member of any body."))
    if data.chair_of:
        lines.append(_("Chair of: {bodies}").format(bodies=escape(", ".join(data.chair_of))))
    if data.administrator_of:
        lines.append(
            _("Administrator of: {partnerships}").format(
                partnerships=escape(", ".join(data.administrator_of))
            )
        )
    counts = data.counts()
    if counts:
        lines.append(_("<b>Records</b>"))
        lines += [f"• {escape(_(label))}: {n}" for label, n in counts]
    lines.append("")
    lines.append(
        _("Everything is in the attached file (JSON). /glomma_mig erases your personal data.")
    )
    return "\n".join(lines)


def _language_name(code: str) -> str:
    """'svenska' for sv, 'engelska (Storbritannien)' for en-GB: the code as a person reads it."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
        return locale.get_display_name(current_language()) or code
    except (ValueError, UnknownLocaleError):
        return code


def access_only_in_private() -> str:
    return _("Your data is shown only in private. Press the button and I will send it there.")


def access_sent_privately() -> str:
    return _("I have sent your data to you in private.")


def access_filename() -> str:
    return _("my-data.json")


def erase_question() -> str:
    return _(
        "This erases your name, username, language and Telegram id, ends your memberships, "
        "deletes your answers to meeting invitations and your reminders, and replaces your name "
        "where others wrote it in minutes not yet approved. Approved minutes keep names as public "
        "records (they cannot be changed), and decisions and votes keep an anonymous reference. "
        "Press the button to confirm."
    )


def erased() -> str:
    return _("Your personal data has been erased.")


# --- exports ------------------------------------------------------------------------------------


def export_caption() -> str:
    return _("Everything stored about the partnership: JSON and the approved minutes as PDF.")


def export_chosen(partnership: Partnership) -> str:
    return _("Export of {diarienummer}.").format(diarienummer=escape(partnership.diarienummer))


def no_export_waiting() -> str:
    return _("No export is waiting for you. The administrator writes /export to get one.")


def export_log_only_in_private() -> str:
    return _("The list of exports is shown only in private: write /exportlogg to me there.")


def export_group_note(*, can_send_now: bool) -> str:
    if can_send_now:
        return _("The export is sent to you in private, never in a group.")
    return _(
        "The export is sent only in private, never in a group. Press the button to open the "
        "private chat with me and it follows there."
    )


def export_private_note(count: int) -> str:
    return ngettext(
        "Here is the export you asked for in the group.",
        "Here are the {n} exports you asked for in the group.",
        count,
    ).format(n=count)


_EXPORT_STATUS = {
    "waiting": N_("waiting for the private chat"),
    "queued": N_("being sent"),
    "sent": N_("sent in private"),
    "failed": N_("not sent"),
}


def export_log_text(listings: Sequence[ExportListing], zone: ZoneInfo) -> str:
    if not listings:
        return _("No exports yet.")
    lines = [_("<b>Exports</b> (newest first)")]
    for item in listings:
        record = item.record
        by = item.requested_by
        name = "—"
        if by is not None:
            name = (
                _("(erased member)")
                if by.erased
                else " ".join(p for p in (by.first_name, by.last_name) if p)
            )
        where = _("in a group") if record.requested_in == "group" else _("in private")
        size = record.summary.get("bytes")
        pdfs = record.summary.get("protokoll_pdfs")
        what = ""
        if isinstance(size, int):
            what = _("{kb} kB, {pdfs} minutes as PDF").format(
                kb=max(1, round(size / 1024)), pdfs=pdfs or 0
            )
        lines.append(
            "• "
            + _("{when} {diarienummer} by {name}, asked {where}: {status}").format(
                when=_when(record.requested_at, zone),
                diarienummer=escape(item.partnership.diarienummer),
                name=escape(name),
                where=where,
                status=_(_EXPORT_STATUS.get(record.status, record.status)),
            )
            + (f" ({what})" if what else "")
        )
    return "\n".join(lines)


def _when(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{local:%Y-%m-%d} {clock(local)}"  # the one time style: 13.00 in Swedish
