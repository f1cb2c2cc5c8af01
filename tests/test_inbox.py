"""The inbox repository on both engines: stored once, leased, taken over after a lease, purged;
taken in batches, renewed together, given back; marked handled as the update's claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import make_services
from services import senders
from storage import inbox, updates
from storage.db import transaction
from storage.models import ProcessedUpdate
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


def test_a_batch_renewed_and_given_back_and_the_mark_is_the_claim(database_url: str) -> None:
    services = make_services(make_settings(database_url))
    try:
        with transaction(services.session_factory) as s:
            inbox.store(s, [{"update_id": n} for n in (1, 2, 3)], T0)
        with transaction(services.session_factory) as s:
            taken = inbox.take(s, worker="a", now=T0, lease=LEASE, limit=3)
            assert [t.update_id for t in taken] == [1, 2, 3]
        later = T0 + LEASE - timedelta(seconds=1)
        with transaction(services.session_factory) as s:  # one heartbeat for the batch
            inbox.renew_all(s, [1, 2, 3], worker="a", now=later, lease=LEASE)
        with transaction(services.session_factory) as s:  # still leased past the first lease
            assert (
                inbox.take(
                    s, worker="b", now=T0 + LEASE + timedelta(seconds=1), lease=LEASE, limit=5
                )
                == []
            )
        with transaction(services.session_factory) as s:  # stopping: 2 and 3 never begun
            assert inbox.release(s, [2, 3], worker="a") == 2
        with transaction(services.session_factory) as s:  # free at once, not counted a retry
            taken = inbox.take(s, worker="b", now=later, lease=LEASE, limit=5)
            assert [(t.update_id, t.attempts) for t in taken] == [(2, 1), (3, 1)]

        # The handler's transaction marks its row: that is the update's claim.
        stored, reset = senders.handling_stored(1)
        try:
            with pytest.raises(RuntimeError), transaction(services.session_factory) as s:
                assert senders.claim(s, 1, T0)
                raise RuntimeError("the handler failed: rolled back")
            assert not stored.marked and not stored.pending
            with transaction(services.session_factory) as s:
                assert senders.claim(s, 1, T0)
                assert senders.claim(s, 1, T0)  # a second handler of the same update
                assert not stored.marked
            assert stored.marked
        finally:
            senders.done_handling(reset)
        # Another process that took 2 over marked it first: this one's claim fails.
        with transaction(services.session_factory) as s:
            assert inbox.mark_handled(s, 2, T0)
        other, reset = senders.handling_stored(2)
        try:
            with transaction(services.session_factory) as s:
                assert not senders.claim(s, 2, T0)
            assert not other.marked
        finally:
            senders.done_handling(reset)
        with transaction(services.session_factory) as s:
            assert s.get(ProcessedUpdate, 1) is None  # no row of its own for an inbox update
    finally:
        services.engine.dispose()
