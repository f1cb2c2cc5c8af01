"""Data protection rules without storage or Telegram: scrubbing names and ids, retention
cutoffs, the `[privacy]` section of a partnership file and the notice built from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from governance.partnership_file import PartnershipFileError, parse_partnership_toml
from governance.partnership_schema import Privacy
from governance.privacy import (
    ERASED_NAME,
    Identity,
    RetentionCutoffs,
    erasure_due,
    months_before,
    notice_of,
    scrub,
    scrub_text,
    shared_cutoffs,
)
from tests.conftest import EXAMPLES

AGNETA = Identity("Agneta", "Karlsson", "agneta_c", frozenset({5550001}))
BO = Identity("Bo", None, "bo", frozenset({5550002}))


def test_scrub_text_replaces_every_spelling_of_the_name_and_nothing_else() -> None:
    text = "Agneta Karlsson och @Agneta_C ringer; agneta_c skriver. Karlsson-gruppen. Agnetas?"
    out = scrub_text(text, AGNETA)
    assert "Agneta" not in out.replace("Agnetas", "") and "agneta_c" not in out.lower()
    assert out.startswith(f"{ERASED_NAME} och {ERASED_NAME} ringer; {ERASED_NAME} skriver.")
    # A word that merely contains the name is not the name.
    assert "Agnetas?" in out
    # "Bo" the name is replaced, "bo" the verb and "Boende" are not; a bare plain username
    # without digits or underscore is too common a word to replace.
    assert scrub_text("Bo ska bo nära Boende.", BO) == f"{ERASED_NAME} ska bo nära Boende."
    assert scrub_text("Agneta", AGNETA) == ERASED_NAME
    assert scrub_text("", AGNETA) == ""


def test_scrub_text_handles_names_with_symbols_and_removes_the_telegram_id() -> None:
    odd = Identity("Åsa-Li", "Ö'Brien", None, frozenset({7000123}))
    assert scrub_text("Hej Åsa-Li Ö'Brien (7000123)!", odd) == f"Hej {ERASED_NAME} ()!"
    assert scrub_text("tg://user?id=7000123", odd) == "tg://user?id="
    assert scrub_text("17000123", odd) == "17000123"  # a longer number is not the id


def test_scrub_json_replaces_names_and_drops_ids_in_any_depth() -> None:
    payload = {
        "owner": "Agneta Karlsson",
        "owner_user_id": 5550001,
        "names": [{"name": "Agneta", "user_id": 5550001}, {"name": "Bertil", "user_id": 42}],
        "text": "Agneta tar fram underlag",
        "count": 3,
        "private": True,
    }
    out = scrub(payload, AGNETA)
    assert out == {
        "owner": ERASED_NAME,
        "owner_user_id": None,
        "names": [{"name": ERASED_NAME, "user_id": None}, {"name": "Bertil", "user_id": 42}],
        "text": f"{ERASED_NAME} tar fram underlag",
        "count": 3,
        "private": True,
    }
    assert scrub(payload, BO) == payload


def test_months_before_clamps_month_ends_and_keeps_the_time() -> None:
    at = datetime(2026, 8, 31, 3, 40, tzinfo=UTC)
    assert months_before(at, 6) == datetime(2026, 2, 28, 3, 40, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def test_cutoffs_and_when_an_erasure_is_due() -> None:
    now = datetime(2027, 6, 3, 2, 0, tzinfo=UTC)
    privacy = Privacy(departed_member_months=6, delivered_reminder_days=90, audit_months=24)
    cut = RetentionCutoffs.of(privacy, now)
    assert cut.departed == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert cut.reminders == now - timedelta(days=90)
    assert cut.audit == datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
    assert cut.processed_updates == now - timedelta(days=2)
    left = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert erasure_due([(left, privacy)], now)
    assert not erasure_due([(left + timedelta(seconds=1), privacy)], now)
    # Two partnerships: the one with the longer period decides.
    longer = Privacy(departed_member_months=12)
    assert not erasure_due([(left, privacy), (left, longer)], now)
    assert not erasure_due([], now)
    # Records of no partnership: the shortest period of all.
    shared = shared_cutoffs([privacy, Privacy(delivered_reminder_days=30)], now)
    assert shared.reminders == now - timedelta(days=30)


def test_privacy_section_defaults_and_bad_values() -> None:
    assert Privacy() == Privacy(
        controller=None,
        contact=None,
        legal_basis=None,
        departed_member_months=6,
        audit_months=24,
        delivered_reminder_days=90,
        processed_update_days=2,
    )
    text = (EXAMPLES / "sof-2023-202.toml").read_text(encoding="utf-8")
    bad = text.replace("processed_update_days = 2", "processed_update_days = 1").replace(
        "departed_member_months = 6", "departed_member_months = 0"
    )
    with pytest.raises(PartnershipFileError) as raised:
        parse_partnership_toml(bad, "x.toml")
    fields = {issue.field for issue in raised.value.errors}
    assert fields == {"privacy.processed_update_days", "privacy.departed_member_months"}
    unknown = text.replace("audit_months = 24", "audit_months = 24\nkeep_forever = true")
    with pytest.raises(PartnershipFileError, match=r"privacy\.keep_forever: unknown field"):
        parse_partnership_toml(unknown, "x.toml")


def test_notice_names_the_controller_of_each_example_file_or_the_public_party() -> None:
    for name in ("sof-2025-144.toml", "sof-2023-202.toml"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        notice = notice_of(parse_partnership_toml(text, name))
        assert notice.controller == "Socialnämnden i Stockholms stad"
        assert notice.controller_from_file
        without = text[: text.index("[privacy]")]
        fallback = notice_of(parse_partnership_toml(without, name))
        assert not fallback.controller_from_file
        assert fallback.controller.startswith("Stockholms stad")
        assert fallback.departed_member_months == 6
