"""The agreement's life: its state for /avtal, and the facts that change it.

Facts come from decisions (`[förlängning till …]`, `[uppsägning …]`, `[uteslutning …]`,
`[ny part …]`, recorded through `services.decisions`; this module reacts to `DecisionRecorded`)
or from the administrator's buttons in /avtal. Each is checked against the partnership file's
rule (`governance.lifecycle`) and refused with the reason when the rule does not allow it; the
deadline reminders follow in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from governance import lifecycle as rules
from governance.decision_input import AGREEMENT_EXTENSION, LIFECYCLE_KINDS, PARTY_NOTICE
from governance.lifecycle import AgreementState, ExtensionProblem, FactKind, Status
from governance.partnership_schema import PartnershipSpec, org_number_problem
from governance.protokoll import DecisionKind
from i18n import N_
from services import deadlines, events
from services.errors import Refusal
from services.partnerships import spec_of
from storage import agreement_facts as repo
from storage import bodies
from storage import decisions as decisions_repo
from storage.decisions import decision_label
from storage.models import AuditEntry, Body, Decision, Partnership, Party

__all__ = [
    "NEW_PARTY_WORDS",
    "AgreementView",
    "Revision",
    "add_party",
    "agreement_view",
    "record_end",
    "record_extension",
    "require_open",
    "state_of",
    "takes_part",
    "today_of",
]

_EXTENSION_PROBLEMS: dict[ExtensionProblem, str] = {
    ExtensionProblem.NO_RENEWAL: N_("The agreement has no rule for extension: it cannot be extended by a decision."),
    ExtensionProblem.AUTOMATIC: N_("The agreement extends by itself, at most to {day}; an extension is not recorded."),
    ExtensionProblem.ENDED: N_("Notice has been given or the end recorded: the agreement can no longer be extended."),
    ExtensionProblem.BEYOND_LATEST: N_("The agreement can be extended at most to {day}."),
    ExtensionProblem.NOT_NEXT_STEP: N_("The agreement is extended one step at a time: the next extension ends on {day}."),
    ExtensionProblem.NOT_LATER: N_("The agreement already runs to {day}."),
}  # fmt: skip


def today_of(partnership: Partnership, now: datetime) -> date:
    return now.astimezone(deadlines.zone_of(partnership)).date()


def state_of(session: Session, partnership: Partnership, today: date) -> AgreementState:
    assert partnership.id is not None
    return rules.agreement_state(
        spec_of(partnership), repo.lifecycle_facts(session, partnership.id), today
    )


def takes_part(session: Session, partnership: Partnership, party_key: str, day: date) -> bool:
    """Whether the party takes part (its members vote) on `day`."""
    assert partnership.id is not None
    return rules.takes_part(
        spec_of(partnership), repo.lifecycle_facts(session, partnership.id), party_key, day
    )


def require_open(session: Session, partnership: Partnership, now: datetime) -> None:
    """Refuse new business (a meeting) once the agreement has ended. A period that ran out with
    no extension recorded is not an end: the administrator is asked in /avtal, meanwhile the
    bodies carry on."""
    state = state_of(session, partnership, today_of(partnership, now))
    if state.status == Status.ENDED:
        raise Refusal(
            N_("The agreement ended on {day}: nothing new can be started. /avtal shows its history; /export still works."),
            day=state.end,
        )  # fmt: skip


# --- /avtal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    decision: str
    kind: str
    decided_on: date
    status: str  # final | pending_approval | approved | rejected
    approval_by: str | None


@dataclass(frozen=True)
class AgreementView:
    partnership: Partnership
    spec: PartnershipSpec
    state: AgreementState
    parties: list[Party]  # in the file's order, then added ones
    revisions: dict[str, list[Revision]]  # by party key ("" for the whole agreement)


def agreement_view(session: Session, partnership: Partnership, now: datetime) -> AgreementView:
    assert partnership.id is not None
    revisions: dict[str, list[Revision]] = {}
    kinds = (
        DecisionKind.REVISION_MINOR,
        DecisionKind.REVISION_SIGNIFICANT,
        DecisionKind.BUDGET_FRAME,
    )
    for decision, body, party in decisions_repo.decisions_of_kinds(session, partnership.id, kinds):
        revisions.setdefault(party.key if party is not None else "", []).append(
            Revision(
                decision_label(body, decision),
                decision.kind,
                decision.decided_on,
                decision.status,
                decision.approval_by,
            )
        )
    return AgreementView(
        partnership=partnership,
        spec=spec_of(partnership),
        state=state_of(session, partnership, today_of(partnership, now)),
        parties=bodies.parties_of(session, partnership.id, active_only=False),
        revisions=revisions,
    )


# --- recording ----------------------------------------------------------------------------


def _record(
    session: Session,
    partnership: Partnership,
    kind: FactKind,
    on: date,
    *,
    party_key: str | None,
    decision_id: int | None,
    user_id: int | None,
    now: datetime,
) -> None:
    assert partnership.id is not None
    repo.add_fact(
        session,
        repo.AgreementFact(
            partnership_id=partnership.id,
            kind=kind.value,
            effective_on=on,
            party_key=party_key,
            decision_id=decision_id,
            recorded_at=now,
        ),
    )
    session.add(
        AuditEntry(
            partnership_id=partnership.id,
            at=now,
            actor_user_id=user_id,
            action=f"agreement.{kind.value}",
            detail={"on": on.isoformat(), "party": party_key, "decision_id": decision_id},
        )
    )
    session.flush()
    deadlines.sync_reminders(session, partnership, now=now)


def record_extension(
    session: Session,
    partnership: Partnership,
    new_end: date,
    *,
    decision_id: int | None = None,
    user_id: int | None = None,
    now: datetime,
) -> None:
    """The agreement runs to `new_end`: refused with the reason where the rule does not allow it."""
    assert partnership.id is not None
    facts = repo.lifecycle_facts(session, partnership.id)
    problem = rules.check_extension(spec_of(partnership), facts, new_end)
    if problem is not None:
        code, day = problem
        raise Refusal(_EXTENSION_PROBLEMS[code], day=day)
    _record(
        session,
        partnership,
        FactKind.EXTENSION,
        new_end,
        party_key=None,
        decision_id=decision_id,
        user_id=user_id,
        now=now,
    )


def record_end(
    session: Session, partnership: Partnership, *, user_id: int | None, now: datetime
) -> date:
    """The administrator records that the agreement was not extended: it ended at the end of
    its last period. Returns that day."""
    state = state_of(session, partnership, today_of(partnership, now))
    if state.status != Status.LAPSED:
        raise Refusal(
            N_(
                "Only an agreement whose period has ended without a recorded extension can be recorded as ended."
            )
        )
    _record(
        session,
        partnership,
        FactKind.ENDED,
        state.period.end,
        party_key=None,
        decision_id=None,
        user_id=user_id,
        now=now,
    )
    return state.period.end


_ORG_NUMBER_PROBLEMS = {
    "org_number_format": N_("Write the organisation number as NNNNNN-NNNN, after the name: /avtal ny part Name 802000-1239."),
    "org_number_not_organisation": N_("{number} is not an organisation number (its third digit is below 2)."),
    "org_number_checksum": N_("{number} is not a valid organisation number: the check digit does not match."),
}  # fmt: skip
NEW_PARTY_WORDS = ("ny part", "new party")


def _slug(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "-".join(re.findall(r"[a-z0-9]+", plain))[:64] or "part"


def add_party(
    session: Session,
    partnership: Partnership,
    *,
    text: str,
    administrator: bool,
    user_id: int | None,
    now: datetime,
) -> Party:
    """The administrator adds a party admitted by the styrgrupp (001 §5.6.1) from /avtal:
    "Name NNNNNN-NNNN" (the organisation number Luhn-checked). It takes part from today; the
    partnership file should name it at the next import."""
    assert partnership.id is not None
    if not administrator:
        raise Refusal(N_("Only the partnership's administrator can record this."))
    words = text.split()
    if len(words) < 2:
        raise Refusal(_ORG_NUMBER_PROBLEMS["org_number_format"])
    number, name = words[-1], " ".join(words[:-1])
    if re.fullmatch(r"\d{10}", number):
        number = f"{number[:6]}-{number[6:]}"
    problem = org_number_problem(number)
    if problem is not None:
        raise Refusal(_ORG_NUMBER_PROBLEMS[problem], number=number)
    today = today_of(partnership, now)
    state = state_of(session, partnership, today)
    if not state.open_for_business:
        raise Refusal(N_("The agreement ended on {day}."), day=state.end)
    existing = bodies.parties_of(session, partnership.id, active_only=False)
    for party in existing:
        if party.org_number == number or party.name.casefold() == name.casefold():
            raise Refusal(N_("{party} is already a party ({number})."), party=party.name,
                          number=party.org_number)  # fmt: skip
    key, taken = _slug(name), {p.key for p in existing}
    base, n = key, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    party = Party(
        partnership_id=partnership.id, key=key, name=name, org_number=number, kind="nonprofit"
    )
    session.add(party)
    session.flush()
    _record(
        session,
        partnership,
        FactKind.NEW_PARTY,
        today,
        party_key=key,
        decision_id=None,
        user_id=user_id,
        now=now,
    )
    return party


def _participating(
    session: Session, partnership: Partnership, party: Party | None, on: date
) -> Party:
    if party is None:
        raise Refusal(
            N_("Say which party the decision concerns, for example “[uppsägning Convictus] text”.")
        )
    state = state_of(session, partnership, on)
    if not state.open_for_business:
        raise Refusal(N_("The agreement ended on {day}."), day=state.end)
    found = next((p for p in state.parties if p.party == party.key), None)
    if found is not None and found.ends_on is not None:
        raise Refusal(
            N_("{party}'s participation already ends on {day}."),
            party=party.name,
            day=found.ends_on,
        )
    return party


def _from_decision(session: Session, event: events.DecisionRecorded, now: datetime) -> None:
    decision = session.get(Decision, event.decision_id)
    body = session.get(Body, event.body_id)
    partnership = session.get(Partnership, event.partnership_id)
    assert decision is not None and body is not None and partnership is not None
    party = session.get(Party, decision.party_id) if decision.party_id is not None else None
    common = {"decision_id": decision.id, "user_id": None, "now": now}
    if decision.kind == AGREEMENT_EXTENSION:
        assert decision.due_on is not None
        record_extension(session, partnership, decision.due_on, **common)  # type: ignore[arg-type]
    elif decision.kind == PARTY_NOTICE:
        given_on = decision.due_on or decision.decided_on
        if given_on > decision.decided_on:
            raise Refusal(
                N_("Notice is given on the day it reaches the styrgrupp in writing: {day} has not come yet."),
                day=given_on,
            )  # fmt: skip
        party = _participating(session, partnership, party, given_on)
        _record(session, partnership, FactKind.NOTICE, given_on, party_key=party.key, **common)  # type: ignore[arg-type]
    elif decision.kind == DecisionKind.DEFICIENCY_REMOVAL:
        last_day = decision.due_on or decision.decided_on
        party = _participating(session, partnership, party, decision.decided_on)
        _record(session, partnership, FactKind.EXPULSION, last_day, party_key=party.key, **common)  # type: ignore[arg-type]
    elif decision.kind == DecisionKind.NEW_PARTY and party is not None:
        # A party already in the file; otherwise the re-import that adds it links the decision.
        _record(
            session,
            partnership,
            FactKind.NEW_PARTY,
            decision.decided_on,
            party_key=party.key,
            **common,  # type: ignore[arg-type]
        )


@events.subscribe(events.DecisionRecorded)
def _decision_recorded(session: Session, event: events.DecisionRecorded, now: datetime) -> None:
    """A decision that changes the agreement's life becomes a fact (or is refused, with the
    decision, when the rule does not allow it)."""
    if event.kind in LIFECYCLE_KINDS:
        _from_decision(session, event, now)
