"""Who reacts to which domain event (`services.events`): importing this module registers them.

The composition root (`bot.app`) calls `install()` once. A new reaction is a `@subscribe` function in
the module that reacts, and an import here.
"""

from __future__ import annotations

from services import agreement, deadlines, escalations, events

__all__ = ["agreement", "deadlines", "escalations", "install"]


def install() -> None:
    """Called once by the composition root; the imports above have registered the subscribers."""
    events.mark_installed()
