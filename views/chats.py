"""The bot in a group: its greeting, and the answer to /koppla."""

from __future__ import annotations

from i18n import _
from services.chats import LinkResult
from views.common import esc


def greeting() -> str:
    return _(
        "Hello! I help the partnership's steering group (styrgrupp) and collaboration "
        "group (samverkansgrupp) with meetings, minutes, decisions, votes, reminders and "
        "reports.\n\nTo start, the partnership's administrator or an admin of this group "
        "links the group to its body:\n<code>/koppla SOF 2025/144 samverkansgrupp</code>\n"
        "(the diarienummer, then styrgrupp or samverkansgrupp). Then each member writes "
        "<code>/jag</code> and the name of their organisation. /hjalp shows everything."
    )


def welcome_back() -> str:
    return _("Thank you for adding me back. Reminders for this group are on again.")


def linked(result: LinkResult, example: str = "") -> str:
    """The answer to /koppla; `example` is a party of this partnership for the /jag example."""
    if result.already_linked:
        text = _("This chat is already the {body} of {name} ({dnr}).")
    else:
        text = _(
            "This chat is now the {body} of {name} ({dnr}).\n\nEach member: write "
            "<code>/jag</code> and your organisation, e.g. <code>/jag {example}</code>. "
            "The chair or the administrator confirms."
        )
    partnership = result.partnership
    return text.format(
        body=esc(result.body.name),
        name=esc(partnership.name),
        dnr=esc(partnership.diarienummer),
        example=esc(example),
    )
