"""Schema of a partnership file: everything that differs between agreements, as data.

The models are frozen and reject unknown keys. Checks that only need one table live here
(field validators, so pydantic reports them with a precise location); checks that cross
tables (party references, uniqueness) live in ``governance.partnership_file``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

# --- scalar types -------------------------------------------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits[:-1]):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10 == int(digits[-1])


def _check_org_number(value: str) -> str:
    if not re.fullmatch(r"\d{6}-\d{4}", value):
        raise PydanticCustomError("org_number_format", "must have the form NNNNNN-NNNN")
    digits = value.replace("-", "")
    # Organisationsnummer have 20 or more in the "month" position; this also keeps a
    # personnummer (a private person's identity) out of the field.
    if int(digits[2]) < 2:
        raise PydanticCustomError(
            "org_number_not_organisation", "third digit must be at least 2 for an organisation"
        )
    if not _luhn_ok(digits):
        raise PydanticCustomError("org_number_checksum", "check digit does not match (Luhn)")
    return value


def org_number_problem(value: str) -> str | None:
    """Why `value` is no organisationsnummer ("org_number_format", "org_number_not_organisation",
    "org_number_checksum"), or None when it is one."""
    try:
        _check_org_number(value)
    except PydanticCustomError as exc:
        return exc.type
    return None


def _to_date(value: Any) -> Any:
    if isinstance(value, datetime):
        raise PydanticCustomError("date_not_datetime", "expected a date (YYYY-MM-DD), not a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date_format", "expected a date such as 2025-05-01")


def _to_clock(value: Any) -> Any:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value):
        return time.fromisoformat(value)
    raise PydanticCustomError("clock_format", 'expected a time of day such as "09:00"')


def _check_month_day(value: str) -> str:
    match = re.fullmatch(r"(\d{2})-(\d{2})", value)
    # 2000 is a leap year, so "02-29" is accepted.
    if not match or not _valid_date(2000, int(match[1]), int(match[2])):
        raise PydanticCustomError("month_day_format", 'expected a month and day such as "12-31"')
    return value


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone_unknown", "unknown time zone {tz!r}", {"tz": value}
        ) from None
    return value


_OFFSET_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def offset_to_timedelta(offset: str) -> timedelta:
    """ "7d" -> 7 days, "1h" -> 1 hour, "30m" -> 30 minutes."""
    return timedelta(**{_OFFSET_UNITS[offset[-1]]: int(offset[:-1])})


def _descending_unique(values: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(set(values), reverse=True))


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
Month = Annotated[int, Strict(), Field(ge=1, le=12)]
IsoDate = Annotated[date, BeforeValidator(_to_date)]
ClockTime = Annotated[time, BeforeValidator(_to_clock)]
MonthDay = Annotated[str, AfterValidator(_check_month_day)]
OrgNumber = Annotated[str, AfterValidator(_check_org_number)]
Offset = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]*[dhm]$")]
LeadDays = Annotated[tuple[NonNegativeInt, ...], AfterValidator(_descending_unique)]
Diarienummer = Annotated[str, StringConstraints(pattern=r"^[A-ZÅÄÖ]{2,10} \d{4}/\d{1,6}$")]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Language = Literal["sv", "en"]
BodyKind = Literal["styrgrupp", "samverkansgrupp"]
PartyKind = Literal["public", "nonprofit"]
PaymentSchedule = Literal["monthly", "quarterly", "half_yearly", "yearly"]
StatisticKind = Literal[
    "visitors_by_gender",
    "visitors_by_country_of_origin",
    "age",
    "night_places",
    "opening_hours",
    "reached_by_gender",
]
DeadlineKind = Literal[
    "activity_report",
    "annual_compilation",
    "financial_report",
    "payment",
    "agreement_end",
    "renewal_announcement",
    "termination_notice",
    "party_leaves",
    "chair_term",
    "documentation_rotation",
    "action_item",
    "pending_approval",
]

WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic, clamping to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- parties and annexes ------------------------------------------------------------------


class PartyUnit(_Model):
    """A unit inside a party's organisation with a named role (e.g. central handläggare)."""

    name: Text
    role: Text | None = None


class Party(_Model):
    key: Slug
    name: Text
    org_number: OrgNumber
    kind: PartyKind
    units: tuple[PartyUnit, ...] = ()
    # Other names members use for the party in /jag and decision tags ("staden",
    # "socialförvaltningen"); whole words, like the name (governance.party_match).
    aliases: tuple[Text, ...] = ()


