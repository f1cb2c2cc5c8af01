"""/beslutslogg, /revideringar, /godkann, /uppgifter (with "Done" buttons), /protokollforare."""

from __future__ import annotations

from handlers.mentions import first_named
from handlers.wrapper import BodyAct, in_body
from i18n import N_
from services import actions, decisions, documentation, extracts, register
from services.errors import Refusal
from services.people import find
from views import decision_reminders  # noqa: F401  (importing it registers the reminder renderers)
from views import decisions as view
from views import justering as justering_view


@in_body()
def decision_log(act: BodyAct) -> None:
    """/beslutslogg [text]: the body's register, newest first, filtered by the words given."""
    act.reply(view.register(register.search(act.session, act.body, act.args)))


@in_body()
def revisions(act: BodyAct) -> None:
    """/revideringar: revisions of commitments per party, with the agreement's diarienummer, and
    an extract button for each whose minutes are approved."""
    found = register.revisions(act.session, act.partnership)
    listed = [(e.decision, e.body) for _party, entries in found.by_party for e in entries]
    buttons = justering_view.extract_buttons(extracts.extracts_of_decisions(act.session, listed))
    act.reply(view.revisions(found), buttons)


@in_body(admin=True)
def approve(act: BodyAct) -> None:
    """/godkann <number> [note]: the administrator records an outside approval."""
    words = act.args.split()
    # "SG 2026:7 note" or "SG2026:7 note": the number is one or two words.
    label, note = "", ""
    for size in (2, 1):
        if len(words) >= size and decisions.parse_label(" ".join(words[:size])) is not None:
            label, note = " ".join(words[:size]), " ".join(words[size:])
            break
    decision, decided_by = decisions.approve_decision(
        act.session,
        partnership=act.partnership,
        label=label or " ".join(words),
        role=act.role,
        note=note,
        now=act.now,
    )
    act.reply(view.approved(decision, decided_by))


@in_body()
def list_actions(act: BodyAct) -> None:
    """/uppgifter: the open action items with a button each to mark it done."""
    assert act.body.id is not None
    act.reply(*view.open_actions(act.body, actions.open_action_items(act.session, act.body.id)))


@in_body(admin=True, data=rf"{view.DONE}:(\d+)")
def done_button(act: BodyAct) -> None:
    """The owner, the chair or the administrator marks an item done; others get a toast."""
    item, _owner = actions.mark_done(
        act.session, body=act.body, item_id=int(act.data[0]), role=act.role, now=act.now
    )
    assert act.body.id is not None
    act.answer(view.marked_done(item))
    act.edit(*view.open_actions(act.body, actions.open_action_items(act.session, act.body.id)))


@in_body()
def minute_taker(act: BodyAct) -> None:
    """/protokollforare: who writes the minutes of the next meeting, by the file's rule;
    /protokollforare @name: the chair names them."""
    message = act.message
    named, _rest = first_named(message) if message is not None else (None, "")
    if named is not None:
        person = find(act.session, named)
        if person is None:
            raise Refusal(
                N_("I do not know {name} yet: they need to write in this chat first."),
                name=named.label,
            )
        meeting = documentation.share_out(
            act.session, body=act.body, role=act.role, person=person, now=act.now
        )
        act.reply(view.minute_taker_named(act.body, person, meeting, act.zone))
        return
    duty, person, party = documentation.next_minute_taker(act.session, act.body, today=act.today)
    act.reply(view.minute_taker(act.body, duty, person, party))
