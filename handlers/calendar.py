"""/kalender (en /calendar): a member's personal calendar subscription of the body's meetings."""

from __future__ import annotations

from handlers.wrapper import BodyAct, in_body
from i18n import N_
from services import calendar_feed
from services.errors import Refusal
from views import calendar_feed as view

RENEW_WORDS = ("ny", "new", "nytt", "renew")


@in_body()
def calendar(act: BodyAct) -> None:
    public_url = getattr(act.runtime.settings, "public_url", "")
    if not public_url:
        raise Refusal(
            N_(
                "Calendar subscriptions are not switched on for this bot: its operator sets "
                "PUBLIC_URL (see the README)."
            )
        )
    subscription = calendar_feed.subscribe(
        act.session,
        body=act.body,
        partnership=act.partnership,
        role=act.role,
        renew=act.args.strip().lower() in RENEW_WORDS,
        now=act.now,
    )
    person = act.role.person
    assert person is not None
    text = view.subscription_text(subscription, view.feed_address(public_url, subscription.secret))
    private_chat = person.private_chat_id
    if private_chat is None:
        act.reply(*view.start_private_first(act.context.bot.username))
        return
    act.then(lambda: act.context.bot.send_message(private_chat, text))
    act.reply(view.sent_privately_text())
