"""The rate limiter counts what Telegram counts: message sends and edits, not reads, reactions,
callback answers or pins; replies to someone who just acted go before background sends; a 429
pauses its chat only and is logged as one line. Through PTB's ExtBot against the fake server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import ReactionTypeEmoji
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from delivery.ratelimit import TelegramRateLimiter, counts_as_message, mark_interactive
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
GROUP = FakeChat(-5001, "group", "Styrgrupp")
OTHER_GROUP = FakeChat(-5002, "group", "Samverkansgrupp")
USER = FakeUser(4001, "Agneta", "agneta")


def test_what_counts_as_a_message() -> None:
    for method in (
        "sendMessage",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessages",
        "editMessageText",
        "editMessageReplyMarkup",
    ):
        assert counts_as_message(method), method
    for method in (
        "getChatMember",
        "getChat",
        "setMessageReaction",
        "answerCallbackQuery",
        "pinChatMessage",
        "unpinChatMessage",
        "sendChatAction",
        "deleteMessage",
        "getUpdates",
        "setMyCommands",
    ):
        assert not counts_as_message(method), method


@pytest_asyncio.fixture
async def limited_bot(fake_telegram: FakeTelegram) -> AsyncIterator[ExtBot]:  # type: ignore[type-arg]
    # An admin of the group: only an admin bot may pin there (the fake is as strict as Telegram).
    fake_telegram.add_chat(GROUP, bot_status="administrator")
    fake_telegram.add_chat(OTHER_GROUP)
    fake_telegram.set_member_status(GROUP, USER, "member")
    # One message a minute per group: the second send to a group waits for the rest of the test.
    limiter = TelegramRateLimiter(overall_max_rate=1000, group_max_rate=1, group_time_period=60)
    bot = ExtBot(TOKEN, base_url=fake_telegram.base_url, rate_limiter=limiter)
    async with bot:
        yield bot


async def test_reads_reactions_answers_and_pins_do_not_wait_behind_sends(
    fake_telegram: FakeTelegram,
    limited_bot: ExtBot,  # type: ignore[type-arg]
) -> None:
    bot = limited_bot
    first = await bot.send_message(GROUP.id, "one")  # uses the group's budget
    waiting = asyncio.create_task(bot.send_message(GROUP.id, "two"))
    await asyncio.sleep(0.05)
    assert not waiting.done()

    member = await bot.get_chat_member(GROUP.id, USER.id)
    assert member.user.id == USER.id
    await bot.get_chat(GROUP.id)
    await bot.set_message_reaction(GROUP.id, first.message_id, [ReactionTypeEmoji("✍")])
    await bot.pin_chat_message(GROUP.id, first.message_id, disable_notification=True)
    update = fake_telegram.make_press(USER, first, GROUP, "x", check_button=False)
    await bot.answer_callback_query(update["callback_query"]["id"], "ok")
    # Another group has its own budget.
    await bot.send_message(OTHER_GROUP.id, "elsewhere")

    assert not waiting.done(), "the second message to the group still waits for its minute"
    assert [m.text for m in fake_telegram.messages_in(GROUP.id)] == ["one"]
    waiting.cancel()


async def test_a_reply_to_someone_who_acted_goes_before_a_reminder_burst(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.add_chat(GROUP)
    limiter = TelegramRateLimiter(overall_max_rate=1000, group_max_rate=1, group_time_period=0.3)
    bot = ExtBot(TOKEN, base_url=fake_telegram.base_url, rate_limiter=limiter)
    async with bot:
        await bot.send_message(GROUP.id, "budget used")
        burst = [asyncio.create_task(bot.send_message(GROUP.id, f"reminder {n}")) for n in range(3)]
        await asyncio.sleep(0.01)  # the burst is queued first

        async def reply() -> None:
            mark_interactive()  # as the update handler's task is
            await bot.send_message(GROUP.id, "reply")

        await asyncio.gather(reply(), *burst)
    texts = [m.text for m in fake_telegram.messages_in(GROUP.id)]
    assert texts == ["budget used", "reply", "reminder 0", "reminder 1", "reminder 2"]


async def test_a_429_pauses_its_chat_only_and_is_one_line(
    fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake_telegram.add_chat(GROUP)
    fake_telegram.add_chat(OTHER_GROUP)
    fake_telegram.set_member_status(GROUP, USER, "member")
    limiter = TelegramRateLimiter(overall_max_rate=1000, group_max_rate=1000)
    bot = ExtBot(TOKEN, base_url=fake_telegram.base_url, rate_limiter=limiter)
    fake_telegram.fail_next("sendMessage", retry_after=30, chat_id=GROUP.id)
    caplog.set_level(logging.INFO)
    async with bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(GROUP.id, "flooded")
        paused = asyncio.create_task(bot.send_message(GROUP.id, "after the pause"))
        await bot.send_message(OTHER_GROUP.id, "other chats go on")
        await bot.get_chat_member(GROUP.id, USER.id)  # reads are not paused by it
        await asyncio.sleep(0.05)
        assert not paused.done()
        paused.cancel()
    assert [m.text for m in fake_telegram.messages_in(OTHER_GROUP.id)] == ["other chats go on"]
    assert fake_telegram.messages_in(GROUP.id) == []
    ours = [r for r in caplog.records if r.name == "delivery.ratelimit"]
    assert [(r.levelname, r.getMessage()) for r in ours] == [
        (
            "WARNING",
            f"Telegram asked to slow down (429): sendMessage to chat {GROUP.id}; retry after 30 s",
        )
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_retries_after_a_short_429_when_asked(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(GROUP)
    limiter = TelegramRateLimiter(overall_max_rate=1000, group_max_rate=1000, max_retries=1)
    bot = ExtBot(TOKEN, base_url=fake_telegram.base_url, rate_limiter=limiter)
    fake_telegram.fail_next("sendMessage", retry_after=1, chat_id=GROUP.id)
    async with bot:
        await bot.send_message(GROUP.id, "sent on the second try")
    assert [m.text for m in fake_telegram.messages_in(GROUP.id)] == ["sent on the second try"]
