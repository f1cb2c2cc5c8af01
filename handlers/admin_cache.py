"""Telegram's answer to "is this user an admin of this chat?", kept for a short while.

A live meeting asks it for every recorded line; the answer rarely changes within a minute, and
a `chat_member` update that says it changed forgets it at once (`forget`). Only answers Telegram
gave are kept: a failed check is asked again next time.
"""

from __future__ import annotations

import time

ADMIN_CHECK_SECONDS = 30.0
_MAX_ENTRIES = 10_000


class AdminCache:
    def __init__(self, ttl: float = ADMIN_CHECK_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[int, int], tuple[float, bool]] = {}

    def get(self, chat_id: int, user_id: int) -> bool | None:
        entry = self._entries.get((chat_id, user_id))
        if entry is None:
            return None
        expires, is_admin = entry
        if expires <= time.monotonic():
            del self._entries[(chat_id, user_id)]
            return None
        return is_admin

    def put(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        now = time.monotonic()
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
        self._entries[(chat_id, user_id)] = (now + self.ttl, is_admin)

    def forget(self, chat_id: int, user_id: int | None = None) -> None:
        if user_id is not None:
            self._entries.pop((chat_id, user_id), None)
            return
        for key in [k for k in self._entries if k[0] == chat_id]:
            del self._entries[key]