class OpeningHours(_Model):
    days: tuple[Weekday, ...] = Field(min_length=1)
    opens: ClockTime
    closes: ClockTime

    @field_validator("days")
    @classmethod
    def _days_unique(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(days)) != len(days):
            raise PydanticCustomError("duplicate_day", "a weekday is listed twice")
        return tuple(sorted(days, key=WEEKDAYS.index))

    @field_validator("closes")
    @classmethod
    def _closes_after_opens(cls, closes: time, info: ValidationInfo) -> time:
        opens = info.data.get("opens")
        if opens is not None and closes <= opens:
            raise PydanticCustomError("closes_before_opens", "closing time must be after opening")
        return closes


class Activity(_Model):
    key: Slug
    name: Text
    description: Text | None = None
    target_group: Text | None = None
    opening_hours: tuple[OpeningHours, ...] = ()
    # How many of the listed days the activity is nevertheless closed each week, when the
    # agreement leaves the day itself open (annex 000: "en dag i veckan ... har stängt").
    closed_days_per_week: NonNegativeInt = 0
    opening_hours_note: Text | None = None
    capacity_per_day: PositiveInt | None = None

    @field_validator("closed_days_per_week")
    @classmethod
    def _fewer_closed_than_open(cls, closed: int, info: ValidationInfo) -> int:
        hours = info.data.get("opening_hours")
        if closed and hours is not None:
            open_days = {d for h in hours for d in h.days}
            if closed >= len(open_days):
                raise PydanticCustomError(
                    "closed_days_too_many", "must be fewer than the number of opening days"
                )
        return closed


class BudgetLine(_Model):
    label: Text
    amount_sek: NonNegativeInt


class Budget(_Model):
    heading: Text | None = None
    period_months: PositiveInt = 12
    lines: tuple[BudgetLine, ...] = Field(min_length=1)
    total_sek: NonNegativeInt

    @field_validator("total_sek")
    @classmethod
    def _total_is_sum(cls, total: int, info: ValidationInfo) -> int:
        lines = info.data.get("lines")
        if lines is not None:
            computed = sum(line.amount_sek for line in lines)
            if computed != total:
                raise PydanticCustomError(
                    "budget_total_mismatch",
                    "stated total {total} SEK differs from the sum of the lines {computed} SEK",
                    {"total": total, "computed": computed},
                )
        return total


class Annex(_Model):
    """A bilaga: one party's commitments. Annexes not at hand carry only party and title."""

    party: Slug
    number: PositiveInt | None = None
    title: Text
    commitments: Text | None = None
    special_responsibilities: tuple[Text, ...] = ()
    own_contributions: tuple[Text, ...] = ()
    activities: tuple[Activity, ...] = ()
    combined_capacity_per_day: PositiveInt | None = None
    budget: Budget | None = None
    payment_schedule: PaymentSchedule | None = None


# --- bodies -------------------------------------------------------------------------------


