"""/lyft (raise a question to the styrgrupp, confirmed by the chair with a button) and /lyfta."""

from __future__ import annotations

from handlers.common import wake_dispatcher
from handlers.meetings import queue_panel_edit
from handlers.wrapper import BodyAct, in_body
from services import escalations
from views import escalation_reminders  # noqa: F401  (registers the escalation renderers)
from views import escalations as view


@in_body(admin=True)
def raise_question(act: BodyAct) -> None:
    """/lyft <question>: any member proposes; the reply carries the chair's confirm button."""
    proposal = escalations.raise_question(
        act.session,
        body=act.body,
        role=act.role,
        question=act.args,
        source_message_id=act.message.message_id if act.message is not None else None,
        now=act.now,
    )
    act.reply(*view.proposal(proposal.escalation, proposal.proposer))


@in_body(admin=True, data=rf"{view.PREFIX}:(\d+):([{view.CONFIRM}{view.WITHDRAW}])")
def escalation_button(act: BodyAct) -> None:
    """es:<id>:c (the chair confirms) or es:<id>:w (withdrawn); a second press changes nothing."""
    handled = escalations.handle_proposal(
        act.session,
        escalation_id=int(act.data[0]),
        body=act.body,
        role=act.role,
        confirmed=act.data[1] == view.CONFIRM,
        now=act.now,
    )
    if not handled.changed:
        act.answer(view.already_handled())
    else:
        act.answer()
        act.then(lambda: wake_dispatcher(act.context))
        if handled.published_meeting_id is not None:
            # A question delivered onto an already published meeting changes its kallelse.
            queue_panel_edit(act.session, handled.published_meeting_id, act.now)
    act.edit(view.outcome(handled.escalation, handled.proposer))


@in_body()
def list_escalations(act: BodyAct) -> None:
    """/lyfta: the partnership's open questions with their state and age; /lyfta alla: all of
    them, with their decisions."""
    if act.args.strip().lower() in ("alla", "all"):
        # The history: every question, with the decision it got.
        act.reply(
            view.history(escalations.escalation_history(act.session, act.partnership, now=act.now))
        )
        return
    found = escalations.open_escalations(act.session, act.partnership, now=act.now)
    act.reply(view.open_list(found, act.zone))
