"""Importing partnership files: idempotent, with a readable list of what changes."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from governance import lifecycle
from governance.partnership_schema import PartnershipSpec
from governance.protokoll import DecisionKind
from storage import agreement_facts, bodies
from storage import decisions as decisions_repo
from storage.models import Administrator, AuditEntry, Body, Partnership, Party


def spec_json(spec: PartnershipSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json")


def spec_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@lru_cache(maxsize=64)
def _parse_cached(digest: str, raw: str) -> PartnershipSpec:
    return PartnershipSpec.model_validate(json.loads(raw))


def spec_of(partnership: Partnership) -> PartnershipSpec:
    """The validated rules of a stored partnership (parsed once per version)."""
    return _parse_cached(partnership.spec_hash, json.dumps(partnership.spec, sort_keys=True))


def import_partnership(
    session: Session, spec: PartnershipSpec, *, now: datetime, dry_run: bool = False
) -> list[str]:
    """Create or update a partnership from its file; returns the changes (empty: nothing to do).

    Parties removed from the file are kept but marked inactive, since decisions, minutes and
    votes refer to them.
    """
    changes: list[str] = []
    data = spec_json(spec)
    digest = spec_hash(data)
    partnership = bodies.get_partnership_by_diarienummer(session, spec.diarienummer)
    if partnership is None:
        partnership = Partnership(
            diarienummer=spec.diarienummer,
            name=spec.name,
            timezone=spec.timezone,
            language=spec.language,
            spec=data,
            spec_hash=digest,
            imported_at=now,
            updated_at=now,
        )
        session.add(partnership)
        session.flush()
        changes.append(f"new partnership {spec.diarienummer}: {spec.name}")
    else:
        for attr, value in (
            ("name", spec.name),
            ("timezone", spec.timezone),
            ("language", spec.language),
        ):
            if getattr(partnership, attr) != value:
                changes.append(f"{attr}: {getattr(partnership, attr)!r} -> {value!r}")
                setattr(partnership, attr, value)
        if partnership.spec_hash != digest:
            changed_keys = sorted(
                key
                for key in set(data) | set(partnership.spec)
                if data.get(key) != partnership.spec.get(key)
            )
            changes.append("rules changed in: " + ", ".join(changed_keys))
            changes += _lifecycle_consequences(session, partnership, spec, now)
            partnership.spec = data
            partnership.spec_hash = digest
        if changes:
            partnership.updated_at = now
            session.add(partnership)
    assert partnership.id is not None
    added: list[Party] = []
    changes += _sync_parties(session, partnership.id, spec, added)
    changes += _link_new_parties(session, partnership.id, added, now)
    changes += _sync_bodies(session, partnership.id, spec)
    changes += _sync_administrators(session, partnership.id, spec)
    if changes and not dry_run:
        session.add(
            AuditEntry(
                partnership_id=partnership.id,
                at=now,
                action="partnership.import",
                detail={"changes": changes, "spec_hash": digest},
            )
        )
    session.flush()
    return changes


def _lifecycle_consequences(
    session: Session, partnership: Partnership, spec: PartnershipSpec, now: datetime
) -> list[str]:
    """What the changed file changes in the agreement's life today (governance.lifecycle)."""
    assert partnership.id is not None
    today = now.astimezone(ZoneInfo(spec.timezone)).date()
    facts = agreement_facts.lifecycle_facts(session, partnership.id)
    old = lifecycle.agreement_state(spec_of(partnership), facts, today)
    new = lifecycle.agreement_state(spec, facts, today)
    return [f"agreement: {line}" for line in lifecycle.consequences(old, new)]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _link_new_parties(
    session: Session, partnership_id: int, added: list[Party], now: datetime
) -> list[str]:
    """A party new in the file is linked to the styrgrupp's `[ny part …]` decision that names it
    (001 §5.6.1): it takes part from that decision's day. The dry run says which decision."""
    if not added:
        return []
    session.flush()
    changes: list[str] = []
    unlinked = [
        (decision, body)
        for decision, body, party in decisions_repo.decisions_of_kinds(
            session, partnership_id, (DecisionKind.NEW_PARTY,)
        )
        if party is None
    ]
    for party in added:
        wanted = {_fold(party.name), _fold(party.key)}
        found = next(((d, b) for d, b in unlinked if any(w in _fold(d.text) for w in wanted)), None)
        if found is None:
            changes.append(f"party {party.key}: no [ny part …] decision names it")
            continue
        decision, body = found
        unlinked.remove(found)
        decision.party_id = party.id
        session.add(decision)
        agreement_facts.add_fact(
            session,
            agreement_facts.AgreementFact(
                partnership_id=partnership_id,
                kind=lifecycle.FactKind.NEW_PARTY.value,
                effective_on=decision.decided_on,
                party_key=party.key,
                decision_id=decision.id,
                recorded_at=now,
            ),
        )
        changes.append(
            f"party {party.key}: admitted by decision {decisions_repo.decision_label(body, decision)}"
            f" of {decision.decided_on.isoformat()}"
        )
    return changes


