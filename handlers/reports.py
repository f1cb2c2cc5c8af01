"""/rapport (en /report): the half-yearly activity report, its private forms and budgets.

In the samverkansgrupp: ``/rapport`` opens the report due and posts its status with a deep-link
button per activity; ``/rapport ekonomi`` shows the annexes' budgets and the financial reports
not yet submitted (a button marks one submitted); ``/rapport år`` makes 004's annual
compilation. In a private chat: ``/rapport`` lists the member's open forms; ``/start rep_<id>``
(the group's buttons) opens one; typed answers and the form's buttons go to the active form.

Fact-bearing messages go through the outbox: the status message (edited there as entries move
on), the compiled report's files and the copy sent on to the styrgrupp.
"""

from __future__ import annotations

import uuid
from typing import Any

from telegram import Chat, InlineKeyboardMarkup, Update

from delivery import outbox
from delivery.parts import Text
from handlers.bot_context import BotContext
from handlers.start import on_start
from handlers.wrapper import Act, BodyAct, in_body, in_chat
from i18n import N_, _, language
from services import reports
from services.errors import Refusal
from services.reports import FormView, ReportView
from storage.models import Partnership
from views import (
    links,
    report_outbox,  # noqa: F401  (registers the report's outbox renderers)
)
from views import report as view

START_PREFIX = "rep"
ECONOMY_WORDS = frozenset({"ekonomi", "economy", "budget", "budgets", "budgetar"})
ANNUAL_WORDS = frozenset({"år", "ar", "arlig", "årlig", "annual", "year"})


def _link(act: Act) -> view.Link:
    username = act.context.bot.username

    def link(entry_id: int) -> str:
        url = links.start_url(f"{START_PREFIX}_{entry_id}", username)
        assert url is not None  # the handler's own bot knows its username
        return url

    return link


