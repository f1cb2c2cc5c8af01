"""Omedelbar justering (DOMAIN: an urgent paragraph approved at the meeting and acted on at
once): a decision tagged `[omedelbar justering]` is approved by the chair and every justerare
during the meeting; that paragraph is then locked (its one-paragraph protokoll stored with its
hash and justering) and posted as an extract. Its line can no longer be corrected; the rest of
the protokoll follows the normal path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from governance import protokoll as doc
from i18n import N_
from services.errors import Refusal
from services.justering import CHAIR, JUSTERARE, _audit, role_in_justering
from services.minutes import Names, build_protokoll, content_of
from services.roles import Role
from storage import decisions as decision_repo
from storage import immediate as repo
from storage.immediate import ImmediateApproval, ImmediateJustering
from storage.models import Body, Decision, Meeting, Partnership

__all__ = ["Outcome", "approve", "mark", "paragraph_now"]


@dataclass(frozen=True)
class Outcome:
    row: ImmediateJustering
    locked: bool
    waiting: tuple[str, ...]  # roles still to approve
    protokoll: doc.Protokoll | None  # the locked one-paragraph protokoll, once locked


def mark(
    session: Session, *, meeting: Meeting, decision: Decision, now: datetime
) -> ImmediateJustering:
    """The decision's paragraph is to be justerat at once."""
    assert meeting.id is not None and decision.id is not None
    row = ImmediateJustering(meeting_id=meeting.id, decision_id=decision.id, created_at=now)
    session.add(row)
    session.flush()
    return row


def paragraph_now(
    session: Session, meeting: Meeting, decision: Decision, names: Names
) -> doc.Protokoll:
    """The protokoll of the meeting so far with only the paragraph holding `decision`."""
    body = session.get(Body, meeting.body_id)
    assert body is not None
    label = decision_repo.decision_label(body, decision)
    p = build_protokoll(session, meeting, names)
    item = next((i for i in p.items if any(d.number == label for d in i.decisions)), None)
    if item is None:
        raise Refusal(N_("This decision is no longer in the minutes."))
    return replace(p, items=(item,), action_items=())


def approve(
    session: Session, *, body: Body, role: Role, immediate_id: int, names: Names, now: datetime
) -> Outcome:
    """The chair's or a justerare's approval of the paragraph as it reads now; locked when the
    chair and every justerare have approved the same content."""
    row = repo.get(session, immediate_id)
    meeting = session.get(Meeting, row.meeting_id) if row is not None else None
    decision = session.get(Decision, row.decision_id) if row is not None else None
    if row is None or meeting is None or decision is None or meeting.body_id != body.id:
        raise Refusal(N_("This button is no longer valid."))
    if row.status == "final":
        raise Refusal(N_("This paragraph is already justerat."))
    if not meeting.justerare_person_ids:
        raise Refusal(N_("Choose the justerare first: /motesstart @name."))
    who = role_in_justering(role, meeting)
    if who is None:
        raise Refusal(N_("Only the chair and the justerare can approve this paragraph."))
    assert role.person is not None and role.person.id is not None and row.id is not None
    paragraph = paragraph_now(session, meeting, decision, names)
    digest = doc.content_hash(paragraph)
    approvals = {(a.role, a.person_id): a for a in repo.approvals_of(session, row.id)}
    mine = approvals.get((who, role.person.id))
    if mine is None:
        mine = ImmediateApproval(
            immediate_id=row.id, person_id=role.person.id, role=who, content_hash=digest, at=now
        )
    mine.content_hash, mine.at = digest, now
    session.add(mine)
    session.flush()
    approvals[(who, role.person.id)] = mine
    _audit(session, body, role, "protokoll.immediate.approve", now, immediate_id=row.id, role=who)
    current = {key for key, a in approvals.items() if a.content_hash == digest}
    waiting: list[str] = []
    if not any(r == CHAIR for r, _p in current):
        waiting.append(CHAIR)
    if any((JUSTERARE, pid) not in current for pid in meeting.justerare_person_ids):
        waiting.append(JUSTERARE)
    if waiting:
        return Outcome(row, False, tuple(waiting), None)
    number = paragraph.items[0].number
    partnership = session.get(Partnership, body.partnership_id)
    assert partnership is not None
    stamp = doc.JusteringStamp(
        at=now.astimezone(ZoneInfo(partnership.timezone)).strftime("%Y-%m-%dT%H:%M"),
        chair=paragraph.chair,
        justerare=paragraph.justerare,
        version=1,
        first=number,
        last=number,
        immediate=True,
    )
    locked = replace(doc.lock(paragraph, approved_hash=digest), justering=stamp)
    row.status, row.number, row.locked_at = "final", number, now
    row.content, row.content_hash = content_of(locked), digest
    session.add(row)
    session.flush()
    _audit(session, body, role, "protokoll.immediate.lock", now, immediate_id=row.id)
    return Outcome(row, True, (), locked)
