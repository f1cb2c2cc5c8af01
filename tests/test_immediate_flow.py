"""Omedelbar justering end to end: a decision tagged [omedelbar justering] is approved by the
chair and the justerare during the meeting, its paragraph locked and posted as an extract; its
line can no longer be corrected; the rest of the protokoll follows the normal path."""

from __future__ import annotations

from governance.decision_input import split_immediate
from storage.immediate import ImmediateJustering
from storage.models import ProtokollRecord
from tests.conftest import Harness
from tests.pdfcheck import pages_text
from tests.test_justering import JUSTERARE
from tests.test_meetings_flow import CHAIR, CITY, SG_CHAT, STRANGER, press, say
from tests.test_minutes_flow import meeting_harness, opened_meeting, rows  # noqa: F401


def test_the_tag_is_read_in_swedish_and_english() -> None:
    assert split_immediate("[omedelbar justering] Text") == (True, "Text")
    assert split_immediate("[Omedelbar Justering] [mindre revidering Convictus] Text") == (
        True,
        "[mindre revidering Convictus] Text",
    )
    assert split_immediate("[immediate] Text") == (True, "Text")
    assert split_immediate("[mindre revidering Convictus] Text") == (
        False,
        "[mindre revidering Convictus] Text",
    )
    assert split_immediate("Text [omedelbar justering]") == (False, "Text [omedelbar justering]")


async def test_a_paragraph_justerad_at_once_during_the_meeting(
    meeting_harness: Harness,  # noqa: F811
) -> None:
    h = meeting_harness
    await opened_meeting(h)
    await say(h, CHAIR, SG_CHAT, "/motesstart @bertil_s")
    await say(h, CHAIR, SG_CHAT, "/nasta")
    update = h.fake.send_text(
        CHAIR, SG_CHAT, "/beslut [omedelbar justering] Convictus öppnar nattcaféet i kväll."
    )
    await h.settle(update)
    decision_message = update["message"]["message_id"]
    prompt = next(m for m in reversed(h.fake.sent) if m.button_data())
    (button,) = prompt.button_data()
    assert button.startswith("oj:") and "SG 2026:1" in prompt.plain

    # Only the chair and the justerare approve; a member and a stranger are refused.
    for user in (CITY, STRANGER):
        answer = await press(h, user, SG_CHAT, prompt.message_id, button)
        assert answer is not None and answer.get("show_alert")
    answer = await press(h, CHAIR, SG_CHAT, prompt.message_id, button)
    assert answer is not None and not answer.get("show_alert") and "justerare" in answer["text"]
    before = len(h.fake.sent)
    await press(h, JUSTERARE, SG_CHAT, prompt.message_id, button)
    (row,) = rows(h, ImmediateJustering)
    assert row.status == "final" and row.number is not None and row.content_hash
    assert f"§ {row.number} (beslut SG 2026:1) är omedelbart justerad och låst" in prompt.plain
    (extract,) = [m for m in h.fake.sent[before:] if m.document_name]
    assert "omedelbart" in extract.plain.lower()
    text = " ".join(pages_text(extract.document_bytes or b""))
    assert "Omedelbart justerat digitalt 2026-12-10 kl. 14.00 av Bertil (justerare)" in text
    assert f"Paragrafer: § {row.number}" in text and row.content_hash in text
    assert "Convictus öppnar nattcaféet i kväll." in text
    # Pressed again: already justerad.
    answer = await press(h, CHAIR, SG_CHAT, prompt.message_id, button, check=False)
    assert answer is not None and answer.get("show_alert")

    # The locked line cannot be corrected; another line can.
    await h.settle(
        h.fake.send_text(
            CHAIR,
            SG_CHAT,
            "/andra Convictus öppnar i morgon.",
            reply_to_message_id=decision_message,
        )
    )
    refusal = h.fake.sent[-1]
    assert refusal.plain == "Beslutet justerades omedelbart under mötet och kan inte ändras."

    # The rest follows the normal path: closing gives the draft of the whole protokoll.
    await say(h, CHAIR, SG_CHAT, "/motesslut")
    (draft,) = rows(h, ProtokollRecord)
    assert draft.status == "draft"
    assert "Convictus öppnar nattcaféet i kväll." in str(draft.content)