class Voting(_Model):
    rule: Literal["per_party", "per_representative"]
    majority: Literal["simple"] = "simple"
    # Minimum number of voting units present (parties for per_party, else representatives).
    quorum: PositiveInt | None = None
    # party key -> Telegram user id whose vote counts for that party (per_party only).
    designated_representatives: dict[Slug, PositiveInt] = Field(
        default_factory=dict, validate_default=True
    )

    @field_validator("designated_representatives")
    @classmethod
    def _only_per_party(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        if value and info.data.get("rule") == "per_representative":
            raise PydanticCustomError(
                "designated_needs_per_party", 'only meaningful with rule = "per_party"'
            )
        return value


class Cadence(_Model):
    """Meeting cadence; max_interval_months is the initial rule when adjustable_by_decision."""

    max_interval_months: PositiveInt | None = None
    basis: Literal["agreement", "administrator"] = "agreement"
    adjustable_by_decision: StrictBool = False
    guard_lead_days: LeadDays = (21, 10)


class MeetingDefaults(_Model):
    duration_minutes: PositiveInt = 90
    reminder_offsets: tuple[Offset, ...] = ("7d", "1d", "1h")

    @property
    def reminder_deltas(self) -> tuple[timedelta, ...]:
        return tuple(sorted((offset_to_timedelta(o) for o in self.reminder_offsets), reverse=True))


class ChairRule(_Model):
    term_months: PositiveInt | None = None
    rotating: StrictBool = False
    term_set_at_first_meeting: StrictBool = False

    @field_validator("term_set_at_first_meeting")
    @classmethod
    def _term_not_twice(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("term_months") is not None:
            raise PydanticCustomError(
                "term_given_twice", "term_months is fixed, so it cannot be set at the first meeting"
            )
        return value


class Documentation(_Model):
    duty: Literal["chair_led_shared", "chair", "rotating_party"]
    rotation: Literal["after_each_meeting", "by_decision"] | None = Field(
        default=None, validate_default=True
    )

    @field_validator("rotation")
    @classmethod
    def _rotation_iff_rotating(cls, value: str | None, info: ValidationInfo) -> str | None:
        duty = info.data.get("duty")
        if duty == "rotating_party" and value is None:
            raise PydanticCustomError("rotation_missing", 'required when duty = "rotating_party"')
        if duty is not None and duty != "rotating_party" and value is not None:
            raise PydanticCustomError(
                "rotation_unexpected", 'only meaningful when duty = "rotating_party"'
            )
        return value


class Participant(_Model):
    """Someone who sits in a body without a party's vote."""

    role: Text
    party: Slug | None = None
    purpose: Text | None = None


class Body(_Model):
    name: Text
    decision_prefix: Annotated[str, StringConstraints(pattern=r"^[A-ZÅÄÖ]{1,6}$")]
    # party key -> number of representatives, when the agreement fixes it.
    seats: dict[Slug, PositiveInt] = Field(default_factory=dict)
    voting: Voting
    cadence: Cadence = Cadence()
    meetings: MeetingDefaults = MeetingDefaults()
    chair: ChairRule = ChairRule()
    documentation: Documentation
    participants: tuple[Participant, ...] = ()
    # Wet-signature lines beside the justering block of the final protokoll (the digital
    # justering is recorded on the page either way).
    signature_lines: StrictBool = False
    # Days after the meeting within which the chair and the justerare approve the protokoll;
    # they are reminded until both have, and /moten shows it overdue after.
    justering_days: PositiveInt = 14


# --- agreement period ---------------------------------------------------------------------


class Renewal(_Model):
    kind: Literal["extension_by_agreement", "automatic_extension"]
    step_months: PositiveInt
    latest_end: IsoDate
    announce_months_before_end: PositiveInt | None = Field(default=None, validate_default=True)
    notice_by: MonthDay | None = Field(default=None, validate_default=True)

    @field_validator("announce_months_before_end")
    @classmethod
    def _announce_for_agreement(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _required_for(value, info, "extension_by_agreement")

    @field_validator("notice_by")
    @classmethod
    def _notice_for_automatic(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _required_for(value, info, "automatic_extension")

    def extended_end(self, term_end: date) -> date | None:
        """End of the next term after one that ends on term_end, or None past latest_end."""
        nxt = add_months(term_end + timedelta(days=1), self.step_months) - timedelta(days=1)
        return nxt if nxt <= self.latest_end else None

    def announce_by(self, term_end: date) -> date | None:
        """Last day to announce an extension (extension_by_agreement only).

        Reading: the term ends at the close of term_end, so "six months before expiry" is six
        months before the following day, and the last allowed day is the day before that.
        """
        if self.announce_months_before_end is None:
            return None
        expiry = term_end + timedelta(days=1)
        return add_months(expiry, -self.announce_months_before_end) - timedelta(days=1)


def _required_for(value: Any, info: ValidationInfo, kind: str) -> Any:
    actual = info.data.get("kind")
    if actual == kind and value is None:
        raise PydanticCustomError(
            "required_for_kind", "required when kind = {kind!r}", {"kind": kind}
        )
    if actual is not None and actual != kind and value is not None:
        raise PydanticCustomError(
            "unexpected_for_kind", "only meaningful when kind = {kind!r}", {"kind": kind}
        )
    return value


class Agreement(_Model):
    start: IsoDate
    end: IsoDate
    notice_period_months: PositiveInt
    renewal: Renewal | None = None

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise PydanticCustomError("end_before_start", "must be after the start date")
        return end


# --- follow-up ----------------------------------------------------------------------------


class ReportPeriod(_Model):
    start_month: Month
    end_month: Month
    # Month of the socialnämnden meeting where the city presents its compilation.
    committee_month: Month | None = None

    @property
    def months(self) -> tuple[int, ...]:
        span = (self.end_month - self.start_month) % 12 + 1
        return tuple((self.start_month - 1 + i) % 12 + 1 for i in range(span))


class ActivityReport(_Model):
    from_body: BodyKind
    to_body: BodyKind
    responsible: Literal["chair", "body"]
    periods: tuple[ReportPeriod, ...] = Field(min_length=1)
    due_days_after_period_end: PositiveInt

    @field_validator("periods")
    @classmethod
    def _periods_tile_year(cls, periods: tuple[ReportPeriod, ...]) -> tuple[ReportPeriod, ...]:
        months = [m for p in periods for m in p.months]
        if sorted(months) != list(range(1, 13)):
            raise PydanticCustomError(
                "periods_not_year", "periods must cover each month of the year exactly once"
            )
        return periods


class AnnualCompilation(_Model):
    by_body: BodyKind
    year_end: MonthDay
    due_days_after_year_end: PositiveInt
    includes_complaints_summary: StrictBool = False


class Reports(_Model):
    activity: ActivityReport
    annual_compilation: AnnualCompilation | None = None


class Statistics(_Model):
    metrics: tuple[StatisticKind, ...] = ()
    top_countries: PositiveInt | None = Field(default=None, validate_default=True)
    extendable_by_decision: StrictBool = False

    @field_validator("metrics")
    @classmethod
    def _metrics_unique(cls, metrics: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(metrics)) != len(metrics):
            raise PydanticCustomError("duplicate_metric", "a metric is listed twice")
        return metrics

    @field_validator("top_countries")
    @classmethod
    def _top_needs_country(cls, value: int | None, info: ValidationInfo) -> int | None:
        metrics = info.data.get("metrics")
        if (
            value is not None
            and metrics is not None
            and "visitors_by_country_of_origin" not in metrics
        ):
            raise PydanticCustomError(
                "top_without_country", 'needs "visitors_by_country_of_origin" in metrics'
            )
        return value


class Complaints(_Model):
    routines_required: StrictBool = True
    summary_in: Literal["activity_report", "annual_compilation"]


class FinancialReport(_Model):
    year_end: MonthDay
    due_days_after_year_end: PositiveInt
    form: Text | None = None


class Reminders(_Model):
    lead_days: LeadDays = (30, 14, 7, 1)
    overdue_once: StrictBool = True
    late_send_grace_hours: PositiveInt = 12
    lead_days_by_kind: dict[DeadlineKind, LeadDays] = Field(default_factory=dict)

    def lead_days_for(self, kind: DeadlineKind) -> tuple[int, ...]:
        return self.lead_days_by_kind.get(kind, self.lead_days)


class CalendarInvitations(_Model):
    """How meeting invitations (.ics) are sent. Without an organizer they are published
    (METHOD:PUBLISH, a file people import; a cancellation is the same event with
    STATUS:CANCELLED); with one they are iTIP requests from that address (METHOD:REQUEST, and
    METHOD:CANCEL for a cancelled meeting), which RFC 5546 allows only with an ORGANIZER."""

    organizer_email: (
        Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None
    ) = None
    organizer_name: Text | None = None


# --- data protection ----------------------------------------------------------------------


class Privacy(_Model):
    """Data protection (GDPR, OSL; 001 §5.3, 004 "Sekretess"): who answers for the personal data
    the bot keeps, and how long each kind is kept. Every period has a default (README)."""

    # Personuppgiftsansvarig, e.g. "Socialnämnden i Stockholms stad". Without it the notice
    # names the partnership's public party.
    controller: Text | None = None
    # Where to turn with questions or requests (registrator, dataskyddsombud): free text.
    contact: Text | None = None
    # The legal basis of the processing (GDPR art. 6), as the controller states it.
    legal_basis: Text | None = None
    # Members who left or were removed (and people who wrote to the bot but never became
    # members): their personal data is erased this long after.
    departed_member_months: PositiveInt = 6
    # The audit trail (who changed what) and the record of exports.
    audit_months: PositiveInt = 24
    # Reminders that were sent (or cancelled, skipped, failed): their texts are pruned.
    delivered_reminder_days: PositiveInt = 90
    # Ids of processed Telegram updates (Telegram resends an update for up to 24 hours).
    processed_update_days: Annotated[int, Strict(), Field(ge=2)] = 2


# --- the file -----------------------------------------------------------------------------


class PartnershipSpec(_Model):
    diarienummer: Diarienummer
    name: Text
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "Europe/Stockholm"
    language: Language = "sv"
    languages: tuple[Language, ...] = ("sv", "en")
    administrators: tuple[PositiveInt, ...] = ()
    agreement: Agreement
    parties: tuple[Party, ...] = Field(min_length=2)
    annexes: tuple[Annex, ...] = ()
    bodies: dict[BodyKind, Body] = Field(min_length=1)
    reports: Reports
    statistics: Statistics = Statistics()
    complaints: Complaints | None = None
    financial_report: FinancialReport | None = None
    reminders: Reminders = Reminders()
    privacy: Privacy = Privacy()
    calendar: CalendarInvitations = CalendarInvitations()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def party(self, key: str) -> Party:
        for party in self.parties:
            if party.key == key:
                return party
        raise KeyError(key)

    def body(self, kind: BodyKind) -> Body:
        return self.bodies[kind]

    @property
    def nonprofit_parties(self) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.kind == "nonprofit")

    @property
    def public_parties(self) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.kind == "public")

    def annexes_for(self, party_key: str) -> tuple[Annex, ...]:
        return tuple(a for a in self.annexes if a.party == party_key)

    def activities_for(self, party_key: str) -> tuple[Activity, ...]:
        return tuple(act for a in self.annexes_for(party_key) for act in a.activities)

    def total_budget_sek(self, party_key: str) -> int | None:
        """The city's yearly money to a party per its annexes; None when no budget is known."""
        budgets = [a.budget for a in self.annexes_for(party_key) if a.budget is not None]
        if not budgets:
            return None
        return sum(b.total_sek for b in budgets)
