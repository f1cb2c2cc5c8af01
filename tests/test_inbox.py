"""The inbox repository on both engines: stored once, leased, taken over after a lease, purged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import make_services
from storage import inbox, updates
from storage.db import transaction
from tests.conftest import make_settings

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def test_stored_once_leased_taken_over_and_purged(database_url: str) -> None:
    services = make_services(make_settings(database_url))
    try:
        with transaction(services.session_factory) as s:
            assert inbox.store(s, [{"update_id": 1, "message": {}}], T0) == 1
        with transaction(services.session_factory) as s:  # Telegram retrying, or two workers
            assert inbox.store(s, [{"update_id": 1}, {"update_id": 2}], T0) == 1
            assert inbox.pending_count(s) == 2
        with transaction(services.session_factory) as s:
            taken = inbox.take(s, worker="a", now=T0, lease=LEASE, limit=1)
            assert [(t.update_id, t.attempts) for t in taken] == [(1, 1)]
            assert updates.claim_update(s, 1, T0)  # the handlers begin
        with transaction(services.session_factory) as s:  # 1 is leased: b gets 2
            taken = inbox.take(s, worker="b", now=T0, lease=LEASE, limit=5)
            assert [t.update_id for t in taken] == [2]
            inbox.mark_handled(s, 2, T0)
        # a died in 1's handler: after the lease b takes it, and the handlers may run again.
        later = T0 + LEASE + timedelta(seconds=1)
        with transaction(services.session_factory) as s:
            assert not inbox.renew(s, 1, worker="b", now=later, lease=LEASE)
            taken = inbox.take(s, worker="b", now=later, lease=LEASE, limit=5)
            assert [(t.update_id, t.attempts) for t in taken] == [(1, 2)]
            assert updates.claim_update(s, 1, later)
            assert inbox.renew(s, 1, worker="b", now=later, lease=LEASE)
            inbox.mark_handled(s, 1, later)
            assert inbox.pending_count(s) == 0
            last = inbox.last_handled(s)
            assert last is not None and last.update_id == 1
        with transaction(services.session_factory) as s:
            assert inbox.forget_handled(s, later + timedelta(days=1)) == 0
            assert inbox.forget_handled(s, later + timedelta(days=3)) == 2
    finally:
        services.engine.dispose()