def _status(
    act: Act, report_view: ReportView, *, can_manage: bool = True
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The status message in the partnership's language (the group's, not the presser's)."""
    with language(report_view.partnership.language):
        return view.status_message(report_view, _link(act), can_manage=can_manage)


def _json(keyboard: InlineKeyboardMarkup | None) -> dict[str, Any] | None:
    return keyboard.to_dict() if keyboard is not None else None


def _post_status(act: BodyAct, report_view: ReportView) -> None:
    """A new status message in the group, through the outbox; later edits go to it."""
    report = report_view.report
    assert report.id is not None and act.chat is not None
    text, keyboard = _status(
        act, report_view, can_manage=act.role.is_chair or act.role.is_administrator
    )
    key = f"report:{report.id}:status:{uuid.uuid4().hex[:10]}"
    outbox.send(
        act.session,
        key=key,
        chat_id=act.chat.id,
        thread_id=act.thread,
        parts=[Text(text, keyboard=_json(keyboard))],  # type: ignore[arg-type]
        now=act.now,
        partnership_id=act.partnership.id,
    )
    reports.remember_status(act.session, report.id, key)


def _edit_status(act: Act, report_view: ReportView) -> None:
    """The group's status message follows (queued in this transaction)."""
    report = report_view.report
    target = reports.status_target(act.session, report)
    if target is None:
        return
    key, chat_id = target
    text, keyboard = _status(act, report_view)
    outbox.edit(
        act.session,
        chat_id=chat_id,
        target=key,
        html=text,
        keyboard=_json(keyboard) or {"inline_keyboard": []},
        now=act.now,
        partnership_id=report.partnership_id,
    )


# --- /rapport -------------------------------------------------------------------------------


async def report_command(update: Update, context: BotContext) -> None:
    """/rapport: the group's report, or in a private chat the member's forms."""
    chat = update.effective_chat
    if chat is not None and chat.type == Chat.PRIVATE:
        await _private_report(update, context)
    else:
        await _group_report(update, context)


@in_body()
def _group_report(act: BodyAct) -> None:
    act.require_person()
    words = set(act.args.casefold().split())
    if words & ECONOMY_WORDS:
        _economy(act)
        return
    if words & ANNUAL_WORDS:
        compiled = reports.compile_annual(
            act.session, body=act.body, partnership=act.partnership, role=act.role, now=act.now
        )
        act.reply(view.compiled_notice(compiled))
        return
    if act.args:
        raise Refusal(N_("Write /report, /report economy or /report year."))
    opened = reports.open_report(
        act.session, body=act.body, partnership=act.partnership, role=act.role, now=act.now
    )
    _post_status(act, opened)


def _party_index(partnership: Partnership) -> dict[str, int]:
    return {key: index for index, key in enumerate(reports.party_order(partnership))}


def _economy(act: BodyAct) -> None:
    overview = reports.financial_overview(act.session, partnership=act.partnership, now=act.now)
    act.reply(*view.financial(overview, _party_index(act.partnership)))


@in_body(data=rf"{view.FINANCIAL}:(\d+):(\d{{4}})")
def financial_button(act: BodyAct) -> None:
    order = reports.party_order(act.partnership)
    index, year = int(act.data[0]), act.data[1]
    if index >= len(order):
        raise Refusal(N_("This button is no longer valid."))
    key = f"financial_report:{order[index]}:{year}"
    party = reports.mark_financial_submitted(
        act.session, partnership=act.partnership, key=key, role=act.role, now=act.now
    )
    act.answer(_("Marked as submitted: {party}.").format(party=party))
    overview = reports.financial_overview(act.session, partnership=act.partnership, now=act.now)
    act.edit(*view.financial(overview, _party_index(act.partnership)))


@in_body(data=rf"{view.REFRESH}:(\d+)")
def refresh_button(act: BodyAct) -> None:
    found = reports.report_in_body(act.session, report_id=int(act.data[0]), body=act.body)
    report_view = reports.report_view(act.session, found, now=act.now)
    act.answer()
    act.edit(*_status(act, report_view, can_manage=act.role.is_chair or act.role.is_administrator))


@in_body(data=rf"{view.COMPILE}:(\d+)")
def compile_button(act: BodyAct) -> None:
    act.require_person()
    found = reports.report_in_body(act.session, report_id=int(act.data[0]), body=act.body)
    assert found.id is not None
    compiled = reports.compile_report(act.session, report_id=found.id, role=act.role, now=act.now)
    act.answer()
    _edit_status(act, compiled)
    act.reply(view.compiled_notice(compiled))


@in_body(data=rf"{view.SEND_ON}:(\d+)")
def send_on_button(act: BodyAct) -> None:
    act.require_person()
    found = reports.report_in_body(act.session, report_id=int(act.data[0]), body=act.body)
    assert found.id is not None
    sent, target = reports.send_on(act.session, report_id=found.id, role=act.role, now=act.now)
    act.answer(_("Sent to the styrgrupp."))
    act.edit(view.sent_on(sent, target, act.role.person))
    _edit_status(act, sent)


# --- the private form -----------------------------------------------------------------------


@in_chat()
def _private_report(act: Act) -> None:
    person = reports.person_of(act.session, act.user.id if act.user else None)
    act.reply(*view.my_forms(reports.my_entries(act.session, person=person)))


def _show(act: Act, shown: FormView) -> None:
    act.reply(*view.form_message(shown))
    if shown.submitted_now:
        _edit_status(act, reports.report_view(act.session, shown.report, now=act.now))


@on_start(START_PREFIX)
def _open_from_link(act: Act, rest: str) -> None:
    """`/start rep_<entry id>`: the group's button opened the private form."""
    if not rest.isdigit():
        raise Refusal(N_("This link is no longer valid."))
    person = reports.person_of(act.session, act.user.id if act.user else None)
    shown = reports.begin_form(act.session, person=person, entry_id=int(rest), now=act.now)
    act.reply(*view.form_message(shown))
    _edit_status(act, reports.report_view(act.session, shown.report, now=act.now))


@in_chat(data=rf"{view.OPEN}:(\d+)")
def open_button(act: Act) -> None:
    person = reports.person_of(act.session, act.user.id if act.user else None)
    shown = reports.begin_form(act.session, person=person, entry_id=int(act.data[0]), now=act.now)
    act.answer()
    act.reply(*view.form_message(shown))


@in_chat(data=rf"{view.FORM}:(\d+):([a-z]+(?::[A-Za-z0-9_+-]+)?)")
def form_button(act: Act) -> None:
    person = reports.person_of(act.session, act.user.id if act.user else None)
    shown = reports.form_choice(
        act.session, person=person, entry_id=int(act.data[0]), choice=act.data[1], now=act.now
    )
    if shown.problem is not None and shown.problem.message == N_("This button is no longer valid."):
        act.answer(_("This button is no longer valid."), alert=True)
        return
    act.answer()
    _show(act, shown)


@in_chat()
def form_text(act: Act) -> None:
    """A typed answer in a private chat, when a form is active (else nothing is said)."""
    if act.chat.type != Chat.PRIVATE or act.user is None:
        return
    person = reports.person_of(act.session, act.user.id)
    shown = reports.form_text(act.session, person=person, text=act.text, now=act.now)
    if shown is not None:
        _show(act, shown)
