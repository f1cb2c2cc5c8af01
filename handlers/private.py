"""Answers given in the private chat: RSVP (`pr:`) and votes (`pv:`) on the cards of the welcome
and of the private reminders. The same rules as the buttons in the group (services.private);
the group's kallelse and vote message are brought up to date (`_follow_*`).

Callback data: `pr:<meeting id>:<y|n|m>`, `pv:<vote id>:<y|n|a>` (views.private_buttons).
"""

from __future__ import annotations

from handlers.meetings import queue_panel_edit
from handlers.votes import queue_vote_edit
from handlers.wrapper import BAD_BUTTON, Act, in_chat
from i18n import _, current_language
from services import private
from services import votes as vote_service
from services.errors import Refusal
from services.private import PendingMeeting, PendingVote
from storage.models import Body, Partnership
from views import private as view
from views import vote_reminders as vote_texts
from views.kallelse import ANSWER_CODES, rsvp_answered
from views.private_buttons import PRIVATE_RSVP, PRIVATE_VOTE


def _user_id(act: Act) -> int:
    user = act.user
    if user is None:
        raise Refusal(BAD_BUTTON)
    return user.id


@in_chat(data=rf"{PRIVATE_RSVP}:(\d{{1,12}}):([ynm])")
def rsvp(act: Act) -> None:
    meeting_id, code = int(act.data[0]), act.data[1]
    outcome, body = private.meeting_answer(
        act.session,
        telegram_user_id=_user_id(act),
        meeting_id=meeting_id,
        choice=ANSWER_CODES[code],
        now=act.now,
    )
    act.answer(rsvp_answered(outcome.answer, changed=outcome.changed))
    if not outcome.changed:
        return
    partnership = act.session.get(Partnership, body.partnership_id)
    assert partnership is not None
    act.edit(*view.meeting_card(PendingMeeting(outcome.meeting, body, partnership), outcome.answer))
    _follow_kallelse(act, body, meeting_id)


@in_chat(data=rf"{PRIVATE_VOTE}:(\d{{1,12}}):([yna])")
def vote(act: Act) -> None:
    vote_id, code = int(act.data[0]), act.data[1]
    cast, body = private.vote_in_private(
        act.session, telegram_user_id=_user_id(act), vote_id=vote_id, choice=code, now=act.now
    )
    name = vote_texts.choice_name(cast.choice, current_language())
    if not cast.changed:
        act.answer(_("Your vote is already {choice}.").format(choice=name))
        return
    act.answer(_("Your vote: {choice}").format(choice=name))
    partnership = act.session.get(Partnership, body.partnership_id)
    assert partnership is not None
    act.edit(*view.vote_card(PendingVote(cast.vote, body, partnership), code))
    _follow_vote(act, body, cast)


# --- the group's messages follow ----------------------------------------------------------


def _follow_kallelse(act: Act, body: Body, meeting_id: int) -> None:
    """The kallelse's count in the group, edited (coalesced) through the outbox."""
    queue_panel_edit(act.session, meeting_id, act.now)


def _follow_vote(act: Act, body: Body, cast: vote_service.Cast) -> None:
    """The vote message in the group shows the new ballot."""
    queue_vote_edit(act.session, vote_service.state_of(act.session, cast.vote), act.now)
