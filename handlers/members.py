"""/jag with confirmation, /ledamoter, /ordforande."""

from __future__ import annotations

from datetime import date

import handlers.privacy as privacy
from governance.timeparse import AmbiguousDate, Invalid, parse_date
from handlers.dates import date_error_text, day_first
from handlers.mentions import first_named
from handlers.wrapper import Act, BodyAct, in_body, in_chat
from i18n import N_
from services import meeting_reminders, members
from services import people as people_service
from services.errors import Refusal
from services.people import find
from storage import people
from storage.models import Person
from views import members as view


@in_body()
def iam(act: BodyAct) -> None:
    act.require_person(
        N_("Write /jag from your own account, not anonymously, so the others know who you are.")
    )
    person = act.role.person
    assert person is not None  # the pre-handler remembered the sender
    request = members.request_membership(
        act.session, body=act.body, person=person, party_query=act.args, now=act.now
    )
    assert request.membership.id is not None
    text, keyboard = view.membership_request(person, request.party, request.membership.id)
    # The privacy notice, once, when a person first registers.
    notice = privacy.notice_on_registration(act, person, act.partnership)
    act.reply(f"{text}\n\n{notice}" if notice else text, keyboard)


@in_body(admin=True, data=r"(m[cr]):(\d+)")
def decide(act: BodyAct) -> None:
    action, raw_id = act.data
    _membership, person, party = members.decide_membership(
        act.session,
        body=act.body,
        membership_id=int(raw_id),
        approve=action == view.CONFIRM,
        decider=act.role,
        now=act.now,
        today=act.today,
    )
    if action == view.CONFIRM:  # a new member is nudged about the kallelser already out
        meeting_reminders.sync_member_nudges(act.session, act.body, now=act.now)
    act.answer()
    act.edit(
        *view.membership_decided(
            person,
            party,
            act.role.person,
            confirmed=action == view.CONFIRM,
            body_id=act.body.id,
            bot_username=act.context.bot.username,
        )
    )


@in_body()
def list_members(act: BodyAct) -> None:
    act.reply(view.member_list(members.member_list(act.session, act.body, act.today)))


@in_body(admin=True)
def appoint_chair(act: BodyAct) -> None:
    assert act.message is not None
    named, rest = first_named(act.message, or_reply=True)
    target = find(act.session, named) if named is not None else None
    if target is None:
        raise Refusal(
            N_(
                "Name the new chair: /ordforande @username [until date], or reply to one of their messages with /ordforande."
            )
        )
    until: date | None = None
    if rest:
        result = parse_date(rest, today=act.today, day_first=day_first())
        if isinstance(result, Invalid):
            raise Refusal(date_error_text(result.code))
        if isinstance(result, AmbiguousDate):
            assert target.id is not None
            act.reply(*view.chair_date_question(target.id, result.candidates))
            return
        until = result.day
    act.reply(_appoint(act, target, until))


@in_body(admin=True, data=rf"{view.CHAIR_DATE}:(\d+):(\d{{4}}-\d{{2}}-\d{{2}})")
def appoint_chair_with_date(act: BodyAct) -> None:
    """The answer to "which date did you mean?": the presser's own rights are checked again."""
    person_id, raw_day = act.data
    try:
        until = date.fromisoformat(raw_day)
    except ValueError:
        raise Refusal(N_("This button is no longer valid.")) from None
    text = _appoint(act, members.person_by_id(act.session, int(person_id)), until)
    act.answer()
    act.edit(text)


def _appoint(act: BodyAct, target: Person, until: date | None) -> str:
    term = members.appoint_chair_of_body(
        act.session,
        body=act.body,
        partnership=act.partnership,
        appointer=act.role,
        chair=target,
        until=until,
        today=act.today,
        now=act.now,
    )
    return view.chair_appointed(target, act.body.name, term.ends_on)


@in_chat()
def formal_name(act: Act) -> None:
    """/namn Förnamn Efternamn[, titel]: the name the minutes and kallelser use (in private or
    in the group; "-" goes back to the Telegram name)."""
    user = act.user
    if user is None:
        raise Refusal(N_("Write /namn from your own account, not anonymously."))
    person = people.get_person_by_telegram_id(act.session, user.id)
    if person is None:
        raise Refusal(N_("Write to me once more, please: I did not catch who you are."))
    if not act.args.strip():
        act.reply(view.formal_name_now(person))
        return
    chosen = people_service.set_formal_name(act.session, person, act.args)
    act.reply(view.formal_name_set(person, chosen))
