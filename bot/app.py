"""Build the PTB Application: one ApplicationBuilder chain with the typed context, whose
`context.runtime` (database, clock, settings) every handler and job reads."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    Defaults,
)

from bot.config import Settings
from handlers.bot_context import CONTEXT_TYPES, BotContext, runtime_of
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_unless_at_head
from storage.runtime import Clock, Runtime, system_clock

log = logging.getLogger(__name__)


def make_services(
    settings: Settings, *, clock: Clock = system_clock, migrate: bool = True
) -> Runtime:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade_unless_at_head(engine)  # one query when it is at head, as nearly always
    return Runtime(
        settings=settings, engine=engine, session_factory=make_session_factory(engine), clock=clock
    )


RESYNC_TASK = "startup-resync"
PUBLISH_TASK = "startup-publish"
RESYNC_CHUNK = 20
# Set in bot_data by `bot.runner`: it starts the re-sync and the publishing itself, once updates
# flow (`start_resync`, `handlers.menus.publish_all`), so post_init leaves them to it.
AFTER_POLLING = "start-after-polling"


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    from views.links import set_bot_username

    # Deep links into the private chat name the bot; reminders are rendered without a bot.
    set_bot_username(application.bot.username)
    if application.bot_data.get(AFTER_POLLING):
        return
    # PTB's own lifecycle (run_polling awaits post_init before polling; the tests' harness does
    # the same): the re-sync in the background, the menus before updates are fetched.
    from handlers.menus import publish_all

    start_resync(application)
    await publish_all(application)


def start_resync(application: Application) -> asyncio.Task[int]:  # type: ignore[type-arg]
    """The file or the calendar may have moved on while the bot was down: every partnership's
    deadline reminders are brought up to date, in the background, so start-up takes as long with
    a thousand partnerships as with one. Idempotent: the reminders of a partnership not yet
    re-synced are those of before, and the dispatcher claims rows only."""
    task = asyncio.create_task(resync_deadlines(runtime_of(application)), name=RESYNC_TASK)
    application.bot_data[RESYNC_TASK] = task
    task.add_done_callback(_log_resync)
    return task


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    await stop_background(application)


async def stop_background(application: Application) -> None:  # type: ignore[type-arg]
    """Cancels the start-up's background work still running (the re-sync, the publishing)."""
    for name in (RESYNC_TASK, PUBLISH_TASK):
        task = application.bot_data.get(name)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _log_resync(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("re-syncing deadline reminders failed", exc_info=task.exception())


async def resync_deadlines(services: Runtime, chunk: int = RESYNC_CHUNK) -> int:
    """Every partnership's deadline reminders, `chunk` partnerships per transaction, each in a
    thread: the event loop and the database's write lock are never held for long."""
    from services.deadlines import partnership_ids, sync_some
    from storage.db import transaction

    def ids() -> list[int]:
        with transaction(services.session_factory) as session:
            return partnership_ids(session)

    def sync(part: list[int]) -> int:
        with transaction(services.session_factory) as session:
            return sync_some(session, part, now=services.now())

    began = time.monotonic()
    everyone = await asyncio.to_thread(ids)
    total = 0
    for start in range(0, len(everyone), chunk):
        total += await asyncio.to_thread(sync, everyone[start : start + chunk])
    log.info(
        "deadline reminders re-synced: %d partnerships in %.1f s",
        len(everyone),
        time.monotonic() - began,
    )
    return total


def make_rate_limiter(settings: Settings) -> BaseRateLimiter:  # type: ignore[type-arg]
    """Telegram's flood limits: 30 messages/s overall, 20/min per group by default."""
    if settings.rate_limiter == "ptb":
        return AIORateLimiter(
            overall_max_rate=settings.rate_limit_overall_per_second,
            overall_time_period=1,
            group_max_rate=settings.rate_limit_group_per_minute,
            group_time_period=60,
            max_retries=0,
        )
    from delivery.ratelimit import TelegramRateLimiter

    return TelegramRateLimiter(
        overall_max_rate=settings.rate_limit_overall_per_second,
        overall_time_period=1,
        group_max_rate=settings.rate_limit_group_per_minute,
        group_time_period=60,
        max_retries=0,
    )


def build_application(
    settings: Settings,
    services: Runtime,
    *,
    update_processor: BaseUpdateProcessor | None = None,
    with_dispatcher: bool = True,
    updater: bool = True,
) -> Application:  # type: ignore[type-arg]
    from bot.inbox import on_database_error
    from handlers import register_handlers
    from services import subscribers

    subscribers.install()  # who reacts to which domain event

    token = settings.require_token()
    builder = ApplicationBuilder()
    if update_processor is not None:
        builder = builder.concurrent_updates(update_processor)
    if not updater:
        # `python -m bot` feeds updates from its own inbox (bot.runner), not PTB's Updater.
        # Its worker (bot.inbox) calls `process_update` itself, one call per chat at a time;
        # PTB's `concurrent_updates` governs only the update queue, which nothing fills here,
        # so the calls run concurrently without it and the chats' order is the worker's.
        builder = builder.updater(None)
    application = (
        builder.token(token)
        .context_types(CONTEXT_TYPES)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.zone))
        .rate_limiter(make_rate_limiter(settings))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data.runtime = services
    # First of the error handlers: a database outage sends the update back to the inbox.
    application.add_error_handler(on_database_error)
    register_handlers(application)
    if with_dispatcher:
        from delivery.dispatcher import ReminderDispatcher, install_dispatcher

        install_dispatcher(application, dispatcher=ReminderDispatcher(application.bot, services))
        if application.job_queue is not None:
            # Deadlines that depend on the calendar (the next cadence window once a meeting is
            # held, a chair term running out) are recomputed every few hours as well.
            application.job_queue.run_repeating(
                _resync_deadlines, interval=4 * 3600, first=4 * 3600, name="resync-deadlines"
            )
    if application.job_queue is not None:
        # Retention: the database says what is due, so a run missed while the bot was down is
        # made up by the next one; the first run comes shortly after every start.
        application.job_queue.run_repeating(
            run_retention_job, interval=24 * 3600, first=10 * 60, name=RETENTION_JOB
        )
    return application


RETENTION_JOB = "privacy-retention"


async def run_retention_job(context: BotContext) -> None:
    from services.retention import run_retention

    services = context.runtime
    # A job: off the event loop, in small transactions, so handlers never wait long for it.
    report = await asyncio.to_thread(run_retention, services.session_factory, now=services.now())
    # Counts only: never who was erased.
    log.info("retention: %s", report.as_text())


async def _resync_deadlines(context: BotContext) -> None:
    # A job: off the event loop, so it never waits for a lock a handler holds.
    await resync_deadlines(context.runtime)
