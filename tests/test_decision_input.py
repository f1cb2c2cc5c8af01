"""The decision input syntax: plain text, or a leading [tag] in Swedish or English."""

from __future__ import annotations

from datetime import date

import pytest

from governance.decision_input import (
    CADENCE_CHANGE,
    DecisionTag,
    TagProblem,
    TagProblemCode,
    parse_decision_text,
)

TODAY = date(2026, 1, 15)


def parse(raw: str) -> DecisionTag | TagProblem:
    return parse_decision_text(raw, today=TODAY)


def test_plain_text_is_an_ordinary_decision() -> None:
    assert parse("  Styrgruppen godkänner rutinen.  ") == DecisionTag(
        kind="ordinary", text="Styrgruppen godkänner rutinen."
    )


@pytest.mark.parametrize(
    ("raw", "kind", "party"),
    [
        ("[mindre revidering Convictus] Öppettiderna ändras.", "revision_minor", "Convictus"),
        ("[Minor Revision Convictus] Opening hours change.", "revision_minor", "Convictus"),
        (
            "[väsentlig revidering Ny Gemenskap] Nytt uppdrag.",
            "revision_significant",
            "Ny Gemenskap",
        ),
        ("[vasentlig revidering Convictus] Nytt uppdrag.", "revision_significant", "Convictus"),
        ("[significant revision Convictus] New task.", "revision_significant", "Convictus"),
        ("[brist dialog Convictus] Dialog inleds.", "deficiency_dialogue", "Convictus"),
        ("[brist Convictus] Dialog inleds.", "deficiency_dialogue", "Convictus"),
        ("[deficiency dialogue Convictus] Dialogue starts.", "deficiency_dialogue", "Convictus"),
        ("[uteslutning Convictus] Parten utesluts.", "deficiency_removal", "Convictus"),
        ("[removal Convictus] The party is removed.", "deficiency_removal", "Convictus"),
        ("[ny part Hela Människan] Godkänns som ny part.", "new_party", "Hela Människan"),
        ("[new party Hela Människan] Approved.", "new_party", "Hela Människan"),
    ],
)
def test_tags_select_the_kind_and_keep_the_party_as_written(
    raw: str, kind: str, party: str
) -> None:
    parsed = parse(raw)
    assert isinstance(parsed, DecisionTag)
    assert (parsed.kind, parsed.party) == (kind, party)
    assert parsed.text and not parsed.text.startswith("[")


def test_budget_frame_takes_an_optional_party() -> None:
    assert parse("[budgetram] Ramen höjs.") == DecisionTag(kind="budget_frame", text="Ramen höjs.")
    parsed = parse("[budget frame Convictus] Raised.")
    assert isinstance(parsed, DecisionTag) and parsed.party == "Convictus"


@pytest.mark.parametrize(
    ("raw", "party", "due"),
    [
        ("[åtgärdsplan Convictus 2026-03-01] Plan senast 1 mars.", "Convictus", date(2026, 3, 1)),
        ("[atgardsplan Ny Gemenskap 1 mars 2026] Plan.", "Ny Gemenskap", date(2026, 3, 1)),
        (
            "[action plan Stockholms Stadsmission 15 mars] Plan.",
            "Stockholms Stadsmission",
            date(2026, 3, 15),
        ),
    ],
)
def test_action_plan_needs_a_party_and_a_due_date(raw: str, party: str, due: date) -> None:
    parsed = parse(raw)
    assert isinstance(parsed, DecisionTag)
    assert (parsed.kind, parsed.party, parsed.due_on) == ("deficiency_action_plan", party, due)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("[åtgärdsplan Convictus] Plan.", TagProblemCode.DATE_MISSING),
        ("[åtgärdsplan 2026-03-01] Plan.", TagProblemCode.PARTY_MISSING),
        ("[åtgärdsplan Convictus 2025-03-01] Plan.", TagProblemCode.DATE_INVALID),
        ("[åtgärdsplan Convictus nästa fredag] Plan.", TagProblemCode.DATE_AMBIGUOUS),
        ("[mindre revidering] Text.", TagProblemCode.PARTY_MISSING),
        ("[ny part] Text.", TagProblemCode.NAME_MISSING),
        ("[mindre revidering Convictus Text utan slut", TagProblemCode.UNCLOSED),
        ("[bilaga 2] Ändras.", TagProblemCode.UNKNOWN),
        ("[budgetram]", TagProblemCode.TEXT_MISSING),
        ("   ", TagProblemCode.TEXT_MISSING),
        ("[mötesintervall två] Text.", TagProblemCode.MONTHS_INVALID),
        ("[mötesintervall 0] Text.", TagProblemCode.MONTHS_INVALID),
        ("[mötesintervall 13] Text.", TagProblemCode.MONTHS_INVALID),
    ],
)
def test_bad_tags_are_reported_with_a_code(raw: str, code: TagProblemCode) -> None:
    parsed = parse(raw)
    assert isinstance(parsed, TagProblem)
    assert parsed.code == code


def test_ambiguous_date_lists_both_readings() -> None:
    # Thursday 15 January: "nästa fredag" is tomorrow or a week later.
    parsed = parse("[åtgärdsplan Convictus nästa fredag] Plan.")
    assert isinstance(parsed, TagProblem)
    assert parsed.detail == "2026-01-16,2026-01-23"


def test_a_slash_date_is_day_month() -> None:
    parsed = parse("[åtgärdsplan Convictus 03/04] Plan.")
    assert isinstance(parsed, DecisionTag)
    assert parsed.due_on == date(2026, 4, 3)


@pytest.mark.parametrize(
    "raw",
    [
        "[mötesintervall 2] Varannan månad.",
        "[motesintervall 2 månader] x",
        "[meeting interval 2 months] x",
    ],
)
def test_meeting_interval_in_months(raw: str) -> None:
    parsed = parse(raw)
    assert isinstance(parsed, DecisionTag)
    assert (parsed.kind, parsed.months, parsed.party) == (CADENCE_CHANGE, 2, None)


def test_unknown_tag_detail_is_what_was_written() -> None:
    parsed = parse("[Bilaga 2] Ändras.")
    assert isinstance(parsed, TagProblem) and parsed.detail == "Bilaga 2"
