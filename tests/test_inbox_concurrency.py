"""The inbox worker handles different chats' updates concurrently and each chat's in order,
through the real Application on the fake Bot API server: a slow update in one chat does not
hold back another chat's; a chat's updates begin only after the one before it ended, across
batches; at most `concurrency` are in their handlers at once; stopping waits for the updates
in their handlers and gives back those not begun."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import select
from telegram import Update
from telegram.ext import TypeHandler

from bot.inbox import InboxWorker
from storage import inbox
from storage.db import transaction
from tests.conftest import Harness
from tests.fakebot import FakeChat, FakeUser

USERS = [FakeUser(7100 + n, f"Person {n}", f"person_{n}") for n in range(4)]
GATE_GROUP = -10  # before the bot's own handlers (the first is in group -4)


def add_gate(h: Harness, gate: Callable[[Update], Awaitable[None]]) -> None:
    """A handler that runs before the bot's own on every update (and lets them run after)."""

    async def callback(update: Update, _context: Any) -> None:
        await gate(update)

    h.app.add_handler(TypeHandler(Update, callback), group=GATE_GROUP)


def store(h: Harness, payloads: list[dict[str, Any]]) -> None:
    with transaction(h.services.session_factory) as s:
        inbox.store(s, payloads, h.clock())


def rows(h: Harness) -> dict[int, inbox.InboundUpdate]:
    with transaction(h.services.session_factory) as s:
        return {r.update_id: r for r in s.exec(select(inbox.InboundUpdate)).all()}


async def until(condition: Callable[[], bool], limit: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def pending(h: Harness) -> int:
    with transaction(h.services.session_factory) as s:
        return inbox.pending_count(s)


async def test_a_slow_update_in_one_chat_does_not_hold_back_another_chats(
    harness: Harness,
) -> None:
    h = harness
    slow_chat, quick_chat = FakeChat.private(USERS[0]), FakeChat.private(USERS[1])
    slow = h.fake.make_text(USERS[0], slow_chat, "/start")
    quick = h.fake.make_text(USERS[1], quick_chat, "/start")
    assert slow["update_id"] < quick["update_id"]  # one at a time, the slow one goes first
    worker = InboxWorker(h.app, h.services, poll_interval=0.05, concurrency=2)
    waited: list[bool] = []

    async def gate(update: Update) -> None:
        if update.update_id == slow["update_id"]:
            # In its handler until the other chat's update is handled through to its answers.
            try:
                await until(lambda: quick["update_id"] in worker.finished, limit=10)
                waited.append(True)
            except AssertionError:
                waited.append(False)

    add_gate(h, gate)
    store(h, [slow, quick])
    worker.start()
    try:
        await until(lambda: pending(h) == 0)
    finally:
        await worker.stop()
    await h.fake.wait_until_idle()
    assert waited == [True]
    assert list(worker.finished) == [quick["update_id"], slow["update_id"]]
    assert worker.handled == 2
    for chat in (slow_chat, quick_chat):  # both answered by the bot's own /start
        assert any(m.chat_id == chat.id for m in h.fake.sent), chat


async def test_a_chats_updates_stay_in_order_across_batches_and_the_bound_holds(
    harness: Harness,
) -> None:
    h = harness
    chats = [FakeChat.private(user) for user in USERS[:3]]
    payloads = []
    for n in range(8):  # interleaved: update ids alternate between the chats
        for user, chat in zip(USERS, chats, strict=False):
            payloads.append(h.fake.make_text(user, chat, f"/start {n}"))
    chat_of = {int(p["update_id"]): int(p["message"]["chat"]["id"]) for p in payloads}
    rng = random.Random(16)
    began: list[int] = []
    ended: list[int] = []
    running: set[int] = set()
    most = 0

    async def gate(update: Update) -> None:
        nonlocal most
        chat = chat_of[update.update_id]
        assert not any(chat_of[u] == chat for u in running), "two of one chat at once"
        running.add(update.update_id)
        most = max(most, len(running))
        began.append(update.update_id)
        await asyncio.sleep(rng.uniform(0, 0.03))
        running.discard(update.update_id)
        ended.append(update.update_id)

    add_gate(h, gate)
    store(h, payloads)
    # Four at a time: the next batch is taken while the last is in hand, so a chat's later
    # updates join its lane behind the earlier ones.
    worker = InboxWorker(h.app, h.services, poll_interval=0.05, batch=4, concurrency=2)
    worker.start()
    try:
        await until(lambda: pending(h) == 0)
    finally:
        await worker.stop()
    assert len(began) == len(payloads) == worker.handled
    for chat in chats:
        ids = sorted(u for u in chat_of if chat_of[u] == chat.id)
        assert [u for u in began if chat_of[u] == chat.id] == ids
        assert [u for u in worker.finished if chat_of[u] == chat.id] == ids
    assert most == 2  # concurrent, and never more than the bound
    assert all(r.handled_at is not None for r in rows(h).values())


async def test_stopping_waits_for_updates_in_hand_and_gives_back_the_rest(
    harness: Harness,
) -> None:
    h = harness
    chat_a, chat_b = FakeChat.private(USERS[0]), FakeChat.private(USERS[1])
    first = h.fake.make_text(USERS[0], chat_a, "/start")
    second = h.fake.make_text(USERS[0], chat_a, "/start again")
    other = h.fake.make_text(USERS[1], chat_b, "/start")
    release = asyncio.Event()
    inside: list[int] = []

    async def gate(update: Update) -> None:
        inside.append(update.update_id)
        if update.update_id == first["update_id"]:
            await release.wait()

    add_gate(h, gate)
    store(h, [first, second, other])
    worker = InboxWorker(h.app, h.services, poll_interval=0.05, concurrency=2)
    worker.start()
    await until(lambda: other["update_id"] in worker.finished)
    assert first["update_id"] in inside
    stopping = asyncio.create_task(worker.stop())
    await asyncio.sleep(0.2)
    assert not stopping.done()  # the update in its handler is finished first
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert inside == [first["update_id"], other["update_id"]]
    stored = rows(h)
    assert stored[first["update_id"]].handled_at is not None
    assert stored[other["update_id"]].handled_at is not None
    given_back = stored[second["update_id"]]
    assert given_back.handled_at is None and given_back.taken_by is None
    assert given_back.attempts == 0  # not begun: not counted as an interrupted attempt
