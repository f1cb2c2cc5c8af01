"""Keep the gettext catalogues in step with the source.

`python -m i18n.catalogue` extracts every marked message and merges it into `sv` and `en`; English
message ids translate to themselves, Swedish ones must be filled in by hand (the test suite fails
while any is missing).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from i18n import LANGUAGES, LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "handlers", "views", "services", "governance", "storage", "delivery", "i18n")
KEYWORDS = {"_": None, "N_": None, "t": (2,), "ngettext": (1, 2), "nt": (2, 3)}
PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")


def extract() -> dict[str | tuple[str, str], list[str]]:
    found: dict[str | tuple[str, str], list[str]] = {}
    for folder in SOURCE_DIRS:
        path = ROOT / folder
        if not path.exists():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(path), method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            key = message if isinstance(message, str) else (message[0], message[1])
            found.setdefault(key, []).append(f"{folder}/{filename}:{lineno}")
    return found


def load(language: str) -> Catalog:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Catalog(locale=language)
    with po_path.open("rb") as handle:
        return read_po(handle, locale=language)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def update() -> None:
    messages = extract()
    for language in LANGUAGES:
        old = load(language)
        new = Catalog(locale=language, project="iop-bot", charset="utf-8")
        for key, locations in sorted(messages.items(), key=lambda kv: str(kv[0])):
            msgid = key
            previous = old.get(msgid)
            string: Any = previous.string if previous is not None else ""
            if isinstance(msgid, tuple) and not isinstance(string, (list, tuple)):
                # A message that became plural: its singular translation is the first form.
                string = (string, "")
            elif not isinstance(msgid, tuple) and isinstance(string, (list, tuple)):
                string = string[0]
            if language == "en" and not string:
                string = key
            elif language == "en" and isinstance(key, tuple) and not all(string):
                string = tuple(given or key[i] for i, given in enumerate(string))
            new.add(
                msgid,
                string,
                locations=[
                    (loc.rsplit(":", 1)[0], int(loc.rsplit(":", 1)[1])) for loc in locations
                ],
            )
        target = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            # No line numbers: they change with every edit and make the catalogues conflict on merge.
            write_po(handle, new, width=100, sort_output=True, include_lineno=False)


if __name__ == "__main__":
    update()
    print("catalogues updated:", ", ".join(LANGUAGES))
