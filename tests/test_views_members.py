"""Views of /jag, /ledamoter, /ordforande and /hjalp: pure functions, no Telegram, no database."""

from __future__ import annotations

from datetime import date

from i18n import language
from services.members import MemberList
from services.roles import Role
from storage.models import ChairTerm
from tests import viewdata as v
from views import help as help_view
from views import members as view


def test_membership_request_names_the_person_escaped_and_carries_both_buttons() -> None:
    person = v.person(first="<Anna>", last=None)
    with language("en"):
        text, keyboard = view.membership_request(person, v.party(name="A & B"), 42)
    assert "&lt;Anna&gt;" in text and "A &amp; B" in text
    assert 'href="tg://user?id=1001"' in text
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert data == ["mc:42", "mr:42"]


def test_member_list_by_party_with_chair_pending_and_empty_parties() -> None:
    anna, bo, cilla = v.person(1, "Anna"), v.person(2, "Bo", None), v.person(3, "Cilla", None)
    convictus, stadsmission = v.party(1, "Convictus"), v.party(2, "Stadsmission")
    term = ChairTerm(body_id=10, person_id=1, starts_on=date(2026, 1, 1),
                     ends_on=date(2026, 12, 31), created_at=v.NOW)  # fmt: skip
    listing = MemberList(
        body=v.body(),
        parties=[convictus, stadsmission],
        confirmed=[(anna, convictus), (bo, convictus)],
        pending=[cilla],
        chair=(term, anna),
    )
    with language("sv"):
        text = view.member_list(listing)
    lines = text.splitlines()
    assert lines[0] == "<b>Ledamöter i Styrgruppen</b>"
    assert lines[1].startswith("• <b>Convictus</b>: Anna Berg (ordförande), Bo")
    assert lines[2] == "• <b>Stadsmission</b>: —"
    assert "Cilla" in lines[4]
    assert "2026-12-31" in lines[-1]


def test_member_list_without_chair_says_how_to_record_one() -> None:
    listing = MemberList(v.body(), [], [], [], None)
    with language("en"):
        assert view.member_list(listing).endswith(
            "No chair is recorded. Record one with /chair @name."
        )


def test_chair_date_question_offers_each_reading() -> None:
    _text, keyboard = view.chair_date_question(7, [date(2027, 3, 4), date(2027, 4, 3)])
    data = [b.callback_data for b in keyboard.inline_keyboard[0]]
    assert data == ["cd:7:2027-03-04", "cd:7:2027-04-03"]
    assert all(len(d.encode()) <= 64 for d in data)


def test_group_help_shows_the_commands_of_the_role() -> None:
    class Cmd:
        def __init__(self, sv: str, en: str, audience: str) -> None:
            self.sv, self.en, self.description, self.audience = sv, en, "What " + en, audience
            self.in_groups = True

    commands = [Cmd("jag", "iam", "everyone"), Cmd("punkt", "item", "member"),
                Cmd("kallelse", "meeting", "chair")]  # fmt: skip
    member = v.person()
    guest = Role(member, None, False, False, False)
    chair = Role(member, None, False, True, False)
    with language("en"):
        as_guest = help_view.group_help(v.body(), v.partnership(), guest, commands, english=True)
        as_chair = help_view.group_help(v.body(), v.partnership(), chair, commands, english=False)
    assert "/iam" in as_guest and "/item" not in as_guest and "/meeting" not in as_guest
    assert as_guest.endswith("Your role here: not yet a confirmed member")
    assert "/jag" in as_chair and "/punkt" in as_chair and "/kallelse" in as_chair
