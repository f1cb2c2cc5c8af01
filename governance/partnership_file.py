"""Reading a partnership file (TOML) into a validated ``PartnershipSpec``.

Every problem is reported as ``FILE:LINE: FIELD: MESSAGE``. tomllib gives no positions for
values, so lines of validation errors are found by a small scanner of the text that maps
table headers and keys to their lines (best effort: keys inside inline tables map to the line
of the enclosing key).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from governance.partnership_schema import PartnershipSpec
from governance.party_match import words
from governance.personnummer import contains_personal_identity_number

__all__ = [
    "PartnershipFileError",
    "PartnershipIssue",
    "load_partnership_file",
    "parse_partnership_toml",
]

Loc = tuple[str | int, ...]

# A module attribute, so tests can observe which texts are screened.
_personnummer_check: Callable[[str], bool] = contains_personal_identity_number


@dataclass(frozen=True)
class PartnershipIssue:
    """One problem in a partnership file. ``field`` is "" for TOML syntax errors."""

    filename: str
    line: int
    field: str
    message: str
    code: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.filename}:{self.line}: {self.field}: {self.message}"
        return f"{self.filename}:{self.line}: {self.message}"


class PartnershipFileError(ValueError):
    """All problems found in a partnership file; the attributes describe the first one."""

    def __init__(self, issues: Sequence[PartnershipIssue]) -> None:
        if not issues:
            raise ValueError("PartnershipFileError needs at least one issue")
        self.errors: list[PartnershipIssue] = sorted(issues, key=lambda i: (i.line, i.field))
        first = self.errors[0]
        self.filename = first.filename
        self.line = first.line
        self.field = first.field
        self.message = first.message
        self.code = first.code
        super().__init__("\n".join(str(issue) for issue in self.errors))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.errors)


def load_partnership_file(path: str | PathLike[str]) -> PartnershipSpec:
    """Read and validate a partnership file. OSError (missing file etc.) is not wrapped."""
    raw = Path(path).read_bytes()
    name = str(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PartnershipFileError(
            [PartnershipIssue(name, 1, "", f"not UTF-8 text: {exc.reason}", "encoding")]
        ) from None
    return parse_partnership_toml(text, name)


def parse_partnership_toml(text: str, filename: str) -> PartnershipSpec:
    """Parse and validate the text of a partnership file; raise PartnershipFileError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = _syntax_position(str(exc), text)
        raise PartnershipFileError(
            [PartnershipIssue(filename, line, "", message, "toml_syntax")]
        ) from None

    lines = _key_lines(text)
    try:
        spec = PartnershipSpec.model_validate(data)
    except ValidationError as exc:
        issues = [
            _issue(filename, lines, _clean_loc(err["loc"]), _message(err), err["type"])
            for err in exc.errors(include_url=False)
        ]
        raise PartnershipFileError(issues) from None

    problems = list(_cross_checks(spec))
    if problems:
        raise PartnershipFileError(
            [_issue(filename, lines, loc, message, code) for loc, code, message in problems]
        )
    return spec


# --- errors -------------------------------------------------------------------------------


_FRIENDLY = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
}


def _message(err: Any) -> str:
    message = _FRIENDLY.get(err["type"], err["msg"])
    return str(message).removeprefix("Value error, ")


def _clean_loc(loc: Sequence[str | int]) -> Loc:
    # pydantic marks an invalid dict key with a trailing "[key]" element.
    return tuple(part for part in loc if part != "[key]")


