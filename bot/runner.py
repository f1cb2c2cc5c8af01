"""`python -m bot`: the bot as a service.

Start-up waits out what an operator cannot fix by restarting (no network yet, the database
still starting) with one line per attempt and a growing pause, and stops at once, in one line,
on what only the operator can fix (a rejected token). Updates come from the inbox, filled by the
webhook or by the durable poller; the web server serves the webhook, `/healthz` and the
calendar feeds. SIGTERM or SIGINT stop it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.app import (
    AFTER_POLLING,
    PUBLISH_TASK,
    build_application,
    make_services,
    start_resync,
    stop_background,
)
from bot.config import Settings
from bot.inbox import InboxWorker
from bot.logging_setup import asyncio_exception_handler
from bot.outage import describe, is_database_outage
from bot.poller import DurablePoller, TokenRejected
from storage.runtime import Clock, Runtime, system_clock

log = logging.getLogger("bot")

INBOX_WORKER = "inbox-worker"
TOKEN_REJECTED = "Telegram rejected the token; check TELEGRAM_BOT_TOKEN"


class StartupFailed(Exception):
    """Something only the operator can fix; the message is one line for them."""


class Stopped(Exception):
    """Asked to stop while still starting."""


async def _retry(
    what: str,
    attempt: Any,
    *,
    fatal: tuple[type[BaseException], ...] = (),
    stop: asyncio.Event | None = None,
) -> Any:
    """Runs `attempt` until it succeeds, one line per failure, pausing 1, 2, 4 … 60 s."""
    failures = 0
    while True:
        if stop is not None and stop.is_set():
            raise Stopped
        try:
            return await attempt()
        except fatal:
            raise
        except RetryAfter as exc:
            delay = _seconds(exc)
            log.warning(
                "%s: Telegram asked to slow down (429); trying again in %.0f s", what, delay
            )
        except (NetworkError, OSError) as exc:
            failures += 1
            delay = min(60.0, 2.0 ** (failures - 1))
            cause = exc.__cause__ or exc
            log.warning("%s failed (%s); trying again in %.0f s", what, type(cause).__name__, delay)
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            failures += 1
            delay = min(60.0, 2.0 ** (failures - 1))
            log.warning("%s failed (%s); trying again in %.0f s", what, describe(exc), delay)
        if stop is None:
            await asyncio.sleep(delay)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)


def _seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)
    return max(value.total_seconds(), 1.0) if isinstance(value, timedelta) else 5.0


async def open_database(
    settings: Settings, clock: Clock = system_clock, stop: asyncio.Event | None = None
) -> Runtime:
    """Connects and migrates, waiting for a database that is still starting."""

    async def attempt() -> Runtime:
        return await asyncio.to_thread(make_services, settings, clock=clock)

    try:
        result: Runtime = await _retry("reaching the database", attempt, stop=stop)
    except Stopped:
        raise
    except Exception as exc:
        raise StartupFailed(
            f"database migration failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
            "the bot did not start: see README, Upgrades"
        ) from exc
    return result


async def serve(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    stop: asyncio.Event | None = None,
    services: Runtime | None = None,
    ready: Callable[[Any], None] | None = None,
) -> None:
    """Runs until `stop` is set (or SIGTERM/SIGINT). Raises StartupFailed or TokenRejected."""
    settings.require_token()
    settings.require_web()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(asyncio_exception_handler)
    if stop is None:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    try:
        if services is None:
            services = await open_database(settings, clock, stop)
        await _serve(settings, services, stop, ready)
    except Stopped:
        log.info("stopped while starting")


async def _serve(
    settings: Settings,
    services: Runtime,
    stop: asyncio.Event,
    ready: Callable[[Any], None] | None = None,
) -> None:
    application = build_application(settings, services, updater=False)

    async def initialize() -> None:
        await application.initialize()  # getMe: the token is checked here

    try:
        await _retry("connecting to Telegram", initialize, fatal=(InvalidToken,), stop=stop)
    except InvalidToken as exc:
        raise TokenRejected from exc
    me = application.bot.username
    log.info("connected to Telegram as @%s, in %s mode", me, settings.bot_mode)

    worker = InboxWorker(application, services, lease_seconds=settings.update_lease_seconds)
    application.bot_data[INBOX_WORKER] = worker
    # The re-sync and the menus wait until updates flow: see `_after_start`.
    application.bot_data[AFTER_POLLING] = True
    web_runner = None
    poller: DurablePoller | None = None
    poll_task: asyncio.Task[None] | None = None
    after_start: asyncio.Task[None] | None = None
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        worker.start()
        if settings.web_enabled:
            from bot.web import WebConfig, calendar_feeds, make_web_app, start_web

            app = make_web_app(
                WebConfig(settings.bot_mode, settings.webhook_path, settings.webhook_secret()),
                services,
                on_stored=worker.wake,
                calendar_feed=calendar_feeds(services),
            )
            web_runner = await start_web(app, settings.web_listen, settings.web_port)
            log.info("web server on http://%s:%s", settings.web_listen, settings.web_port)
        if settings.bot_mode == "webhook":
            await _retry(
                "setting the webhook",
                lambda: application.bot.set_webhook(
                    url=settings.webhook_url,
                    secret_token=settings.webhook_secret(),
                    allowed_updates=Update.ALL_TYPES,
                ),
                fatal=(InvalidToken,),
                stop=stop,
            )
            after_start = asyncio.create_task(_after_start(application, None, stop))
        else:
            await _retry(
                "switching to long polling",
                lambda: application.bot.delete_webhook(drop_pending_updates=False),
                fatal=(InvalidToken,),
                stop=stop,
            )
            poller = DurablePoller(application.bot, services, on_stored=worker.wake)
            poll_task = asyncio.create_task(poller.run(), name="poller")
            after_start = asyncio.create_task(_after_start(application, poller.started, stop))
        if ready is not None:
            ready(application)
        waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
        if poll_task is not None:
            waiters.append(poll_task)
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if poll_task is not None and poll_task.done():
            poll_task.result()  # TokenRejected, or a bug: raise it
    except InvalidToken as exc:
        raise TokenRejected from exc
    finally:
        log.info("stopping")
        if poller is not None:
            poller.stop()
        if poll_task is not None:
            # A long poll in flight is abandoned: what it would bring is not confirmed to
            # Telegram, so it comes again at the next start (and is stored once).
            poll_task.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await poll_task
        if after_start is not None:
            after_start.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await after_start
        await stop_background(application)
        if web_runner is not None:
            await web_runner.cleanup()
        await worker.stop()
        if application.running:
            await application.stop()
        with contextlib.suppress(TelegramError):
            await application.shutdown()
        services.engine.dispose()


async def _after_start(
    application: Any, started: asyncio.Event | None, stop: asyncio.Event
) -> None:
    """What start-up does not wait for, begun once updates flow (the first getUpdates answered,
    or the webhook set): the deadline re-sync, and the menus and descriptions (one request per
    scope and language, and per body with linked chats). Both are idempotent, so a restart in
    the middle loses nothing: what was not yet done is done at the next start."""
    loop = asyncio.get_running_loop()
    if started is not None:
        await started.wait()
    start_resync(application)

    async def publish() -> None:
        from handlers.menus import publish_all

        began = loop.time()
        try:
            await _retry("publishing the menus", lambda: publish_all(application), stop=stop)
            log.info("menus and descriptions published in %.1f s", loop.time() - began)
        except Stopped:
            pass
        except Exception:
            log.exception("publishing the menus failed")

    application.bot_data[PUBLISH_TASK] = asyncio.create_task(publish(), name=PUBLISH_TASK)
