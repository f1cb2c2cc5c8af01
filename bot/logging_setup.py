"""Logging that never shows the bot token or what people wrote.

Every line goes through one formatter that redacts the token from the whole formatted record,
traceback and stack included; uncaught exceptions (the main thread, other threads, asyncio's
loop) are routed into logging so they pass that formatter too instead of printing raw to stderr.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
import warnings
from types import TracebackType
from typing import Any

from bot.outage import OutageLogFilter

_TOKEN_IN_TEXT = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_active_token = ""

log = logging.getLogger("bot")


def redact(text: str, token: str = "") -> str:
    """The text with the token (and anything shaped like a bot token) replaced by <token>."""
    for secret in {token, _active_token}:
        if secret:
            text = text.replace(secret, "<token>")
            # The secret half alone (e.g. in a URL someone split) is just as secret.
            _, _, tail = secret.partition(":")
            if len(tail) >= 20:
                text = text.replace(tail, "<token>")
    return _TOKEN_IN_TEXT.sub("<token>", text)


class RedactTokenFilter(logging.Filter):
    """Redacts the configured token, and anything shaped like a bot token, from the message."""

    def __init__(self, token: str = "") -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self.token)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


class RateLimitFilter(logging.Filter):
    """PTB's AIORateLimiter logs each 429 it passes on (max_retries=0) as an ERROR with a full
    traceback, though the caller handles it (the dispatcher retries later, the error handler
    logs a line). One WARNING line without the traceback says all there is to say."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and str(record.msg).startswith(
            "Rate limit hit after maximum"
        ):
            seconds = ""
            if record.exc_info and record.exc_info[1] is not None:
                retry_after = getattr(record.exc_info[1], "_retry_after", None)
                if retry_after is not None and hasattr(retry_after, "total_seconds"):
                    seconds = f"; retry after {retry_after.total_seconds():.0f} s"
            record.msg = f"Telegram asked to slow down (429){seconds}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = "WARNING"
        return True


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts the whole text: message, traceback and stack."""

    def __init__(self, fmt: str, token: str = "") -> None:
        super().__init__(fmt)
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.token)


def configure_logging(level: str = "INFO", token: str = "") -> None:
    global _active_token
    if token:
        _active_token = token
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", token)
    )
    handler.addFilter(RateLimitFilter())
    handler.addFilter(OutageLogFilter())
    handler.addFilter(RedactTokenFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO, and the token is part of that URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Warnings printed by libraries go through the same formatter. PTB warns at every 429
    # that `retry_after` will become a timedelta; the bot reads it either way.
    warnings.filterwarnings("ignore", message=r".*`retry_after`.*", category=DeprecationWarning)
    logging.captureWarnings(True)
    install_exception_hooks()


def _log_uncaught(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.critical("uncaught %s", exc_type.__name__, exc_info=(exc_type, exc, tb))


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    log.critical(
        "uncaught %s in thread %s",
        args.exc_type.__name__,
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def asyncio_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's unhandled errors (a task nobody awaited, a failed callback), redacted."""
    exc = context.get("exception")
    message = str(context.get("message") or "unhandled error in the event loop")
    if isinstance(exc, BaseException):
        log.error("%s: %s", message, type(exc).__name__, exc_info=exc)
    else:
        log.error("%s", message)


def install_exception_hooks() -> None:
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread_exception
    try:
        asyncio.get_running_loop().set_exception_handler(asyncio_exception_handler)
    except RuntimeError:
        pass  # no loop yet: the runner sets it on the loop it starts
