"""The vote message (edited in place on every press), its keyboard, and the closing note – in
the partnership's language, since the whole body reads them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from i18n import t
from services import votes
from services.votes import Closed, VoteState
from storage.models import Vote
from views import vote_reminders as vote_texts

PREFIX = "vt"  # callback data "vt:<vote id>:<y|n|a|c>" – at most 3 + 1 + 19 + 2 bytes
CLOSE = "c"


def keyboard(vote: Vote, language: str) -> InlineKeyboardMarkup | None:
    if vote.status != "open":
        return None
    row = [
        InlineKeyboardButton(vote_texts.choice_name(choice, language),
                             callback_data=f"{PREFIX}:{vote.id}:{code}")
        for code, choice in votes.CHOICES.items()
    ]  # fmt: skip
    close = InlineKeyboardButton(t(language, "Close"), callback_data=f"{PREFIX}:{vote.id}:{CLOSE}")
    return InlineKeyboardMarkup([row, [close]])


def panel(state: VoteState) -> tuple[str, InlineKeyboardMarkup | None]:
    """The vote message as it stands now."""
    language = state.partnership.language
    text = vote_texts.vote_message(
        state.vote,
        state.tally,
        state.roll_call,
        body_name=state.body.name,
        zone=ZoneInfo(state.partnership.timezone),
        language=language,
        decision_label=state.decision_label,
    )
    return text, keyboard(state.vote, language)


def closed_note(closed: Closed, language: str) -> str:
    """A short message under the vote, so members see that it closed and how."""
    outcome = t(language, vote_texts.OUTCOME_NAMES[closed.tally.outcome])
    text = t(language, "The vote is closed: {outcome}.").format(outcome=outcome)
    if closed.decision_label:
        text += " " + t(language, "Recorded as decision {label}.").format(
            label=closed.decision_label
        )
    return vote_texts.escape(text)
