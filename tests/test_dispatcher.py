"""The reminder dispatcher through the real PTB Bot against the fake Bot API server.

Time is the injected clock: a test sets it, calls `run_once()`, and reads back what the fake
server received and what the rows say. Nothing sleeps to wait for a due time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import select
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.app import make_services
from bot.config import Settings
from delivery import renderers as reminder_texts
from delivery.dispatcher import BOT_DATA_KEY, ReminderDispatcher, install_dispatcher
from i18n import t
from storage import reminders as repo
from storage.db import transaction
from storage.models import Body, ChatStatus, Partnership
from storage.reminders import Reminder, ReminderSpec, ReminderState
from storage.runtime import Runtime
from tests.conftest import TOKEN, FakeClock, make_settings
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

GROUP = FakeChat(-100200, "supergroup", "Styrgruppen")
FORUM = FakeChat(-100300, "supergroup", "Samverkansgruppen", is_forum=True)
TOPIC = 77
ANNA = FakeUser(5001, "Anna")


def make_app(settings: Settings, fake: FakeTelegram, *, read_timeout: float = 1.0) -> Application:  # type: ignore[type-arg]
    """The Application as bot.app builds it (HTML defaults, AIORateLimiter), on the fake."""
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.rate_limit_overall_per_second,
                overall_time_period=1,
                group_max_rate=settings.rate_limit_group_per_minute,
                group_time_period=60,
                max_retries=0,
            )
        )
        .read_timeout(read_timeout)
        .build()
    )


@dataclass
class Env:
    fake: FakeTelegram
    services: Runtime
    app: Application  # type: ignore[type-arg]
    dispatcher: ReminderDispatcher
    clock: FakeClock

    def schedule(self, *specs: ReminderSpec) -> None:
        with transaction(self.services.session_factory) as session:
            repo.schedule(session, list(specs), now=self.clock())

    def row(self, key: str) -> Reminder:
        with transaction(self.services.session_factory) as session:
            found = repo.get_by_key(session, key)
            assert found is not None, key
            return found

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m.plain for m in self.fake.sent if chat_id is None or m.chat_id == chat_id]

    def send_attempts(self, chat_id: int) -> int:
        return sum(
            1
            for method, params in self.fake.requests
            if method == "sendMessage" and params.get("chat_id") == chat_id
        )


def remind(
    key: str,
    chat: FakeChat | int,
    due: datetime,
    *,
    text: str | None = None,
    source: str = "meeting:1",
    **kw: Any,
) -> ReminderSpec:
    chat_id = chat.id if isinstance(chat, FakeChat) else chat
    return ReminderSpec(
        kind="text",
        source=source,
        dedupe_key=key,
        chat_id=chat_id,
        due_at=due,
        payload={"text": text if text is not None else key},
        **kw,
    )


async def _env(
    fake: FakeTelegram, url: str, clock: FakeClock, *, instance: str, **dispatcher_kw: Any
) -> AsyncIterator[Env]:
    settings = make_settings(url, fake.base_url)
    settings.rate_limit_overall_per_second = 500  # the limiter stays; the tests need not wait
    svc = make_services(settings, clock=clock)
    app = make_app(settings, fake)
    async with app:
        dispatcher = ReminderDispatcher(app.bot, svc, instance=instance, **dispatcher_kw)
        yield Env(fake, svc, app, dispatcher, clock)
    svc.engine.dispose()


@pytest_asyncio.fixture
async def env(
    fake_telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> AsyncIterator[Env]:
    fake_telegram.add_chat(GROUP)
    fake_telegram.add_chat(FORUM)
    async for e in _env(fake_telegram, database_url, clock, instance="test-1"):
        yield e


@pytest_asyncio.fixture
async def sqlite_env(
    fake_telegram: FakeTelegram, sqlite_url: str, clock: FakeClock
) -> AsyncIterator[Env]:
    fake_telegram.add_chat(GROUP)
    fake_telegram.add_chat(FORUM)
    async for e in _env(fake_telegram, sqlite_url, clock, instance="test-1"):
        yield e


def add_body(env: Env, chat_id: int) -> None:
    now = env.clock()
    with transaction(env.services.session_factory) as session:
        p = Partnership(
            diarienummer=f"SOF {chat_id}",
            name="P",
            timezone="Europe/Stockholm",
            language="sv",
            spec={},
            spec_hash="x",
            imported_at=now,
            updated_at=now,
        )
        session.add(p)
        session.flush()
        assert p.id is not None
        session.add(
            Body(
                partnership_id=p.id,
                kind="styrgrupp",
                name="SG",
                decision_prefix="SG",
                chat_id=chat_id,
            )
        )


def body_of(env: Env, chat_id: int) -> Body | None:
    with transaction(env.services.session_factory) as session:
        return session.exec(select(Body).where(Body.chat_id == chat_id)).first()


# -- delivery ---------------------------------------------------------------------------------


async def test_due_reminders_go_once_to_the_right_chat_and_topic(env: Env) -> None:
    now = env.clock()
    env.schedule(
        remind("in-group", GROUP, now - timedelta(minutes=1)),
        remind("in-topic", FORUM, now, thread_id=TOPIC),
        remind("tomorrow", GROUP, now + timedelta(days=1)),
    )
    report = await env.dispatcher.run_once()
    assert (report.claimed, report.sent) == (2, 2)
    assert env.texts(GROUP.id) == ["in-group"]
    [topic_message] = env.fake.messages_in(FORUM.id, TOPIC)
    assert topic_message.plain == "in-topic"
    assert env.row("in-topic").message_id == topic_message.message_id
    assert env.row("in-group").state == ReminderState.SENT
    assert report.next_due_at == now + timedelta(days=1)

    again = await env.dispatcher.run_once()
    assert again.claimed == 0 and len(env.fake.sent) == 2

    env.clock.advance(days=1)
    await env.dispatcher.run_once()
    assert env.texts(GROUP.id) == ["in-group", "tomorrow"]
    assert env.row("tomorrow").late is False


async def test_user_text_is_escaped_and_the_token_and_text_stay_out_of_the_logs(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    tricky = "Budget <b>& 'plan'</b> <script>x</script> SECRET-WORDS"
    env.schedule(remind("markup", GROUP, env.clock(), text=tricky))
    with caplog.at_level(logging.DEBUG):
        await env.dispatcher.run_once()
    assert env.texts(GROUP.id) == [tricky]
    assert env.row("markup").state == ReminderState.SENT
    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(("bot.", "storage.", "delivery."))
    ]
    assert ours, "the dispatcher logs a summary"
    assert not any("SECRET-WORDS" in line or TOKEN in line for line in ours)


async def test_order_within_a_chat_is_kept(env: Env) -> None:
    now = env.clock()
    env.schedule(*[remind(f"r{i}", GROUP, now - timedelta(minutes=10 - i)) for i in range(8)])
    env.dispatcher.batch_size = 3  # several batches: order must hold across them too
    await env.dispatcher.run_once()
    assert env.texts(GROUP.id) == [f"r{i}" for i in range(8)]


async def test_unknown_kind_fails_without_sending(env: Env) -> None:
    env.schedule(
        ReminderSpec(
            kind="no.such.kind", source="x", dedupe_key="u", chat_id=GROUP.id, due_at=env.clock()
        )
    )
    report = await env.dispatcher.run_once()
    assert report.failed == 1 and env.fake.sent == []
    row = env.row("u")
    assert (row.state, row.last_error) == ("failed", "unknown_kind")


async def test_a_registered_renderer_gets_payload_language_and_lateness(env: Env) -> None:
    seen: list[tuple[dict[str, Any], str, bool]] = []

    def render(payload: dict[str, Any], language: str, late: bool) -> str:
        seen.append((payload, language, late))
        return f"<b>Möte</b> {reminder_texts.escape(payload['title'])}"

    reminder_texts.register("test.meeting", render)
    try:
        env.schedule(
            ReminderSpec(
                kind="test.meeting",
                source="meeting:9",
                dedupe_key="m9",
                chat_id=GROUP.id,
                due_at=env.clock(),
                payload={"title": "A<B"},
                language="en",
            )
        )
        await env.dispatcher.run_once()
    finally:
        reminder_texts.unregister("test.meeting")
    assert seen == [({"title": "A<B"}, "en", False)]
    assert env.texts(GROUP.id) == ["Möte A<B"]


# -- faults -----------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:.*retry_after.*")  # PTB's own, raised inside RetryAfter()
async def test_retry_after_mid_fan_out_loses_and_repeats_nothing(env: Env) -> None:
    now = env.clock()
    chats = [FakeChat(-100900 - n, "supergroup") for n in range(6)]
    for chat in chats:
        env.fake.add_chat(chat)
    env.schedule(
        *[
            remind(f"{chat.id}:{i}", chat, now - timedelta(seconds=10 * (2 - i)))
            for chat in chats
            for i in range(2)
        ]
    )
    flooded = chats[3]
    env.fake.fail_next("sendMessage", retry_after=35, chat_id=flooded.id)

    report = await env.dispatcher.run_once()
    assert report.sent == 10 and report.retried == 1 and report.released == 1
    for chat in chats:
        expected = [] if chat is flooded else [f"{chat.id}:0", f"{chat.id}:1"]
        assert env.texts(chat.id) == expected
    first = env.row(f"{flooded.id}:0")
    assert first.state == ReminderState.PENDING
    assert first.next_attempt_at == now + timedelta(seconds=35)
    assert env.row(f"{flooded.id}:1").next_attempt_at == now + timedelta(seconds=35)

    env.clock.advance(seconds=34)
    assert (await env.dispatcher.run_once()).claimed == 0
    env.clock.advance(seconds=1)
    await env.dispatcher.run_once()
    assert env.texts(flooded.id) == [f"{flooded.id}:0", f"{flooded.id}:1"]
    counts = Counter(env.texts())
    assert len(counts) == 12 and set(counts.values()) == {1}
    assert env.row(f"{flooded.id}:0").attempts == 1  # the 429 did not use up a retry


async def test_timed_out_send_is_uncertain_and_never_resent(env: Env) -> None:
    env.schedule(remind("slow", GROUP, env.clock()), remind("fine", FORUM, env.clock()))
    # The message is delivered, but the answer comes after PTB's read timeout (1 s here).
    env.fake.delay_next("sendMessage", 2.5, chat_id=GROUP.id, deliver=True)
    report = await env.dispatcher.run_once()
    assert (report.uncertain, report.sent) == (1, 1)
    row = env.row("slow")
    assert (row.state, row.last_error) == ("uncertain", "timed_out")
    env.clock.advance(days=2)
    assert (await env.dispatcher.run_once()).claimed == 0
    assert env.texts(GROUP.id) == ["slow"]  # delivered once, by the timed-out request


async def test_forbidden_pauses_the_chat_until_the_bot_is_back(env: Env) -> None:
    now = env.clock()
    add_body(env, GROUP.id)
    env.schedule(
        remind("a", GROUP, now),
        remind("b", GROUP, now),
        remind("later", GROUP, now + timedelta(hours=5)),
        remind("elsewhere", FORUM, now),
    )
    env.fake.kick(GROUP.id)
    report = await env.dispatcher.run_once()
    assert report.sent == 1 and report.paused == 2
    assert env.texts(FORUM.id) == ["elsewhere"]
    assert env.send_attempts(GROUP.id) == 1  # "b" was not tried after the 403
    assert {env.row(k).state for k in ("a", "b", "later")} == {ReminderState.PAUSED}
    body = body_of(env, GROUP.id)
    assert body is not None and body.chat_status == ChatStatus.REMOVED

    env.clock.advance(hours=6)
    assert (await env.dispatcher.run_once()).claimed == 0  # no retry loop
    assert env.send_attempts(GROUP.id) == 1

    env.fake.unkick(GROUP.id)
    with transaction(env.services.session_factory) as session:
        assert repo.resume_chat(session, GROUP.id, now=env.clock()) == 3
    report = await env.dispatcher.run_once()
    assert [t.splitlines()[0] for t in env.texts(GROUP.id)] == ["a", "b", "later"]
    assert report.late == 2  # "a" and "b" are six hours late; "later" only one (the grace)


async def test_chat_migration_moves_everything_and_resends_once(env: Env) -> None:
    old = FakeChat(-4242, "group", "Old group")
    env.fake.add_chat(old)
    add_body(env, old.id)
    now = env.clock()
    env.schedule(
        remind("m1", old, now),
        remind("m2", old, now),
        remind("m3", old, now + timedelta(days=3)),
    )
    new_id = -1004242
    env.fake.migrate(old.id, new_id)
    report = await env.dispatcher.run_once()
    assert report.migrated == 1 and report.sent == 2
    assert env.texts(new_id) == ["m1", "m2"]
    assert env.send_attempts(old.id) == 1 and env.send_attempts(new_id) == 2
    assert {env.row(k).chat_id for k in ("m1", "m2", "m3")} == {new_id}
    body = body_of(env, new_id)
    assert body is not None and body_of(env, old.id) is None
    env.clock.advance(days=3)
    await env.dispatcher.run_once()
    assert env.texts(new_id) == ["m1", "m2", "m3"] and env.send_attempts(old.id) == 1


async def test_bad_request_fails_and_is_not_retried(env: Env) -> None:
    env.schedule(remind("bad", GROUP, env.clock()), remind("ok", GROUP, env.clock()))
    env.fake.fail_next(
        "sendMessage",
        error_code=400,
        description='Bad Request: can\'t parse entities: unsupported start tag "secret" at byte 3',
        chat_id=GROUP.id,
    )
    report = await env.dispatcher.run_once()
    assert (report.failed, report.sent) == (1, 1)
    row = env.row("bad")
    assert row.state == ReminderState.FAILED
    assert row.last_error == "bad_request:can't_parse_entities"  # nothing quoted from the text
    env.clock.advance(days=1)
    assert (await env.dispatcher.run_once()).claimed == 0
    assert env.texts(GROUP.id) == ["ok"]


async def test_server_errors_are_retried_with_backoff(env: Env) -> None:
    env.schedule(remind("flaky", GROUP, env.clock()))
    env.fake.fail_next("sendMessage", error_code=502, chat_id=GROUP.id, times=2)
    start = env.clock()

    report = await env.dispatcher.run_once()
    assert report.retried == 1
    assert env.row("flaky").next_attempt_at == start + timedelta(seconds=30)
    env.clock.advance(seconds=30)
    await env.dispatcher.run_once()
    assert env.row("flaky").next_attempt_at == start + timedelta(seconds=30 + 60)
    env.clock.advance(seconds=59)
    assert (await env.dispatcher.run_once()).claimed == 0
    env.clock.advance(seconds=1)
    await env.dispatcher.run_once()
    row = env.row("flaky")
    assert (row.state, row.attempts) == ("sent", 3)
    assert env.texts(GROUP.id) == ["flaky"]


async def test_server_errors_give_up_after_max_attempts(env: Env) -> None:
    env.dispatcher.max_attempts = 3
    env.schedule(remind("down", GROUP, env.clock()))
    env.fake.fail_next("sendMessage", error_code=500, chat_id=GROUP.id, times=10)
    for _ in range(5):
        await env.dispatcher.run_once()
        env.clock.advance(hours=2)
    row = env.row("down")
    assert (row.state, row.attempts, row.last_error) == ("failed", 3, "network")
    assert env.send_attempts(GROUP.id) == 3


async def test_a_crashed_claim_is_taken_over_after_its_lease_and_sent_once(env: Env) -> None:
    env.schedule(remind("orphan", GROUP, env.clock()))
    with transaction(env.services.session_factory) as session:
        claimed = repo.claim_due(
            session, now=env.clock(), instance="dead-process", lease_seconds=300, limit=10
        )
    assert len(claimed) == 1
    # The process that claimed it died (perhaps just after sending): the lease holds a while.
    assert (await env.dispatcher.run_once()).claimed == 0
    env.clock.advance(seconds=301)
    report = await env.dispatcher.run_once()
    assert (report.sent, report.repeats) == (1, 1)
    env.clock.advance(hours=1)
    await env.dispatcher.run_once()
    # Sent once more, and marked: the dead process may have sent it already.
    note = t(env.services.settings.bot_language, reminder_texts.REPEAT_NOTE)
    assert env.texts(GROUP.id) == [f"orphan\n\n{note}"]
    assert env.row("orphan").attempts == 2
    assert env.row("orphan").possible_repeat is False


async def test_a_claim_near_the_end_of_its_lease_is_given_back_unsent(env: Env) -> None:
    env.dispatcher.lease_seconds = 100
    env.schedule(remind("r", GROUP, env.clock()))
    original = env.services.clock
    calls = 0

    def jumping_clock() -> datetime:
        # Claimed at t, and by the time it would be sent the lease is almost over.
        nonlocal calls
        calls += 1
        return original() + (timedelta(seconds=95) if calls > 1 else timedelta(0))

    env.services.clock = jumping_clock
    try:
        report = await env.dispatcher.run_once()
    finally:
        env.services.clock = original
    assert report.released == 1 and env.fake.sent == []
    assert env.row("r").state == ReminderState.PENDING
    env.clock.advance(seconds=100)
    await env.dispatcher.run_once()
    assert env.texts(GROUP.id) == ["r"]


async def test_a_failing_claim_still_records_the_sends_in_flight(env: Env) -> None:
    chats = [FakeChat(6100 + n, "private") for n in range(4)]
    for chat in chats:
        env.fake.add_chat(chat)
    env.schedule(
        *[remind(f"c{chat.id}:{i}", chat, env.clock()) for chat in chats for i in range(2)]
    )
    env.dispatcher.batch_size = 4
    real_claim = env.dispatcher._claim
    calls = 0

    def claim_then_fail() -> Any:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise RuntimeError("database went away")
        return real_claim()

    env.dispatcher._claim = claim_then_fail  # type: ignore[method-assign]
    # The second chat's sends are slow: they are still in flight when the next claim fails.
    env.fake.delay_next("sendMessage", 0.3, chat_id=chats[1].id)
    env.fake.delay_next("sendMessage", 0.3, chat_id=chats[1].id)
    with pytest.raises(RuntimeError):
        await env.dispatcher.run_once()
    with transaction(env.services.session_factory) as session:
        states = repo.count_by_state(session)
    assert states == {"sent": 4, "pending": 4}, states
    assert len(env.fake.sent) == 4


async def test_down_for_three_hours_gives_one_late_send(env: Env) -> None:
    due = env.clock()
    env.schedule(
        remind("missed", GROUP, due), remind("recent", FORUM, due + timedelta(hours=2, minutes=30))
    )
    env.clock.set(due + timedelta(hours=3))
    report = await env.dispatcher.run_once()
    assert (report.sent, report.late) == (2, 1)
    [message] = env.fake.messages_in(GROUP.id)
    note = t("sv", reminder_texts.LATE_NOTE)
    assert message.plain == f"missed\n\n{note}"
    assert "<i>" in (message.text or "")
    assert env.row("missed").late is True
    assert env.row("recent").late is False and env.texts(FORUM.id) == ["recent"]
    await env.dispatcher.run_once()
    assert len(env.fake.messages_in(GROUP.id)) == 1


async def test_expired_reminder_is_skipped(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    due = env.clock()
    env.schedule(remind("stale", GROUP, due, expires_at=due + timedelta(hours=1)))
    env.clock.advance(hours=2)
    with caplog.at_level(logging.INFO, logger="delivery.dispatcher"):
        report = await env.dispatcher.run_once()
    assert report.skipped == 1 and env.fake.sent == []
    row = env.row("stale")
    assert (row.state, row.last_error) == ("skipped", "expired")
    assert any("skipped" in r.getMessage() for r in caplog.records)


async def test_recompute_of_a_moved_meeting_sends_only_the_new_reminder(env: Env) -> None:
    now = env.clock()
    env.schedule(remind("meeting:1:P1D", GROUP, now + timedelta(hours=1), text="old time"))
    with transaction(env.services.session_factory) as session:
        repo.replace_for_source(
            session,
            "meeting:1",
            [remind("meeting:1:P1D:v2", GROUP, now + timedelta(hours=5), text="new time")],
            now=now,
        )
    env.clock.advance(hours=6)
    await env.dispatcher.run_once()
    assert env.texts(GROUP.id) == ["new time"]
    assert env.row("meeting:1:P1D").state == ReminderState.CANCELLED


# -- concurrency --------------------------------------------------------------------------------


async def test_two_dispatchers_on_one_database_send_each_reminder_once(
    env: Env, fake_telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> None:
    chats = [FakeChat(6000 + n, "private", f"U{n}") for n in range(30)]
    for chat in chats:
        fake_telegram.add_chat(chat)
    now = clock()
    env.schedule(
        *[
            remind(f"{chat.id}:{i}", chat, now - timedelta(seconds=i))
            for chat in chats
            for i in range(10)
        ]
    )
    env.dispatcher.batch_size = 25
    async for other in _env(fake_telegram, database_url, clock, instance="test-2", batch_size=25):
        first, second = await asyncio.gather(env.dispatcher.run_once(), other.dispatcher.run_once())
    assert first.claimed + second.claimed == 300
    assert first.claimed > 0 and second.claimed > 0, "both instances took part"
    counts = Counter(env.texts())
    assert len(counts) == 300 and set(counts.values()) == {1}
    with transaction(env.services.session_factory) as session:
        assert repo.count_by_state(session) == {"sent": 300}


async def test_sqlite_dispatch_and_handler_writes_side_by_side(sqlite_env: Env) -> None:
    env = sqlite_env
    now = env.clock()
    chats = [FakeChat(7000 + n, "private") for n in range(20)]
    for chat in chats:
        env.fake.add_chat(chat)
    env.schedule(*[remind(f"{c.id}:{i}", c, now) for c in chats for i in range(10)])
    env.dispatcher.batch_size = 20
    errors: list[BaseException] = []
    stop = threading.Event()

    def handler_like_writes(n: int) -> None:
        # Read then write in one transaction, as handlers and services do.
        try:
            i = 0
            while not stop.is_set() or i < 20:
                with transaction(env.services.session_factory) as session:
                    repo.next_due_at(session)
                    repo.schedule(
                        session,
                        [remind(f"h{n}:{i}", GROUP, now + timedelta(days=1))],
                        now=now,
                    )
                i += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=handler_like_writes, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        report = await env.dispatcher.run_once()
    finally:
        stop.set()
        for thread in threads:
            await asyncio.to_thread(thread.join)
    assert errors == [], errors
    assert report.sent == 200
    with transaction(env.services.session_factory) as session:
        states = repo.count_by_state(session)
    assert states["sent"] == 200 and states["pending"] >= 80


# -- waking -----------------------------------------------------------------------------------


async def test_installed_dispatcher_runs_from_the_job_queue_and_wakes_on_request(
    fake_telegram: FakeTelegram, sqlite_url: str, clock: FakeClock
) -> None:
    fake_telegram.add_chat(GROUP)
    settings = make_settings(sqlite_url, fake_telegram.base_url)
    svc = make_services(settings, clock=clock)
    app = make_app(settings, fake_telegram)
    app.bot_data["services"] = svc
    env = Env(fake_telegram, svc, app, ReminderDispatcher(app.bot, svc), clock)
    env.schedule(remind("at-start", GROUP, clock()))
    dispatcher = install_dispatcher(app, dispatcher=env.dispatcher, first=0.05)
    assert app.bot_data[BOT_DATA_KEY] is dispatcher
    async with app:
        await app.start()
        try:
            await fake_telegram.wait_for(lambda m: m.plain == "at-start")
            env.schedule(remind("right-away", GROUP, clock()))
            await dispatcher.wake()
            await fake_telegram.wait_for(lambda m: m.plain == "right-away")

            # Due in 20 s, sooner than the interval (an hour here): a one-off wake-up job.
            env.schedule(remind("soon", GROUP, clock() + timedelta(seconds=20)))
            await dispatcher.wake()
            assert app.job_queue is not None
            jobs = app.job_queue.get_jobs_by_name("reminder-dispatcher-wake")
            waits = [(j.next_t - datetime.now(UTC)).total_seconds() for j in jobs if j.next_t]
            assert waits and max(waits) <= 20
            assert app.job_queue.get_jobs_by_name("reminder-dispatcher")
        finally:
            await app.stop()
    svc.engine.dispose()
    assert [m.plain for m in fake_telegram.sent] == ["at-start", "right-away"]
