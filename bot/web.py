"""The bot's own web server: the webhook, `/healthz`, and the calendar feeds.

Plain HTTP on a local port (WEB_LISTEN:WEB_PORT) behind the operator's TLS proxy, which is
reached at PUBLIC_URL. aiohttp runs in the bot's own event loop, beside PTB (as PTB's custom
webhook examples do with other frameworks), so a request needs no thread hand-over.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.inbox import wall_clock
from bot.outage import is_database_outage, monitor
from storage import health, inbox
from storage.db import transaction
from storage.runtime import Runtime

log = logging.getLogger("bot.web")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small; a larger body is not an update.
MAX_BODY = 1024 * 1024

CalendarFeed = Callable[[str], Awaitable[bytes | None]]


@dataclass
class WebConfig:
    mode: str
    webhook_path: str
    secret: str


def make_web_app(
    config: WebConfig,
    services: Runtime,
    *,
    on_stored: Callable[[], None],
    calendar_feed: CalendarFeed | None = None,
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), config.secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            await asyncio.to_thread(_store, services, body)
        except Exception as exc:
            if is_database_outage(exc):
                monitor.failed(exc)
            else:
                log.exception("storing update %s failed", body["update_id"])
            # Not stored, so not acknowledged: Telegram delivers it again later.
            return web.Response(status=503, text="try again later")
        monitor.recovered()
        on_stored()
        return web.Response(status=200)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            report = await asyncio.to_thread(_health, services)
        except Exception as exc:
            if is_database_outage(exc):
                monitor.failed(exc)
            else:
                log.exception("health check failed")
            body = {"status": "unavailable", "database": "unreachable", "mode": config.mode}
            return _json(body, 503)
        report["mode"] = config.mode
        return _json(report, 200)

    async def calendar(request: web.Request) -> web.Response:
        if calendar_feed is None:
            return web.Response(status=404, text="not found")
        try:
            body = await calendar_feed(request.match_info["secret"])
        except Exception as exc:
            if is_database_outage(exc):
                monitor.failed(exc)
                return web.Response(status=503, text="try again later")
            log.exception("calendar feed failed")
            return web.Response(status=500, text="error")
        if body is None:
            return web.Response(status=404, text="not found")
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "private, max-age=300"},
        )

    if config.mode == "webhook":
        app.router.add_post("/" + config.webhook_path.strip("/"), webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/kalender/{secret}.ics", calendar)
    return app


def _store(services: Runtime, update: dict[str, Any]) -> None:
    with transaction(services.session_factory) as session:
        inbox.store(session, [update], wall_clock())


def _health(services: Runtime) -> dict[str, Any]:
    with transaction(services.session_factory) as session:
        health.ping(session)
        last = inbox.last_handled(session)
        return {
            "status": "ok",
            "database": "ok",
            "last_update": (
                None
                if last is None
                else {"update_id": last.update_id, "handled_at": last.handled_at.isoformat()}
            ),
            "inbox_pending": inbox.pending_count(session),
            "outbox_due": health.outbox_depth(session, services.now()),
        }


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


async def start_web(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def calendar_feeds(services: Runtime) -> CalendarFeed:
    """`/kalender/<secret>.ics`: the body's meetings as they are now, for a live secret."""
    from services import calendar_feed
    from views.calendar_feed import feed_ics

    def load(secret: str) -> bytes | None:
        with transaction(services.session_factory) as session:
            now = services.now()
            feed = calendar_feed.feed(session, secret, now)
            return None if feed is None else feed_ics(feed, stamp=now)

    async def serve(secret: str) -> bytes | None:
        return await asyncio.to_thread(load, secret)

    return serve
