"""`/start` in the private chat, and the router of deep-link payloads.

A group message that promises something private carries a deep-link button
(`https://t.me/<bot>?start=<payload>`, `views.links`); pressing it opens the private chat and
sends `/start <payload>` here. A payload is `<prefix>_<rest>` (at most 64 characters of
`A-Za-z0-9_-`); each feature registers its prefix once:

    from handlers.start import on_start

    @on_start("rep")                    # /start rep_12 (handlers.reports)
    def _report_form(act: Act, rest: str) -> None:
        ...

Registered here: `b_<body id>` ("link me, and show what is waiting for me"), also what a plain
`/start` shows. An unknown or stale payload is answered politely, followed by the same welcome.
`/start` in a group is answered by `handlers.commands` (the help for that chat).
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.wrapper import Act
from services import private
from views import private as view

Route = Callable[[Act, str], None]

_routes: dict[str, Route] = {}

__all__ = ["Route", "on_start", "private_start", "routes"]


def on_start(prefix: str) -> Callable[[Route], Route]:
    """Register the handler of payloads `<prefix>_…` (a prefix is registered once)."""
    if not prefix.isalnum():
        raise ValueError(f"a payload prefix is letters and digits: {prefix!r}")

    def decorate(route: Route) -> Route:
        if _routes.get(prefix, route) is not route:
            raise ValueError(f"the payload prefix {prefix!r} is taken")
        _routes[prefix] = route
        return route

    return decorate


def routes() -> dict[str, Route]:
    return dict(_routes)


def private_start(act: Act) -> None:
    """`/start [payload]` in the private chat (run inside the wrapper's transaction)."""
    payload = act.args.strip()
    if not payload:
        _welcome(act, None)
        return
    prefix, _sep, rest = payload.partition("_")
    route = _routes.get(prefix)
    if route is None:
        act.reply(view.unknown_link())
        _welcome(act, None)
        return
    route(act, rest)


def _welcome(act: Act, body_id: int | None) -> None:
    user = act.user
    if user is None:
        return
    found = private.start_private(
        act.session, telegram_user_id=user.id, body_id=body_id, now=act.now
    )
    act.reply(view.welcome(found))
    for text, keyboard in view.cards(found):
        act.reply(text, keyboard)


@on_start("b")
def _from_body(act: Act, rest: str) -> None:
    """From a body's group message: link, and show what is waiting (in every body)."""
    _welcome(act, int(rest) if rest.isdigit() and len(rest) < 12 else None)