def _sync_parties(
    session: Session, partnership_id: int, spec: PartnershipSpec, added: list[Party]
) -> list[str]:
    changes = []
    existing = {p.key: p for p in bodies.parties_of(session, partnership_id, active_only=False)}
    fresh = not existing
    for party in spec.parties:
        row = existing.pop(party.key, None)
        if row is None:
            row = Party(
                partnership_id=partnership_id,
                key=party.key,
                name=party.name,
                org_number=party.org_number,
                kind=party.kind,
            )
            session.add(row)
            if not fresh:
                added.append(row)
            changes.append(f"new party {party.name} ({party.org_number})")
            continue
        for attr in ("name", "org_number", "kind"):
            if getattr(row, attr) != getattr(party, attr):
                changes.append(
                    f"party {party.key}: {attr} {getattr(row, attr)!r} -> {getattr(party, attr)!r}"
                )
                setattr(row, attr, getattr(party, attr))
        if not row.active:
            row.active = True
            changes.append(f"party {party.key} is active again")
        session.add(row)
    admitted = {
        f.party for f in agreement_facts.lifecycle_facts(session, partnership_id)
        if f.kind == lifecycle.FactKind.NEW_PARTY
    }  # fmt: skip
    for row in existing.values():
        if row.key in admitted and row.active:
            changes.append(f"party {row.key}: added in /avtal, not yet in the file")
            continue
        if row.active:
            row.active = False
            session.add(row)
            changes.append(f"party {row.key} is no longer in the file: kept, marked inactive")
    return changes


def _sync_bodies(session: Session, partnership_id: int, spec: PartnershipSpec) -> list[str]:
    changes = []
    for kind, body_spec in spec.bodies.items():
        row = bodies.get_body(session, partnership_id, kind)
        if row is None:
            session.add(
                Body(
                    partnership_id=partnership_id,
                    kind=kind,
                    name=body_spec.name,
                    decision_prefix=body_spec.decision_prefix,
                )
            )
            changes.append(
                f"new body {kind} ({body_spec.name}, decisions {body_spec.decision_prefix})"
            )
            continue
        for attr in ("name", "decision_prefix"):
            if getattr(row, attr) != getattr(body_spec, attr):
                changes.append(
                    f"{kind}: {attr} {getattr(row, attr)!r} -> {getattr(body_spec, attr)!r}"
                )
                setattr(row, attr, getattr(body_spec, attr))
                session.add(row)
    return changes


def _sync_administrators(session: Session, partnership_id: int, spec: PartnershipSpec) -> list[str]:
    changes = []
    rows = session.exec(
        select(Administrator).where(
            Administrator.partnership_id == partnership_id, Administrator.source == "file"
        )
    ).all()
    existing = {row.telegram_user_id: row for row in rows}
    for user_id in spec.administrators:
        if existing.pop(user_id, None) is None:
            session.add(Administrator(partnership_id=partnership_id, telegram_user_id=user_id))
            changes.append(f"administrator {user_id} added")
    for user_id, row in existing.items():
        session.delete(row)
        changes.append(f"administrator {user_id} removed (no longer in the file)")
    return changes


def set_administrator(
    session: Session, diarienummer: str, telegram_user_id: int, *, add: bool
) -> str:
    partnership = bodies.get_partnership_by_diarienummer(session, diarienummer)
    if partnership is None or partnership.id is None:
        return f"no partnership {diarienummer} is imported"
    row = session.exec(
        select(Administrator).where(
            Administrator.partnership_id == partnership.id,
            Administrator.telegram_user_id == telegram_user_id,
        )
    ).first()
    if add and row is None:
        session.add(
            Administrator(
                partnership_id=partnership.id, telegram_user_id=telegram_user_id, source="cli"
            )
        )
        return f"{telegram_user_id} is now an administrator of {partnership.diarienummer}"
    if not add and row is not None:
        session.delete(row)
        return f"{telegram_user_id} is no longer an administrator of {partnership.diarienummer}"
    return "nothing to change"


def chair_term_months(partnership: Partnership, body_kind: str) -> int | None:
    body = spec_of(partnership).bodies.get(body_kind)  # type: ignore[call-overload]
    return body.chair.term_months if body is not None else None
