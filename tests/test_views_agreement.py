"""/avtal's text and the administrator's buttons (views.agreement), without Telegram or a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from governance.lifecycle import FactKind, LifecycleFact, agreement_state
from governance.partnership_file import load_partnership_file
from i18n import language
from services.agreement import AgreementView, Revision
from services.partnerships import spec_hash, spec_json
from storage.models import Partnership, Party
from views import agreement as view

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SPEC = load_partnership_file(EXAMPLES / "sof-2025-144.toml")
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _view(
    facts: list[LifecycleFact], today: date, revisions: dict[str, list[Revision]]
) -> AgreementView:
    data = spec_json(SPEC)
    partnership = Partnership(
        diarienummer=SPEC.diarienummer,
        name=SPEC.name,
        timezone=SPEC.timezone,
        language="sv",
        spec=data,
        spec_hash=spec_hash(data),
        imported_at=NOW,
        updated_at=NOW,
    )
    parties = [
        Party(partnership_id=1, key=p.key, name=p.name, org_number=p.org_number, kind=p.kind)
        for p in SPEC.parties
    ]
    return AgreementView(partnership, SPEC, agreement_state(SPEC, facts, today), parties, revisions)


def test_revisions_with_their_decision_and_approval_state() -> None:
    revisions = {
        "convictus": [
            Revision("SG 2026:2", "revision_minor", date(2026, 6, 1), "final", None),
            Revision(
                "SG 2026:3", "revision_significant", date(2026, 6, 1), "pending_approval",
                "forvaltningschef",
            ),
        ],
        "": [Revision("SG 2026:4", "budget_frame", date(2026, 6, 1), "approved", "socialnamnden")],
    }  # fmt: skip
    extended = [LifecycleFact(FactKind.EXTENSION, date(2027, 4, 30), decision="SG 2026:1")]
    with language("sv"):
        text, keyboard = view.render(
            _view(extended, date(2026, 12, 3), revisions), administrator=False
        )
    assert "Gäller till och med 30 april 2027." in text
    assert "1 maj 2026 – 30 april 2027 (förlängd genom beslut SG 2026:1)" in text
    assert "Tidigare perioder:" in text and "(inledande period)" in text
    lines = text.splitlines()
    convictus = lines.index(next(line for line in lines if "3. Bilaga Convictus" in line))
    assert "SG 2026:2" in lines[convictus + 1] and "mindre revidering" in lines[convictus + 1]
    assert "SG 2026:3" in lines[convictus + 2] and "förvaltningschef" in lines[convictus + 2]
    assert "SG 2026:4" in text and "socialnämnden" in text
    assert keyboard is None  # not the administrator


def test_the_administrators_buttons_fit_telegram() -> None:
    with language("en"):
        _text, keyboard = view.render(_view([], date(2026, 12, 3), {}), administrator=True)
    assert keyboard is not None
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert data == ["ag:x:2027-04-30", "ag:e"]
    assert all(len(str(d).encode()) <= 64 for d in data)