def format_field(loc: Loc) -> str:
    """("parties", 2, "org_number") -> "parties[2].org_number"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _issue(
    filename: str, lines: dict[Loc, int], loc: Loc, message: str, code: str
) -> PartnershipIssue:
    line = 1
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            line = lines[loc[:end]]
            break
    return PartnershipIssue(filename, line, format_field(loc), message, code)


def _syntax_position(message: str, text: str) -> tuple[int, str]:
    match = re.search(r"\s*\(at line (\d+), column \d+\)", message)
    if match:
        return int(match[1]), message[: match.start()] + message[match.end() :]
    match = re.search(r"\s*\(at end of document\)", message)
    if match:
        return max(1, len(text.splitlines())), message[: match.start()] + message[match.end() :]
    return 1, message


# --- checks across tables -----------------------------------------------------------------


def _cross_checks(spec: PartnershipSpec) -> Iterator[tuple[Loc, str, str]]:
    keys: set[str] = set()
    for i, party in enumerate(spec.parties):
        if party.key in keys:
            yield ("parties", i, "key"), "duplicate_party", f"party key {party.key!r} is used twice"
        keys.add(party.key)
    # An alias names one party only: not another's name, key or alias.
    owners: dict[tuple[str, ...], set[str]] = {}
    for party in spec.parties:
        for phrase in (party.name, party.key, *party.aliases):
            owners.setdefault(words(phrase), set()).add(party.key)
    for i, party in enumerate(spec.parties):
        for j, alias in enumerate(party.aliases):
            others = sorted(owners[words(alias)] - {party.key})
            if others:
                yield (
                    ("parties", i, "aliases", j),
                    "duplicate_alias",
                    f"alias {alias!r} also names the party {others[0]!r}",
                )
    if not spec.public_parties or not spec.nonprofit_parties:
        yield ("parties",), "parties_kinds", "needs at least one public and one nonprofit party"

    def unknown(key: str) -> str:
        return f"no party with key {key!r}"

    if spec.language not in spec.languages:
        yield ("language",), "language_not_allowed", "must be one of languages"

    numbers: set[int] = set()
    activity_keys: set[str] = set()
    for i, annex in enumerate(spec.annexes):
        if annex.party not in keys:
            yield ("annexes", i, "party"), "unknown_party", unknown(annex.party)
        if annex.number is not None:
            if annex.number in numbers:
                yield ("annexes", i, "number"), "duplicate_annex", "annex number used twice"
            numbers.add(annex.number)
        for j, activity in enumerate(annex.activities):
            if activity.key in activity_keys:
                loc: Loc = ("annexes", i, "activities", j, "key")
                yield loc, "duplicate_activity", f"activity key {activity.key!r} is used twice"
            activity_keys.add(activity.key)

    prefixes: set[str] = set()
    for kind, body in spec.bodies.items():
        if body.decision_prefix in prefixes:
            yield ("bodies", kind, "decision_prefix"), "duplicate_prefix", "prefix used twice"
        prefixes.add(body.decision_prefix)
        for key in body.seats:
            if key not in keys:
                yield ("bodies", kind, "seats", key), "unknown_party", unknown(key)
        for key in body.voting.designated_representatives:
            if key not in keys:
                loc = ("bodies", kind, "voting", "designated_representatives", key)
                yield loc, "unknown_party", unknown(key)
        for j, participant in enumerate(body.participants):
            if participant.party is not None and participant.party not in keys:
                loc = ("bodies", kind, "participants", j, "party")
                yield loc, "unknown_party", unknown(participant.party)

    renewal = spec.agreement.renewal
    if renewal is not None and renewal.latest_end <= spec.agreement.end:
        yield (
            ("agreement", "renewal", "latest_end"),
            "latest_end_too_early",
            "must be after agreement.end",
        )

    report = spec.reports.activity
    for name in ("from_body", "to_body"):
        if getattr(report, name) not in spec.bodies:
            yield ("reports", "activity", name), "unknown_body", "no such body in [bodies]"
    compilation = spec.reports.annual_compilation
    if compilation is not None and compilation.by_body not in spec.bodies:
        yield ("reports", "annual_compilation", "by_body"), "unknown_body", "no such body"

    # Org numbers are checked by their own rule (which also refuses a personnummer).
    for loc, value in _texts(spec, ()):
        if loc[-1] != "org_number" and _personnummer_check(value):
            yield (
                loc,
                "personal_identity_number",
                ("looks like a personnummer; the file must not hold data about individuals"),
            )


def _texts(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _texts(getattr(value, name), (*loc, name))
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            yield from _texts(item, (*loc, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*loc, str(key)))


# --- line positions -----------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key_lines(text: str) -> dict[Loc, int]:
    """Map each table, array-of-tables element and key path to its 1-based line."""
    positions: dict[Loc, int] = {}
    array_index: dict[Loc, int] = {}
    current: Loc = ()
    pending: str | None = None  # open multi-line string delimiter
    depth = 0  # open brackets of a multi-line value
    value_path: Loc = ()  # key whose value is being scanned
    elements = 0  # inline tables seen in that value's outer array
    in_array = False  # whether that value is an array
    lineno = 0

    def table_in_array() -> None:
        # An inline table directly inside the value's array: an element with its own line.
        nonlocal elements
        if not in_array:
            return
        positions.setdefault((*value_path, elements), lineno)
        elements += 1

    def concrete(keys: Sequence[str]) -> Loc:
        path: Loc = ()
        for key in keys:
            path = (*path, key)
            if path in array_index:
                path = (*path, array_index[path])
        return path

    for lineno, line in enumerate(text.splitlines(), start=1):
        if pending is not None or depth > 0:
            pending, depth = _scan_value(line, pending, depth, table_in_array)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            keys, _ = _parse_keys(stripped[2:])
            if not keys:
                continue
            array = (*concrete(keys[:-1]), keys[-1])
            index = array_index.get(array, -1) + 1
            array_index[array] = index
            current = (*array, index)
            positions.setdefault(array, lineno)
            positions[current] = lineno
        elif stripped.startswith("["):
            keys, _ = _parse_keys(stripped[1:])
            if not keys:
                continue
            current = concrete(keys)
            positions.setdefault(current, lineno)
        else:
            keys, rest = _parse_keys(stripped)
            if not keys or not rest.startswith("="):
                continue
            value_path, elements = (*current, *keys), 0
            in_array = rest[1:].lstrip().startswith("[")
            positions.setdefault(value_path, lineno)
            pending, depth = _scan_value(rest[1:], None, 0, table_in_array)
    return positions


def _parse_keys(text: str) -> tuple[list[str], str]:
    """Parse a dotted key at the start of text; return the keys and the remaining text."""
    keys: list[str] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return keys, ""
        quote = text[pos]
        if quote in "\"'":
            end = text.find(quote, pos + 1)
            if end < 0:
                return [], ""
            keys.append(text[pos + 1 : end])
            pos = end + 1
        else:
            match = _BARE_KEY.match(text, pos)
            if not match:
                return [], ""
            keys.append(match[0])
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return keys, text[pos:]


def _scan_value(
    text: str, pending: str | None, depth: int, on_element: Callable[[], None]
) -> tuple[str | None, int]:
    """Follow strings and brackets so continuation lines are not read as keys.

    on_element is called for each inline table one level deep (an array's element when the
    value is an array).
    """
    pos = 0
    while pos < len(text):
        if pending is not None:
            end = text.find(pending, pos)
            if end < 0:
                return pending, depth
            pos = end + 3
            pending = None
            continue
        ch = text[pos]
        if ch == "#":
            break
        if text.startswith('"""', pos) or text.startswith("'''", pos):
            pending = text[pos : pos + 3]
            pos += 3
        elif ch == '"':
            pos += 1
            while pos < len(text) and text[pos] != '"':
                pos += 2 if text[pos] == "\\" else 1
            pos += 1
        elif ch == "'":
            end = text.find("'", pos + 1)
            pos = len(text) if end < 0 else end + 1
        else:
            if ch in "[{":
                if depth == 1 and ch == "{":
                    on_element()
                depth += 1
            elif ch in "]}":
                depth -= 1
            pos += 1
    return pending, max(depth, 0)
