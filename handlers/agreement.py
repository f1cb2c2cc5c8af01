"""/avtal: the agreement as it stands, and the administrator's buttons (extended / ended)."""

from __future__ import annotations

from datetime import date

from handlers.common import wake_dispatcher
from handlers.wrapper import BodyAct, in_body
from i18n import N_
from services import agreement
from services.errors import Refusal
from views import agreement as view

ONLY_ADMINISTRATOR = N_("Only the partnership's administrator can record this.")


@in_body()
def show(act: BodyAct) -> None:
    """/avtal; "/avtal ny part Name 802000-1239": the administrator adds an admitted party."""
    note = ""
    words = act.args.split()
    if " ".join(words[:2]).casefold() in agreement.NEW_PARTY_WORDS:
        party = agreement.add_party(
            act.session,
            act.partnership,
            text=" ".join(words[2:]),
            administrator=act.role.is_administrator,
            user_id=act.user.id if act.user else None,
            now=act.now,
        )
        note = "\n\n" + view.party_added(party)
    found = agreement.agreement_view(act.session, act.partnership, act.now)
    text, keyboard = view.render(found, administrator=act.role.is_administrator)
    act.reply(text + note, keyboard)


@in_body(data=rf"{view.EXTEND}:(x:\d{{4}}-\d{{2}}-\d{{2}}|e)")
def button(act: BodyAct) -> None:
    action, _sep, raw_day = act.data[0].partition(":")
    if not act.role.is_administrator:
        raise Refusal(ONLY_ADMINISTRATOR)
    user_id = act.user.id if act.user else None
    if action == "x":
        new_end = date.fromisoformat(raw_day)
        agreement.record_extension(
            act.session, act.partnership, new_end, user_id=user_id, now=act.now
        )
        note = view.recorded_extension(new_end)
    else:
        note = view.recorded_end(
            agreement.record_end(act.session, act.partnership, user_id=user_id, now=act.now)
        )
    act.answer()
    found = agreement.agreement_view(act.session, act.partnership, act.now)
    text, keyboard = view.render(found, administrator=True)
    act.edit(f"{text}\n\n{note}", keyboard)
    act.then(lambda: wake_dispatcher(act.context))
