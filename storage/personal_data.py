"""Where personal data lives: one entry per column that refers to a person.

The right of access (`/mina_uppgifter`) lists what these entries find, and erasure walks the
same entries, so a new table that refers to a person is one line here. `tests/test_privacy_
registry.py` fails while any foreign key to `person.id` is missing from `PERSON_COLUMNS`.

- `PERSON_COLUMNS`: columns holding a `person.id`. On erasure the row is kept (it refers to a
  pseudonymous person row from then on) or deleted (`erase="delete"`: it only ever served the
  person, such as their answers to a kallelse or reminders sent to them).
- `TELEGRAM_ID_COLUMNS`: columns holding a Telegram user id; on erasure they take the person's
  pseudonym (`pseudonym_of`), so an audit trail still shows one actor without saying who.
- `TEXT_COLUMNS`: free text people typed, where others may have named the person; on erasure
  the name is replaced, except in minutes that are approved and locked (public records).
- `JSON_COLUMNS`: structures that may copy names or Telegram ids (reminder payloads, audit
  details, draft protokoll).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import SQLModel

from i18n import N_
from storage.attachments import Attachment
from storage.calendar_feeds import CalendarSubscription
from storage.deadline_facts import DeadlineMet
from storage.immediate import ImmediateApproval
from storage.inbox import InboundUpdate
from storage.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AuditEntry,
    Ballot,
    Body,
    ChairTerm,
    Decision,
    Escalation,
    ExportRecord,
    Justering,
    Meeting,
    Membership,
    MinuteEntry,
    MinuteRevision,
    ProtokollRecord,
    Rsvp,
    Vote,
)
from storage.reminders import Reminder
from storage.reports import ActivityReport, ReportEntry, ReportFormSession


@dataclass(frozen=True)
class PersonColumn:
    key: str  # the section of the person's data (JSON key)
    model: type[SQLModel]
    column: str
    label: str  # N_() text: what the summary calls these rows
    erase: Literal["keep", "delete"] = "keep"

    @property
    def attribute(self) -> Any:
        return getattr(self.model, self.column)


@dataclass(frozen=True)
class TelegramIdColumn:
    key: str
    model: type[SQLModel]
    column: str
    label: str

    @property
    def attribute(self) -> Any:
        return getattr(self.model, self.column)


@dataclass(frozen=True)
class TextColumn:
    model: type[SQLModel]
    column: str
    # The column naming the meeting whose locked minutes make the row a public record.
    meeting_column: str | None = None


@dataclass(frozen=True)
class JsonColumn:
    model: type[SQLModel]
    column: str
    # Rows that must not change (locked protokoll): column -> value that marks them.
    unless: tuple[str, Any] | None = None
    # Only rows where this column is set (an update not yet handled is left to its handler).
    only_if_set: str | None = None


PERSON_COLUMNS: tuple[PersonColumn, ...] = (
    PersonColumn("memberships", Membership, "person_id", N_("memberships")),
    PersonColumn(
        "memberships_decided", Membership, "decided_by_person_id", N_("membership decisions")
    ),
    PersonColumn("chair_terms", ChairTerm, "person_id", N_("terms as chair")),
    PersonColumn(
        "chair_terms_appointed", ChairTerm, "appointed_by_person_id", N_("chairs appointed")
    ),
    PersonColumn("meetings_called", Meeting, "created_by_person_id", N_("meetings called")),
    PersonColumn("agenda_items", AgendaItem, "added_by_person_id", N_("agenda items added")),
    PersonColumn("rsvps", Rsvp, "person_id", N_("answers to meeting invitations"), "delete"),
    PersonColumn("attendance", Attendance, "person_id", N_("attendance records")),
    PersonColumn("minute_lines", MinuteEntry, "author_person_id", N_("lines in the minutes")),
    PersonColumn(
        "minute_corrections", MinuteRevision, "by_person_id", N_("corrections of the minutes")
    ),
    PersonColumn("justering", Justering, "person_id", N_("approvals of minutes")),
    PersonColumn(
        "immediate_justering",
        ImmediateApproval,
        "person_id",
        N_("approvals of paragraphs justerade at once"),
    ),
    PersonColumn("action_items", ActionItem, "owner_person_id", N_("action items")),
    PersonColumn("votes_opened", Vote, "opened_by_person_id", N_("votes opened")),
    PersonColumn("ballots", Ballot, "person_id", N_("ballots cast")),
    PersonColumn("escalations_raised", Escalation, "raised_by_person_id", N_("questions raised")),
    PersonColumn(
        "escalations_confirmed",
        Escalation,
        "confirmed_by_person_id",
        N_("questions confirmed"),
    ),
    PersonColumn("attachments", Attachment, "added_by_person_id", N_("documents attached")),
    PersonColumn(
        "attachments_removed", Attachment, "removed_by_person_id", N_("documents removed")
    ),
    PersonColumn("reminders", Reminder, "person_id", N_("reminders to you"), "delete"),
    PersonColumn("exports", ExportRecord, "requested_by_person_id", N_("exports requested")),
    PersonColumn(
        "activity_reports_opened",
        ActivityReport,
        "opened_by_person_id",
        N_("activity reports opened"),
    ),
    PersonColumn(
        "activity_reports_compiled",
        ActivityReport,
        "compiled_by_person_id",
        N_("activity reports compiled"),
    ),
    PersonColumn(
        "activity_reports_sent", ActivityReport, "sent_by_person_id", N_("activity reports sent on")
    ),
    PersonColumn("report_forms", ReportEntry, "person_id", N_("activity report forms filled in")),
    PersonColumn(
        "report_forms_submitted",
        ReportEntry,
        "submitted_by_person_id",
        N_("activity report figures submitted"),
    ),
    PersonColumn(
        "report_form_session",
        ReportFormSession,
        "person_id",
        N_("the activity report form open in your chat"),
        "delete",
    ),
    PersonColumn(
        "calendar_subscriptions",
        CalendarSubscription,
        "person_id",
        N_("calendar subscriptions"),
        "delete",
    ),
)

# Person ids kept without a foreign key (meeting ↔ agenda item would otherwise be a circle).
PLAIN_PERSON_ID_COLUMNS: tuple[PersonColumn, ...] = (
    PersonColumn("minute_taker", Meeting, "minute_taker_person_id", N_("meetings as minute-taker")),
)

TELEGRAM_ID_COLUMNS: tuple[TelegramIdColumn, ...] = (
    TelegramIdColumn("audit", AuditEntry, "actor_user_id", N_("entries in the audit trail")),
    TelegramIdColumn("chats_linked", Body, "linked_by_user_id", N_("group chats linked")),
    TelegramIdColumn("deadlines_met", DeadlineMet, "met_by_user_id", N_("deadlines marked met")),
)

TEXT_COLUMNS: tuple[TextColumn, ...] = (
    TextColumn(MinuteEntry, "text", meeting_column="meeting_id"),
    TextColumn(MinuteRevision, "old_text"),
    TextColumn(MinuteRevision, "new_text"),
    TextColumn(AgendaItem, "title", meeting_column="meeting_id"),
    TextColumn(ActionItem, "text", meeting_column="meeting_id"),
    TextColumn(Decision, "text", meeting_column="meeting_id"),
    TextColumn(Decision, "approval_note"),
    TextColumn(Escalation, "question"),
    TextColumn(Vote, "question", meeting_column="meeting_id"),
    TextColumn(Justering, "reason"),
    TextColumn(Meeting, "place"),
    TextColumn(Attachment, "file_name", meeting_column="meeting_id"),
)

# Outbox rows whose documents are archives, never pruned or purged (LIKE patterns of the key):
# the locked protokoll's PDF (`services.justering.final_key`) is sent and archived as one file.
ARCHIVED_OUTBOX_KEYS: tuple[str, ...] = ("protokoll:%:final",)

JSON_COLUMNS: tuple[JsonColumn, ...] = (
    JsonColumn(Reminder, "payload"),
    JsonColumn(AuditEntry, "detail"),
    JsonColumn(ProtokollRecord, "content", unless=("status", "final")),
    # Handled updates keep no content (storage.inbox.mark_handled); older rows may still.
    JsonColumn(InboundUpdate, "payload", only_if_set="handled_at"),
    # The activity report's forms and compilations: free text (complaints, comments) may name
    # someone.
    JsonColumn(ReportEntry, "form"),
    JsonColumn(ReportEntry, "figures"),
    JsonColumn(ActivityReport, "compilation"),
)

# Columns neither the right of access nor the export shows: keys, not facts about anyone (a
# calendar subscription's secret opens the body's feed to whoever holds it).
CONFIDENTIAL_COLUMNS: tuple[tuple[type[SQLModel], str], ...] = ((CalendarSubscription, "secret"),)
