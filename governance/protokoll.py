"""The minutes (protokoll) of a meeting as one immutable model, its content hash, and its view.

`document_view` gives every string of the document in reading order; `views.protokoll` lays it
out three ways (chat message chunks, PDF and DOCX, the files the city puts in its records
system), so they cannot drift apart. Document labels live in `labels(language)`; the
city files Swedish minutes, so "sv" is the default, "en" exists for a later English variant.

Hashing: `canonical_json` is the whole model (sorted keys, ISO dates, no whitespace variance) and
round-trips through `from_canonical_json`. `content_hash` is the SHA-256 hex digest of the
canonical JSON of the *content*, i.e. with ``status``, ``locked_hash`` and ``justering`` (who
approved it and when, written at locking) left out, so that the hash the chair and the justerare
approve on the draft is the hash stored when it is locked. Anyone can recompute it from the
stored JSON: drop those keys, serialise with sorted keys,
``separators=(",", ":")``, ``ensure_ascii=False``, encode UTF-8, SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, Literal

__all__ = [
    "FORMAT_VERSION",
    "ActionItem",
    "Attendance",
    "DecisionKind",
    "DecisionLine",
    "JusteringStamp",
    "Paragraph",
    "Protokoll",
    "Section",
    "View",
    "canonical_json",
    "content_hash",
    "document_view",
    "from_canonical_json",
    "justering_lines",
    "labels",
    "lock",
    "paragraph_range",
    "start_amendment",
    "verify",
]

FORMAT_VERSION = 1
"""Version of the canonical JSON layout; part of the hashed content."""

Status = Literal["draft", "final"]


class DecisionKind(StrEnum):
    """Decision types of the register (PRODUCT §3); `DecisionLine.kind` may also be free text."""

    ORDINARY = "ordinary"
    REVISION_MINOR = "revision_minor"
    REVISION_SIGNIFICANT = "revision_significant"
    BUDGET_FRAME = "budget_frame"
    DEFICIENCY_DIALOGUE = "deficiency_dialogue"
    DEFICIENCY_ACTION_PLAN = "deficiency_action_plan"
    DEFICIENCY_REMOVAL = "deficiency_removal"
    NEW_PARTY = "new_party"


def _tuple(value: Sequence[Any]) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else tuple(value)


@dataclass(frozen=True, slots=True)
class DecisionLine:
    number: str  # register number, e.g. "SG 2026:7"
    text: str
    kind: str = DecisionKind.ORDINARY.value  # a DecisionKind value, or a label shown as is


@dataclass(frozen=True, slots=True)
class Paragraph:
    number: int  # the §
    title: str
    notes: tuple[str, ...] = ()
    decisions: tuple[DecisionLine, ...] = ()

    def __post_init__(self) -> None:
        # Lists are accepted for convenience; stored as tuples so the model stays immutable.
        object.__setattr__(self, "notes", _tuple(self.notes))
        object.__setattr__(self, "decisions", _tuple(self.decisions))


@dataclass(frozen=True, slots=True)
class Attendance:
    party: str
    people: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "people", _tuple(self.people))


@dataclass(frozen=True, slots=True)
class ActionItem:
    owner: str
    due: date | None
    text: str
    status: str = "open"  # "open", "done", "cancelled", or a label shown as is


@dataclass(frozen=True, slots=True)
class JusteringStamp:
    """The justering of a locked version as printed on it: when the last approval came (local
    wall time, "2026-12-09T10:15"), by whom, which paragraphs, which version; and whether the
    file asks for wet signatures beside it. Not part of the hashed content."""

    at: str
    chair: str
    justerare: tuple[str, ...]
    version: int
    first: int  # the paragraphs it covers, § first–last
    last: int
    signature_lines: bool = False
    immediate: bool = False  # omedelbar justering of one paragraph during the meeting

    def __post_init__(self) -> None:
        object.__setattr__(self, "justerare", _tuple(self.justerare))


@dataclass(frozen=True, slots=True)
class Protokoll:
    body_name: str  # e.g. "Styrgruppen"
    partnership_name: str
    diarienummer: str  # e.g. "SOF 2025/144"
    meeting_number: str  # e.g. "SG 2026:3"
    date: date
    start_time: str  # as written in the minutes, e.g. "13.00"
    end_time: str
    place: str
    chair: str
    minute_taker: str
    justerare: tuple[str, ...] = ()
    present_by_party: tuple[Attendance, ...] = ()
    absent_by_party: tuple[Attendance, ...] = ()
    items: tuple[Paragraph, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    status: Status = "draft"
    amendment_of: str | None = None  # reference to the locked original (e.g. its hash)
    locked_hash: str | None = None
    justering: JusteringStamp | None = None

    def __post_init__(self) -> None:
        for name in ("justerare", "present_by_party", "absent_by_party", "items", "action_items"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        if self.status not in ("draft", "final"):
            raise ValueError(f"unknown status {self.status!r}")


# --- canonical JSON and hash -------------------------------------------------------------------

_UNHASHED = ("status", "locked_hash", "justering")


def _to_dict(p: Protokoll) -> dict[str, Any]:
    def attendance(rows: tuple[Attendance, ...]) -> list[dict[str, Any]]:
        return [{"party": a.party, "people": list(a.people)} for a in rows]

    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "body_name": p.body_name,
        "partnership_name": p.partnership_name,
        "diarienummer": p.diarienummer,
        "meeting_number": p.meeting_number,
        "date": p.date.isoformat(),
        "start_time": p.start_time,
        "end_time": p.end_time,
        "place": p.place,
        "chair": p.chair,
        "minute_taker": p.minute_taker,
        "justerare": list(p.justerare),
        "present_by_party": attendance(p.present_by_party),
        "absent_by_party": attendance(p.absent_by_party),
        "items": [
            {
                "number": item.number,
                "title": item.title,
                "notes": list(item.notes),
                "decisions": [
                    {"number": d.number, "text": d.text, "kind": d.kind} for d in item.decisions
                ],
            }
            for item in p.items
        ],
        "action_items": [
            {
                "owner": a.owner,
                "due": a.due.isoformat() if a.due else None,
                "text": a.text,
                "status": a.status,
            }
            for a in p.action_items
        ],
        "status": p.status,
        "amendment_of": p.amendment_of,
        "locked_hash": p.locked_hash,
    }
    if p.justering is not None:  # absent, not null, on drafts: older records read the same
        j = p.justering
        data["justering"] = {
            "at": j.at,
            "chair": j.chair,
            "justerare": list(j.justerare),
            "version": j.version,
            "first": j.first,
            "last": j.last,
            "signature_lines": j.signature_lines,
            "immediate": j.immediate,
        }
    return data


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_json(p: Protokoll) -> str:
    """The whole model as canonical JSON (what is stored); `from_canonical_json` reverses it."""
    return _dumps(_to_dict(p))


def from_canonical_json(text: str) -> Protokoll:
    data = json.loads(text)
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported protokoll format {data.get('format')!r}")

    def attendance(rows: list[dict[str, Any]]) -> tuple[Attendance, ...]:
        return tuple(Attendance(r["party"], tuple(r["people"])) for r in rows)

    return Protokoll(
        body_name=data["body_name"],
        partnership_name=data["partnership_name"],
        diarienummer=data["diarienummer"],
        meeting_number=data["meeting_number"],
        date=date.fromisoformat(data["date"]),
        start_time=data["start_time"],
        end_time=data["end_time"],
        place=data["place"],
        chair=data["chair"],
        minute_taker=data["minute_taker"],
        justerare=tuple(data["justerare"]),
        present_by_party=attendance(data["present_by_party"]),
        absent_by_party=attendance(data["absent_by_party"]),
        items=tuple(
            Paragraph(
                number=i["number"],
                title=i["title"],
                notes=tuple(i["notes"]),
                decisions=tuple(
                    DecisionLine(d["number"], d["text"], d["kind"]) for d in i["decisions"]
                ),
            )
            for i in data["items"]
        ),
        action_items=tuple(
            ActionItem(
                owner=a["owner"],
                due=date.fromisoformat(a["due"]) if a["due"] else None,
                text=a["text"],
                status=a["status"],
            )
            for a in data["action_items"]
        ),
        status=data["status"],
        amendment_of=data["amendment_of"],
        locked_hash=data["locked_hash"],
        justering=JusteringStamp(**data["justering"]) if data.get("justering") else None,
    )


def content_hash(p: Protokoll) -> str:
    """SHA-256 hex of the canonical JSON without ``status`` and ``locked_hash`` (module doc)."""
    data = _to_dict(p)
    for key in _UNHASHED:
        data.pop(key, None)
    return hashlib.sha256(_dumps(data).encode("utf-8")).hexdigest()


def lock(p: Protokoll, approved_hash: str | None = None) -> Protokoll:
    """The final, locked protokoll. With `approved_hash` (the hash shown when the chair and the
    justerare approved), refuses to lock content that changed since."""
    digest = content_hash(p)
    if approved_hash is not None and approved_hash != digest:
        raise ValueError("the content changed after it was approved")
    if p.status == "final" and p.locked_hash not in (None, digest):
        raise ValueError("a locked protokoll cannot be changed; start an amendment")
    return replace(p, status="final", locked_hash=digest)


def verify(p: Protokoll) -> bool:
    """True if `p` is final and its stored hash matches its content."""
    return p.status == "final" and p.locked_hash is not None and p.locked_hash == content_hash(p)


def start_amendment(original: Protokoll) -> Protokoll:
    """A new draft linked to the locked `original` (which itself never changes)."""
    if not verify(original):
        raise ValueError("only a locked, intact protokoll can be amended")
    return replace(
        original,
        status="draft",
        locked_hash=None,
        justering=None,
        amendment_of=original.locked_hash,
    )


# --- labels ------------------------------------------------------------------------------------

_LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "lang": "sv-SE",
        "title": "PROTOKOLL",
        "draft": "UTKAST",
        "draft_note": "Utkast – ej justerat",
        "diarienummer": "Dnr",
        "meeting_number": "Beteckning",
        "date": "Sammanträdesdatum",
        "time": "Tid",
        "place": "Plats",
        "present": "Närvarande",
        "absent": "Frånvarande",
        "none": "–",
        "unrepresented": "ej representerad",
        "chair": "Ordförande",
        "minute_taker": "Protokollförare",
        "justerare": "Justerare",
        "decision": "Beslut",
        "actions": "Åtgärdslista",
        "owner": "Ansvarig",
        "due": "Klart senast",
        "task": "Uppgift",
        "status": "Status",
        "justering": "Justering",
        "signature": "Underskrift",
        "page": "Sida {page} av {pages}",
        "hash": "Kontrollsumma (SHA-256)",
        "amendment_of": "Ändring av justerat protokoll",
        "status.open": "Öppen",
        "status.done": "Klar",
        "status.cancelled": "Struken",
        "kind.ordinary": "Beslut",
        "kind.revision_minor": "Mindre revidering av åtaganden",
        "kind.revision_significant": "Väsentlig revidering av åtaganden",
        "kind.budget_frame": "Ändring av total budgetram",
        "kind.deficiency_dialogue": "Brist – dialog",
        "kind.deficiency_action_plan": "Brist – krav på åtgärdsplan",
        "kind.deficiency_removal": "Brist – uteslutning av part",
        "kind.new_party": "Ny part",
        "justered": "Justerat digitalt {date} kl. {time} av {names}",
        "justered_immediately": "Omedelbart justerat digitalt {date} kl. {time} av {names}",
        "to_justera": "Justeras av {names}",
        "role.justerare": "justerare",
        "role.chair": "ordförande",
        "and": "och",
        "paragraphs": "Paragrafer",
        "version": "Version",
        "sha256": "SHA-256",
        "clock": "{hour:02d}.{minute:02d}",
        "extract": "PROTOKOLLSUTDRAG",
        "extract_of": "Utdrag ur protokoll {meeting}, justerat",
    },
    "en": {
        "lang": "en-GB",
        "title": "MINUTES",
        "draft": "DRAFT",
        "draft_note": "Draft – not yet approved",
        "diarienummer": "Ref.",
        "meeting_number": "Meeting",
        "date": "Date of meeting",
        "time": "Time",
        "place": "Place",
        "present": "Present",
        "absent": "Absent",
        "none": "–",
        "unrepresented": "not represented",
        "chair": "Chair",
        "minute_taker": "Secretary",
        "justerare": "Adjuster",
        "decision": "Decision",
        "actions": "Action items",
        "owner": "Owner",
        "due": "Due",
        "task": "Task",
        "status": "Status",
        "justering": "Approval of the minutes",
        "signature": "Signature",
        "page": "Page {page} of {pages}",
        "hash": "Checksum (SHA-256)",
        "amendment_of": "Amendment of approved minutes",
        "status.open": "Open",
        "status.done": "Done",
        "status.cancelled": "Struck",
        "kind.ordinary": "Decision",
        "kind.revision_minor": "Minor revision of commitments",
        "kind.revision_significant": "Significant revision of commitments",
        "kind.budget_frame": "Change of the total budget frame",
        "kind.deficiency_dialogue": "Deficiency – dialogue",
        "kind.deficiency_action_plan": "Deficiency – action plan required",
        "kind.deficiency_removal": "Deficiency – removal of a party",
        "kind.new_party": "New party",
        "justered": "Approved digitally on {date} at {time} by {names}",
        "justered_immediately": "Approved at once, digitally, on {date} at {time} by {names}",
        "to_justera": "To be approved by {names}",
        "role.justerare": "adjuster",
        "role.chair": "chair",
        "and": "and",
        "paragraphs": "Paragraphs",
        "version": "Version",
        "sha256": "SHA-256",
        "clock": "{hour:02d}:{minute:02d}",
        "extract": "EXTRACT FROM THE MINUTES",
        "extract_of": "Extract from the approved minutes {meeting}",
    },
}


def labels(language: str = "sv") -> Mapping[str, str]:
    """The fixed texts of the document in `language` ("sv" or "en")."""
    try:
        return _LABELS[language]
    except KeyError:
        raise ValueError(f"no labels for language {language!r}") from None


# --- the view all renderers lay out ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    """One § as the renderers show it: heading, notes, and decision lines already labelled."""

    heading: str  # "§ 3 Title"
    notes: tuple[str, ...]
    decisions: tuple[tuple[str, str], ...]  # (label line e.g. "SG 2026:7 (Ny part)", text)


@dataclass(frozen=True, slots=True)
class View:
    """Every string of the document, in reading order; user text is raw (not escaped)."""

    labels: Mapping[str, str]
    draft: bool
    title: str
    body: str
    partnership: str
    meta: tuple[tuple[str, str], ...]  # (label, value) rows under the title
    present: tuple[tuple[str, str], ...]  # (party, "A, B")
    absent: tuple[tuple[str, str], ...]
    roles: tuple[tuple[str, str], ...]  # chair, secretary, justerare
    sections: tuple[Section, ...]
    action_header: tuple[str, str, str, str]
    actions: tuple[tuple[str, str, str, str], ...]
    signatures: tuple[tuple[str, str], ...]  # (role, name)
    hash_line: str | None
    amendment_line: str | None = field(default=None)
    # The justering block: on a final version who approved it and when, the paragraphs, the
    # version and the hash; on a draft, who is to approve it.
    justering: tuple[str, ...] = ()
    signature_lines: bool = False  # wet-signature lines beside the block (the file asks)


def paragraph_range(first: int, last: int) -> str:
    """ "§ 3" or "§§ 1–10"."""
    return f"§ {first}" if first == last else f"§§ {first}–{last}"


def _who(lab: Mapping[str, str], justerare: Sequence[str], chair: str) -> str:
    named = [f"{name} ({lab['role.justerare']})" for name in justerare if name]
    if chair:
        named.append(f"{chair} ({lab['role.chair']})")
    if len(named) <= 1:
        return "".join(named)
    return f"{', '.join(named[:-1])} {lab['and']} {named[-1]}"


def justering_lines(p: Protokoll, lab: Mapping[str, str]) -> tuple[str, ...]:
    """The justering block's lines (see `View.justering`)."""
    stamp = p.justering
    if p.status != "final":
        who = _who(lab, p.justerare, p.chair)
        return (lab["to_justera"].format(names=who),) if who else ()
    if stamp is None:  # locked before the justering was stamped on the record
        return (f"{lab['sha256']}: {p.locked_hash}",) if p.locked_hash else ()
    day, _, clock = stamp.at.partition("T")
    hour, _, minute = clock.partition(":")
    when = lab["clock"].format(hour=int(hour or 0), minute=int(minute or 0))
    key = "justered_immediately" if stamp.immediate else "justered"
    lines = [
        lab[key].format(date=day, time=when, names=_who(lab, stamp.justerare, stamp.chair)),
        f"{lab['paragraphs']}: {paragraph_range(stamp.first, stamp.last)}",
        f"{lab['version']}: {stamp.version}",
    ]
    if p.locked_hash:
        lines.append(f"{lab['sha256']}: {p.locked_hash}")
    return tuple(lines)


