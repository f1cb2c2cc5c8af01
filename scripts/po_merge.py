"""A git merge driver for the gettext catalogues: the union of both sides' messages.

Branches add messages side by side in a catalogue sorted by message id, which a line merge
reports as conflicts. Configure once per clone (the scripts do not need it):
    git config merge.po.driver ".venv/bin/python scripts/po_merge.py %O %A %B"
then run `python -m i18n.catalogue` after the merge to drop messages no longer used.
"""

from __future__ import annotations

import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def _read(path: str) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle)


def merge(base_path: str, ours_path: str, theirs_path: str) -> int:
    base, ours, theirs = _read(base_path), _read(ours_path), _read(theirs_path)
    conflicts = 0
    for message in theirs:
        if not message.id:
            continue
        mine = ours.get(message.id, message.context)
        if mine is None:
            ours[message.id] = message
            continue
        if mine.string == message.string or not message.string:
            continue
        old = base.get(message.id, message.context)
        if not mine.string or (old is not None and old.string == mine.string):
            mine.string = message.string
        else:
            conflicts += 1
            print(f"po_merge: both sides translate {message.id!r}; kept ours", file=sys.stderr)
        mine.locations = sorted(set(mine.locations) | set(message.locations))
    with open(ours_path, "wb") as handle:
        write_po(handle, ours, width=100, sort_output=True, include_lineno=False)
    return 0


if __name__ == "__main__":
    sys.exit(merge(*sys.argv[1:4]))
