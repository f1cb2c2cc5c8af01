"""The Bot API schema (api.min.json): decoding request values and checking them against it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# A copy of the official schema (shared/telegram-bot-api/api.min.json) ships with the package, so
# the demo runs on a fresh clone; tests/test_fakebot_package.py checks it is the same file.
SCHEMA_PATH = Path(__file__).with_name("api.min.json")

# The discriminator of a subtype is spelled in its first field's description.
_CONSTANT = re.compile(r'(?:must be|always) "?([a-z_]+)"?')


class ApiError(Exception):
    """An error answer of the Bot API; ``violation`` marks a request that is wrong in any state."""

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        violation: bool = False,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters
        self.violation = violation

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str, *, violation: bool = True) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}", violation=violation)


@dataclass(frozen=True)
class Field:
    name: str
    types: tuple[str, ...]
    required: bool


class Schema:
    """Read access to methods and types of api.min.json."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = raw.get("version", "")
        self._methods: dict[str, dict[str, Any]] = raw["methods"]
        self._types: dict[str, dict[str, Any]] = raw["types"]
        self._by_lower = {name.lower(): name for name in self._methods}

    def method_name(self, name: str) -> str | None:
        """The schema's spelling of a method (Telegram matches names case-insensitively)."""
        if name in self._methods:
            return name
        return self._by_lower.get(name.lower())

    def method_fields(self, method: str) -> dict[str, Field]:
        return _fields(self._methods[method])

    def method_returns(self, method: str) -> list[str]:
        return list(self._methods[method].get("returns", []))

    def has_type(self, name: str) -> bool:
        return name in self._types

    def type_fields(self, name: str) -> dict[str, Field]:
        return _fields(self._types[name])

    def subtypes(self, name: str) -> list[str]:
        return list(self._types[name].get("subtypes", []))

    def discriminator(self, subtype: str) -> tuple[str, str] | None:
        """(field, constant) telling this subtype apart from its siblings, if documented."""
        fields = self._types[subtype].get("fields", [])
        if not fields:
            return None
        match = _CONSTANT.search(fields[0].get("description", ""))
        return (fields[0]["name"], match.group(1)) if match else None

    def getme_only_flags(self) -> list[str]:
        """The Boolean fields of User that only getMe returns."""
        return [
            f["name"]
            for f in self._types["User"]["fields"]
            if f["types"] == ["Boolean"] and "only in getMe" in f.get("description", "")
        ]

    def defaults(self, type_name: str, **overrides: Any) -> dict[str, Any]:
        """An object with every required field filled with a neutral value."""
        obj: dict[str, Any] = {}
        for field in self.type_fields(type_name).values():
            if field.required and field.name not in overrides:
                obj[field.name] = self._neutral(field.types[0])
        obj.update(overrides)
        return obj

    def _neutral(self, type_name: str) -> Any:
        if type_name.startswith("Array of "):
            return []
        primitives: dict[str, Any] = {"Integer": 0, "Float": 0.0, "Boolean": False, "String": ""}
        if type_name in primitives:
            return primitives[type_name]
        return self.defaults(type_name) if self.has_type(type_name) else None


def _fields(entry: dict[str, Any]) -> dict[str, Field]:
    return {
        f["name"]: Field(f["name"], tuple(f["types"]), bool(f["required"]))
        for f in entry.get("fields", [])
    }


@cache
def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    return Schema(json.loads(path.read_text(encoding="utf-8")))


def decode_form_value(raw: str, types: tuple[str, ...]) -> Any:
    """A form value as PTB sends it: strings verbatim, everything else JSON-encoded."""
    if all(t in ("String", "InputFile") for t in types):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class Validator:
    """Checks decoded request parameters against the schema: presence, unknown fields, types."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def check_method(self, method: str, params: dict[str, Any], files: set[str]) -> None:
        fields = self.schema.method_fields(method)
        for name in params:
            if name not in fields:
                raise bad_request(f"unknown field '{name}' for method {method}")
        for field in fields.values():
            if field.required and field.name not in params:
                raise bad_request(f"missing required field '{field.name}' for method {method}")
        for name, value in params.items():
            if name in files:
                if "InputFile" not in fields[name].types:
                    raise bad_request(f"field '{name}' of {method} does not take a file")
                continue
            error = self.value_error(value, fields[name].types, files)
            if error:
                raise bad_request(f"field '{name}' of {method}: {error}")

    def value_error(self, value: Any, types: tuple[str, ...], files: set[str]) -> str | None:
        """None when ``value`` fits one of ``types``, else the reason of the closest miss."""
        errors = [self._type_error(value, t, files) for t in types]
        if any(e is None for e in errors):
            return None
        return errors[0]

    def _type_error(self, value: Any, type_name: str, files: set[str]) -> str | None:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return f"expected {type_name}"
            inner = type_name.removeprefix("Array of ")
            for index, item in enumerate(value):
                error = self._type_error(item, inner, files)
                if error:
                    return f"[{index}] {error}"
            return None
        if type_name == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            return None if ok else "expected Integer"
        if type_name == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return None if ok else "expected Float"
        if type_name == "Boolean":
            return None if isinstance(value, bool) else "expected Boolean"
        if type_name == "String":
            return None if isinstance(value, str) else "expected String"
        if type_name == "InputFile":
            # A file part referenced from inside a JSON object as attach://<part>.
            ok = isinstance(value, str) and value.removeprefix("attach://") in files
            return None if ok else "expected an uploaded file"
        if not self.schema.has_type(type_name):
            return None
        if not isinstance(value, dict):
            return f"expected {type_name} object"
        subtypes = self.schema.subtypes(type_name)
        if subtypes:
            return self._union_error(value, type_name, subtypes, files)
        if not self.schema.type_fields(type_name):
            return None  # documented only in prose (e.g. RichText): nothing to check
        return self._object_error(value, type_name, files)

    def _union_error(
        self, value: dict[str, Any], type_name: str, subtypes: list[str], files: set[str]
    ) -> str | None:
        for subtype in subtypes:
            disc = self.schema.discriminator(subtype)
            if disc and value.get(disc[0]) == disc[1]:
                return self._type_error(value, subtype, files)
        if all(self.schema.discriminator(s) for s in subtypes):
            return f"unknown kind of {type_name}"
        errors = [self._type_error(value, s, files) for s in subtypes]
        if any(e is None for e in errors):
            return None
        return next(e for e in errors if e)

    def _object_error(self, value: dict[str, Any], type_name: str, files: set[str]) -> str | None:
        fields = self.schema.type_fields(type_name)
        for name in value:
            if name not in fields:
                return f"unknown field '{name}' in {type_name}"
        for field in fields.values():
            if field.required and field.name not in value:
                return f"missing field '{field.name}' in {type_name}"
        for name, item in value.items():
            error = self.value_error(item, fields[name].types, files)
            if error:
                return f"{type_name}.{name}: {error}"
        return None