def _people(rows: tuple[Attendance, ...], lab: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """(party, "A, B"); a party with no registered member reads "ej representerad"."""
    return tuple((a.party, ", ".join(a.people) or lab["unrepresented"]) for a in rows)


def _signatures(lab: Mapping[str, str], rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One signature per person: a chair who also took the minutes signs once, as
    "Ordförande och protokollförare"."""
    roles: dict[str, list[str]] = {}
    for role, name in rows:
        if name:
            roles.setdefault(name, []).append(role)
    signed = []
    for name, held in roles.items():
        order = (lab["chair"], lab["minute_taker"], lab["justerare"])
        first, *rest = sorted(held, key=lambda r: order.index(r) if r in order else len(order))
        label = f" {lab['and']} ".join([first, *(r.lower() for r in rest)])
        signed.append((label, name))
    return signed


def document_view(p: Protokoll, language: str = "sv") -> View:
    """The document's strings, shared by the three renderers."""
    lab = labels(language)

    def decision_label(d: DecisionLine) -> str:
        kind = lab.get(f"kind.{d.kind}", d.kind)
        return d.number if d.kind == DecisionKind.ORDINARY else f"{d.number} ({kind})"

    times = "–".join(t for t in (p.start_time, p.end_time) if t)
    meta = [
        (lab["diarienummer"], p.diarienummer),
        (lab["meeting_number"], p.meeting_number),
        (lab["date"], p.date.isoformat()),
        (lab["time"], times),
        (lab["place"], p.place),
    ]
    roles = [(lab["chair"], p.chair), (lab["minute_taker"], p.minute_taker)]
    roles += [(lab["justerare"], name) for name in p.justerare]
    signatures = _signatures(
        lab,
        [(lab["minute_taker"], p.minute_taker), (lab["chair"], p.chair)]
        + [(lab["justerare"], name) for name in p.justerare],
    )
    return View(
        labels=lab,
        draft=p.status == "draft",
        title=lab["title"],
        body=p.body_name,
        partnership=p.partnership_name,
        meta=tuple((k, v) for k, v in meta if v),
        present=_people(p.present_by_party, lab),
        absent=_people(p.absent_by_party, lab),
        roles=tuple(roles),
        sections=tuple(
            Section(
                heading=f"§ {item.number} {item.title}",
                notes=item.notes,
                decisions=tuple((decision_label(d), d.text) for d in item.decisions),
            )
            for item in p.items
        ),
        action_header=(lab["owner"], lab["due"], lab["task"], lab["status"]),
        actions=tuple(
            (
                a.owner,
                a.due.isoformat() if a.due else lab["none"],
                a.text,
                lab.get(f"status.{a.status}", a.status),
            )
            for a in p.action_items
        ),
        signatures=tuple(signatures),
        hash_line=f"{lab['hash']}: {p.locked_hash}"
        if p.status == "final" and p.locked_hash
        else None,
        amendment_line=f"{lab['amendment_of']}: {p.amendment_of}" if p.amendment_of else None,
        justering=justering_lines(p, lab),
        signature_lines=p.status == "final"
        and p.justering is not None
        and p.justering.signature_lines,
    )
