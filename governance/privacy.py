"""Data protection rules (GDPR, OSL; 001 §5.3, 004 "Sekretess"), pure: no storage, no Telegram.

- `Identity` and `scrub`: what identifies a person in stored text and JSON, and how it is
  replaced when they are erased (names by a neutral label, their Telegram ids by nothing).
- `RetentionCutoffs`: from a partnership's `[privacy]` periods and the clock, the instants
  before which each kind of record is no longer kept.
- `PrivacyNotice`: what the notice tells a member, from the partnership file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from governance.calendar import add_months
from governance.partnership_schema import PartnershipSpec, Privacy

# What an erased person's name becomes wherever it was copied (stored data, in Swedish like the
# minutes it mostly appears in).
ERASED_NAME = "Raderad ledamot"


# --- identity and scrubbing -------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What identifies one person in stored data."""

    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    # Telegram user id and private chat id (the same number in Telegram, kept apart anyway).
    ids: frozenset[int] = field(default_factory=frozenset)
    formal_name: str | None = None  # the name given with /namn

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def patterns(self) -> list[re.Pattern[str]]:
        """Longest first, so a full name is replaced whole rather than word by word."""
        found: list[tuple[int, re.Pattern[str]]] = []

        def word(text: str, flags: int = 0) -> None:
            text = text.strip()
            if len(text) < 2:
                return
            # Word edges by lookaround (not \b), so names that start or end with a symbol work.
            pattern = re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", flags)
            found.append((len(text), pattern))

        if self.full_name and self.last_name:
            word(self.full_name, re.IGNORECASE)
        if self.formal_name:
            word(self.formal_name, re.IGNORECASE)
        if self.username:
            word("@" + self.username, re.IGNORECASE)
            # A bare username ("agneta_c") is distinctive enough to match case-insensitively.
            if re.search(r"[_\d]", self.username):
                word(self.username, re.IGNORECASE)
        # First and last names alone: case-sensitive, so "Bo" the name is not "bo" the verb.
        for part in (self.first_name, self.last_name, self.formal_name):
            if part:
                for piece in part.split():
                    word(piece)
        found.sort(key=lambda item: -item[0])
        return [pattern for _length, pattern in found]

    def names(self) -> set[str]:
        """Every stored spelling that is this person's name on its own."""
        out = {self.first_name, self.full_name, self.formal_name or ""}
        if self.username:
            out |= {self.username, "@" + self.username}
        return {n for n in out if n and n.strip()}

    def search_terms(self) -> list[str]:
        """Substrings a database may search for before the exact check in Python."""
        terms = {str(i) for i in self.ids}
        for part in (self.first_name, self.last_name, self.username, self.formal_name):
            if part:
                terms |= {p for p in part.split() if len(p) >= 2}
        return sorted(terms)


def scrub_text(text: str, identity: Identity, label: str = ERASED_NAME) -> str:
    """The text with every mention of the person replaced by `label`."""
    if not text:
        return text
    if text.strip() in identity.names():
        return label
    for pattern in identity.patterns():
        text = pattern.sub(label, text)
    for number in identity.ids:
        text = re.sub(rf"(?<!\d){number}(?!\d)", "", text)
    return text


def scrub(value: Any, identity: Identity, label: str = ERASED_NAME) -> Any:
    """A JSON value (payload, audit detail, protokoll draft) with the person taken out: their
    names become `label`, numbers that are their Telegram ids become None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return None if value in identity.ids else value
    if isinstance(value, str):
        return scrub_text(value, identity, label)
    if isinstance(value, list):
        return [scrub(item, identity, label) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, identity, label) for key, item in value.items()}
    return value


def mentions(value: Any, identity: Identity) -> bool:
    """Whether `scrub` would change anything."""
    return scrub(value, identity) != value


def chat_ref(chat_id: int) -> str:
    """A chat as logs may name it: groups by id; a private chat's id is the person's Telegram id,
    so logs say only that it was a private chat."""
    return str(chat_id) if chat_id < 0 else "(private)"


# --- retention ------------------------------------------------------------------------------


def months_before(instant: datetime, months: int) -> datetime:
    """The same wall-clock instant `months` calendar months earlier (month ends clamped)."""
    day = add_months(instant.date(), -months)
    return instant.replace(year=day.year, month=day.month, day=day.day)


@dataclass(frozen=True)
class RetentionCutoffs:
    """Records from before these instants are no longer kept."""

    departed: datetime  # a membership ended before it: the person is erased
    audit: datetime  # audit rows and export records
    reminders: datetime  # finished reminders
    processed_updates: datetime

    @classmethod
    def of(cls, privacy: Privacy, now: datetime) -> RetentionCutoffs:
        return cls(
            departed=months_before(now, privacy.departed_member_months),
            audit=months_before(now, privacy.audit_months),
            reminders=now - timedelta(days=privacy.delivered_reminder_days),
            processed_updates=now - timedelta(days=privacy.processed_update_days),
        )


def shared_cutoffs(policies: Iterable[Privacy], now: datetime) -> RetentionCutoffs:
    """For records that belong to no partnership (processed updates, audit rows of no
    partnership): kept no longer than the shortest period any partnership allows."""
    every = [RetentionCutoffs.of(p, now) for p in policies] or [RetentionCutoffs.of(Privacy(), now)]
    return RetentionCutoffs(
        departed=max(c.departed for c in every),
        audit=max(c.audit for c in every),
        reminders=max(c.reminders for c in every),
        processed_updates=max(c.processed_updates for c in every),
    )


def erasure_due(ended: Iterable[tuple[datetime, Privacy]], now: datetime) -> bool:
    """A person whose memberships have all ended (each with its partnership's rules) is erased
    once the last of them is older than that partnership's period."""
    ends = list(ended)
    if not ends:
        return False
    return all(at <= RetentionCutoffs.of(privacy, now).departed for at, privacy in ends)


# --- the privacy notice -----------------------------------------------------------------------


@dataclass(frozen=True)
class PrivacyNotice:
    """What a member is told about the personal data the bot keeps for a partnership."""

    diarienummer: str
    partnership_name: str
    controller: str
    controller_from_file: bool  # False: the file names none, the public party is shown
    contact: str | None
    legal_basis: str | None
    departed_member_months: int
    audit_months: int
    delivered_reminder_days: int
    processed_update_days: int


def notice_of(spec: PartnershipSpec) -> PrivacyNotice:
    privacy = spec.privacy
    controller = privacy.controller
    if controller is None:
        public = spec.public_parties
        controller = public[0].name if public else spec.name
    return PrivacyNotice(
        diarienummer=spec.diarienummer,
        partnership_name=spec.name,
        controller=controller,
        controller_from_file=privacy.controller is not None,
        contact=privacy.contact,
        legal_basis=privacy.legal_basis,
        departed_member_months=privacy.departed_member_months,
        audit_months=privacy.audit_months,
        delivered_reminder_days=privacy.delivered_reminder_days,
        processed_update_days=privacy.processed_update_days,
    )
