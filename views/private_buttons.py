"""The buttons a member answers with in the private chat: RSVP to a meeting and a vote's
choices. Shared by the private welcome (`views.private`) and by the private reminders (the nudge,
the vote reminder), whose renderers run in the dispatcher and so build outbox buttons.

Callback data, well under 64 bytes: `pr:<meeting id>:<y|n|m>`, `pv:<vote id>:<y|n|a>`.
"""

from __future__ import annotations

from delivery.parts import Button
from i18n import N_, t

PRIVATE_RSVP, PRIVATE_VOTE = "pr", "pv"

RSVP_LABELS = (("y", N_("Coming")), ("n", N_("Not coming")), ("m", N_("Maybe")))
VOTE_LABELS = (("y", N_("Yes")), ("n", N_("No")), ("a", N_("Abstain")))


def rsvp_row(meeting_id: int, language: str, chosen: str | None = None) -> tuple[Button, ...]:
    """Kommer / Kommer inte / Kanske; the answer given is ticked."""
    return tuple(
        Button(
            ("✓ " if code == chosen else "") + t(language, label),
            data=f"{PRIVATE_RSVP}:{meeting_id}:{code}",
        )
        for code, label in RSVP_LABELS
    )


def vote_row(vote_id: int, language: str, chosen: str | None = None) -> tuple[Button, ...]:
    """Ja / Nej / Avstår; the choice made is ticked."""
    return tuple(
        Button(
            ("✓ " if code == chosen else "") + t(language, label),
            data=f"{PRIVATE_VOTE}:{vote_id}:{code}",
        )
        for code, label in VOTE_LABELS
    )
