"""pytest plugin: the ``fake_telegram`` fixture (load with pytest_plugins)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.fakebot.server import FakeTelegram


@pytest_asyncio.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A started FakeTelegram; the test fails at teardown if the bot made invalid requests.

    A test that sends invalid requests on purpose calls ``fake_telegram.allow_violations()``
    (for the whole test) or wraps them in ``with fake_telegram.allow_violations():``.
    """
    fake = FakeTelegram()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    unexpected = fake.unexpected_violations
    if unexpected:
        lines = "\n".join(f"  {v.method}: {v.description} {v.params!r:.300}" for v in unexpected)
        pytest.fail(f"the bot made {len(unexpected)} invalid Bot API requests:\n{lines}")
