"""The right of access at a meeting's depth, through the fake Bot API: after a meeting where
three members answered the kallelse, wrote lines, were given action items and voted, a
member's /mina_uppgifter holds their own answer, line, action item and ballot, and nothing of
the others'."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from storage.db import transaction
from storage.models import Ballot, Person, Rsvp
from tests.conftest import Harness
from tests.fakebot import FakeChat
from tests.privacy_scan import traces_in_json
from tests.test_justering import JUSTERARE, close_with_draft
from tests.test_meetings_flow import ADMIN, CHAIR, CITY, SG_CHAT, press, say
from tests.test_minutes_flow import meeting_harness  # noqa: F401

OTHERS_NAMES = {"Agneta", "agneta_c", "Cecilia", "cecilia_city", "Åsa", "asa_admin"}
OTHERS_IDS = {CHAIR.id, CITY.id, ADMIN.id}


async def test_a_member_gets_their_own_records_and_none_of_the_others(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    # Bertil answered the kallelse (yes), wrote the opening note and owns an action item;
    # Agneta (chair) answered yes and wrote the decisions; Cecilia answered no.
    await close_with_draft(h)
    vote = (await say(h, CHAIR, SG_CHAT, "/omrostning Ny lokal? | 2026-12-17 17:00"))[-1]
    vote_id = vote.button_data()[0].split(":")[1]
    for user, choice in ((JUSTERARE, "y"), (CHAIR, "n"), (CITY, "a")):
        await press(h, user, SG_CHAT, vote.message_id, f"vt:{vote_id}:{choice}")
    with transaction(h.services.session_factory) as s:
        assert len(s.exec(select(Rsvp)).all()) == 3 and len(s.exec(select(Ballot)).all()) == 3
        bertil = s.exec(select(Person).where(Person.telegram_user_id == JUSTERARE.id)).one()

    chat = FakeChat.private(JUSTERARE)
    before = len(h.fake.sent)
    await say(h, JUSTERARE, chat, "/mina_uppgifter")
    sent = [m for m in h.fake.sent[before:] if m.chat_id == JUSTERARE.id]
    assert not [m for m in h.fake.sent[before:] if m.chat_id != JUSTERARE.id]
    summary = "\n".join(m.plain for m in sent if m.text)
    assert "Bertil (@bertil_s)" in summary and "Stadsmission" in summary
    (file,) = [m for m in sent if m.document_name]
    data: dict[str, Any] = json.loads(file.document_bytes or b"")

    assert data["person"]["id"] == bertil.id and data["person"]["username"] == "bertil_s"
    assert [(r["person_id"], r["answer"]) for r in data["rsvps"]] == [(bertil.id, "yes")]
    assert [(b["person_id"], b["choice"]) for b in data["ballots"]] == [(bertil.id, "yes")]
    assert [line["text"] for line in data["minute_lines"]] == ["Mötet öppnades"]
    assert [item["text"] for item in data["action_items"]] == ["Ta fram underlag"]
    assert all(m["person_id"] == bertil.id for m in data["memberships"])
    # Nothing of Agneta, Cecilia or Åsa: not their answers, ballots, lines, names or ids.
    assert traces_in_json(data, names=OTHERS_NAMES, ids=OTHERS_IDS) == []
    assert not any(name in summary for name in ("Agneta", "Cecilia", "Åsa"))
