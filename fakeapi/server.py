"""A strict fake Telegram Bot API server on 127.0.0.1: the tests' and the demo's Telegram."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from fakeapi.html import plain_text
from fakeapi.limits import check_limits
from fakeapi.methods import BotApi, StoredFile, UploadedFile
from fakeapi.models import BOT_ID, Delay, FakeChat, FakeUser, Fault, SentMessage, Violation
from fakeapi.schema import ApiError, Validator, decode_form_value
from fakeapi.world import World

DEFAULT_TOKEN = "123456:TEST-token"
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
# Updates Telegram sends only when asked for by name in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SEND_METHODS_EXTRA = frozenset({"copyMessage", "forwardMessage"})
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: injected failure",
    404: "Not Found",
    409: "Conflict: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class _Poller:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    conflict: bool = False


class _AllowViolations:
    """Called: allows violations for the whole test. As a context manager: inside the block."""

    def __init__(self, fake: FakeTelegram) -> None:
        self._fake = fake
        self._before = fake._allow_all
        fake._allow_all = True

    def __enter__(self) -> FakeTelegram:
        self._fake._allow_all = self._before
        self._fake._allowing += 1
        return self._fake

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._fake._allowing -= 1


class FakeTelegram(World):
    """The Bot API over real HTTP, validating every request against the schema and limits.

    Runs in the test's event loop: ``await fake.start()``, point PTB at ``base_url`` and
    ``base_file_url``, inject updates with ``send_text``/``press``/..., read ``sent`` back.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__()
        self.host = host
        self.port = port
        self.api = BotApi(self)
        self.validator = Validator(self.schema)
        self.violations: list[Violation] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[dict[str, Any]] = []
        self.allowed_updates: list[str] | None = None
        self.dropped_updates: list[tuple[dict[str, Any], str]] = []
        self.rate_limit_per_chat_per_minute: int | None = None
        self.throttled: list[tuple[str, int]] = []
        self._updates: list[dict[str, Any]] = []
        self._delivered: set[int] = set()
        self._faults: list[Fault] = []
        self._delays: list[Delay] = []
        self._pollers: list[_Poller] = []
        self._send_times: dict[int, deque[float]] = {}
        self._inflight = 0
        self._last_request = time.monotonic()
        self._allow_all = False
        self._allowing = 0
        self._closing = False
        self._runner: web.AppRunner | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing = True
        for poller in self._pollers:
            poller.event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # -- violations ----------------------------------------------------------------------------

    def allow_violations(self) -> _AllowViolations:
        """Lets this test make invalid requests: call it, or use it in ``with``."""
        return _AllowViolations(self)

    @property
    def unexpected_violations(self) -> list[Violation]:
        if self._allow_all:
            return []
        return [v for v in self.violations if not v.expected]

    # -- updates users cause -------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queues an update for getUpdates, unless Telegram would not send it to this bot."""
        reason = self._drop_reason(update)
        if reason:
            self.dropped_updates.append((update, reason))
        else:
            self._updates.append(update)
            for poller in self._pollers:
                poller.event.set()
        return update

    def _drop_reason(self, update: dict[str, Any]) -> str | None:
        if not self.bot_sees(update):
            return "privacy mode: the bot does not see plain group messages"
        member = update.get("chat_member")
        if member and self.bot_status(member["chat"]["id"]) not in ("administrator", "creator"):
            return "chat_member updates need the bot to be an administrator"
        return None

    def send_text(
        self,
        user: FakeUser,
        chat: FakeChat,
        text: str,
        *,
        thread_id: int | None = None,
        sender_chat: FakeChat | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        return self.push(
            self.make_text(
                user,
                chat,
                text,
                thread_id=thread_id,
                sender_chat=sender_chat,
                reply_to_message_id=reply_to_message_id,
            )
        )

    def send_document(
        self,
        user: FakeUser,
        chat: FakeChat,
        file_name: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        size: int | None = None,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a file (its bytes downloadable by the bot with getFile); `size` makes
        Telegram claim another size (a 30 MB file without 30 MB of test data)."""
        stored = StoredFile(f"UDOC{len(self.api.files) + 1:04d}", file_name, mime_type, data, size)
        self.api.files[stored.file_id] = stored
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": f"U{stored.file_id}",
            "file_name": file_name,
            "file_size": stored.file_size,
        }
        if mime_type:
            document["mime_type"] = mime_type
        return self.push(
            self.make_document(
                user,
                chat,
                document,
                caption=caption,
                thread_id=thread_id,
                reply_to_message_id=reply_to_message_id,
            )
        )

    def anonymous_admin_text(
        self, chat: FakeChat, text: str, *, thread_id: int | None = None
    ) -> dict[str, Any]:
        return self.push(self.make_anonymous_admin_text(chat, text, thread_id=thread_id))

    def press(
        self,
        user: FakeUser,
        message: SentMessage | int,
        chat: FakeChat,
        data: str,
        *,
        check_button: bool = True,
    ) -> dict[str, Any]:
        return self.push(self.make_press(user, message, chat, data, check_button=check_button))

    def bot_added(
        self, chat: FakeChat, by_user: FakeUser, status: str = "member"
    ) -> dict[str, Any]:
        return self.push(self.make_bot_added(chat, by_user, status))

    def bot_removed(self, chat: FakeChat, by_user: FakeUser) -> dict[str, Any]:
        return self.push(self.make_bot_removed(chat, by_user))

    def user_joined(
        self, chat: FakeChat, user: FakeUser, by_user: FakeUser | None = None
    ) -> dict[str, Any]:
        return self.push(self.make_user_joined(chat, user, by_user))

    def user_left(
        self, chat: FakeChat, user: FakeUser, by_user: FakeUser | None = None
    ) -> dict[str, Any]:
        return self.push(self.make_user_left(chat, user, by_user))

    def migrate(
        self, old_chat_id: int, new_chat_id: int, by_user: FakeUser | None = None
    ) -> list[dict[str, Any]]:
        """Upgrades a group to a supergroup and queues both service messages."""
        return [self.push(u) for u in self.make_migration(old_chat_id, new_chat_id, by_user)]

    # -- faults --------------------------------------------------------------------------------

    def _method(self, name: str) -> str:
        method = self.schema.method_name(name)
        if method is None:
            raise ValueError(f"no Bot API method {name!r}")
        return method

    def fail_next(
        self,
        method: str,
        *,
        error_code: int | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` (to ``chat_id``) fail; 429 with retry_after."""
        code = error_code or (429 if retry_after is not None else 400)
        if description is None:
            if code == 429:
                description = f"Too Many Requests: retry after {retry_after or 1}"
            elif migrate_to_chat_id is not None:
                description = "Bad Request: group chat was upgraded to a supergroup chat"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(code, f"Error {code}")
        parameters: dict[str, Any] = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        fault = Fault(self._method(method), code, description, parameters or None, chat_id, times)
        self._faults.append(fault)

    def delay_next(
        self, method: str, seconds: float, chat_id: int | str | None = None, *, deliver: bool = True
    ) -> None:
        """Holds the next answer to ``method`` for ``seconds`` (to make PTB time out).

        ``deliver=True``: the request takes effect at once and only the answer is late (a sent
        message that PTB reports as TimedOut). ``deliver=False``: nothing happens when the
        client gave up before the delay ended.
        """
        self._delays.append(Delay(self._method(method), seconds, chat_id, deliver))

    def kick(self, chat_id: int) -> None:
        """Every later request to ``chat_id`` answers 403 (the bot was removed)."""
        if chat_id not in self.chats:
            raise ValueError(f"unknown chat {chat_id}")
        self.statuses[(chat_id, BOT_ID)] = "kicked"

    def unkick(self, chat_id: int) -> None:
        self.statuses[(chat_id, BOT_ID)] = "member"

    @staticmethod
    def _matches(wanted: int | str | None, params: dict[str, Any]) -> bool:
        return wanted is None or str(params.get("chat_id")) == str(wanted)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.method == method and self._matches(fault.chat_id, params):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _take_delay(self, method: str, params: dict[str, Any]) -> Delay | None:
        for delay in self._delays:
            if delay.method == method and self._matches(delay.chat_id, params):
                self._delays.remove(delay)
                return delay
        return None

    def _is_send(self, method: str) -> bool:
        if method in _SEND_METHODS_EXTRA:
            return True
        return method.startswith("send") and method != "sendChatAction"

    def _check_rate(self, method: str, params: dict[str, Any]) -> None:
        limit = self.rate_limit_per_chat_per_minute
        chat_id = params.get("chat_id")
        if limit is None or not self._is_send(method) or not isinstance(chat_id, int):
            return
        window = self._send_times.setdefault(chat_id, deque())
        now = time.monotonic()
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= limit:
            retry_after = max(1, math.ceil(60 - (now - window[0])))
            self.throttled.append((method, chat_id))
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                parameters={"retry_after": retry_after},
            )

    def _count_send(self, method: str, params: dict[str, Any]) -> None:
        chat_id = params.get("chat_id")
        if self.rate_limit_per_chat_per_minute is not None and self._is_send(method):
            if isinstance(chat_id, int):
                self._send_times.setdefault(chat_id, deque()).append(time.monotonic())

    # -- HTTP ----------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if not _TOKEN.fullmatch(request.match_info["token"]):
            return _answer(ApiError(401, "Unauthorized").payload(), 401)
        method = self.schema.method_name(request.match_info["method"])
        if method is None:
            return _answer(ApiError(404, "Not Found").payload(), 404)
        polling = method == "getUpdates"
        if not polling:
            self._inflight += 1
        params: dict[str, Any] = {}
        try:
            params, files = await self._read(request, method)
            self.requests.append((method, params))
            result = await self._process(method, params, files, request)
        except ApiError as err:
            self._record_error(method, params, err)
            return _answer(err.payload(), err.error_code)
        finally:
            if not polling:
                self._inflight -= 1
                self._last_request = time.monotonic()
        return _answer({"ok": True, "result": result}, 200)

    async def _read(
        self, request: web.Request, method: str
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        """Parameters as PTB sends them: form or multipart (values JSON-encoded), or JSON."""
        fields = self.schema.method_fields(method)
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body", violation=True) from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object", violation=True)
            raw.update(body)
        elif request.can_read_body:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    upload = UploadedFile(
                        name, value.filename, value.content_type, value.file.read()
                    )
                    files[name] = upload
                    if name in fields:
                        raw[name] = upload
                else:
                    raw[name] = value
        params: dict[str, Any] = {}
        for name, value in raw.items():
            types = fields[name].types if name in fields else ("String",)
            params[name] = decode_form_value(value, types) if isinstance(value, str) else value
        return params, files

    async def _process(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        request: web.Request,
    ) -> Any:
        self.validator.check_method(method, params, set(files))
        check_limits(method, params)
        fault = self._take_fault(method, params)
        if fault is not None:
            raise ApiError(fault.error_code, fault.description, parameters=fault.parameters)
        delay = self._take_delay(method, params)
        if delay is not None and not delay.deliver:
            await asyncio.sleep(delay.seconds)
            if _client_gone(request):
                raise ApiError(504, "Gateway Timeout: the client went away")
        if method == "getUpdates":
            return await self._get_updates(params, request)
        result = self._webhook_method(method, params)
        if result is None:
            self._check_rate(method, self._peek_chat(params))
            result = self.api.call(method, params, files)
            self._count_send(method, params)
        if delay is not None and delay.deliver:
            await asyncio.sleep(delay.seconds)
        return result

    def _peek_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        return {"chat_id": chat_id} if isinstance(chat_id, int) else {}

    def _record_error(self, method: str, params: dict[str, Any], err: ApiError) -> None:
        self.errors.append(
            {
                "method": method,
                "params": params,
                "error_code": err.error_code,
                "description": err.description,
                "violation": err.violation,
            }
        )
        if err.violation:
            self.violations.append(
                Violation(method, params, err.description, err.error_code, self._allowing > 0)
            )

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for stored in self.api.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data)
        return web.Response(status=404, text="Not Found")

    # -- webhook and getUpdates ----------------------------------------------------------------

    def _webhook_method(self, method: str, params: dict[str, Any]) -> Any:
        if method == "setWebhook":
            self.webhook_url = params["url"]
            if "allowed_updates" in params:
                self.allowed_updates = list(params["allowed_updates"])
            return True
        if method == "deleteWebhook":
            self.webhook_url = ""
            if params.get("drop_pending_updates"):
                self.dropped_updates.extend((u, "drop_pending_updates") for u in self._updates)
                self._updates.clear()
            return True
        if method == "getWebhookInfo":
            info: dict[str, Any] = {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self.allowed_updates:
                info["allowed_updates"] = self.allowed_updates
            return info
        return None

    async def _get_updates(self, params: dict[str, Any], request: web.Request) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            self.allowed_updates = list(params["allowed_updates"])
        self._confirm(params.get("offset"))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        deadline = time.monotonic() + max(0, int(params.get("timeout", 0)))
        for other in self._pollers:
            other.conflict = True
            other.event.set()
        poller = _Poller()
        self._pollers.append(poller)
        try:
            while True:
                poller.event.clear()
                if poller.conflict:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                batch = self._deliverable(limit)
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0 or self._closing or _client_gone(request):
                    if not _client_gone(request):
                        self._delivered.update(u["update_id"] for u in batch)
                    return batch
                try:
                    await asyncio.wait_for(poller.event.wait(), remaining)
                except TimeoutError:
                    pass
        finally:
            self._pollers.remove(poller)

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _allowed(self) -> set[str]:
        kinds = {f for f in self.schema.type_fields("Update") if f != "update_id"}
        if self.allowed_updates:
            return set(self.allowed_updates)
        return kinds - _OPT_IN_UPDATES

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        allowed = self._allowed()
        kept: list[dict[str, Any]] = []
        for update in self._updates:
            kind = next(k for k in update if k != "update_id")
            if kind in allowed:
                kept.append(update)
            else:
                self.dropped_updates.append((update, f"{kind} not in allowed_updates"))
        self._updates = kept
        return kept[:limit]

    # -- reading back --------------------------------------------------------------------------

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        return self.api.callback_answers

    def messages_in(
        self, chat_id: int, thread_id: int | None = None, *, include_deleted: bool = False
    ) -> list[SentMessage]:
        """What the bot sent to a chat (one topic when ``thread_id`` is given), oldest first."""
        return [
            m
            for m in self.sent
            if m.chat_id == chat_id
            and (thread_id is None or m.thread_id == thread_id)
            and (include_deleted or not m.deleted)
        ]

    def last(self, chat_id: int) -> SentMessage:
        """The latest message the bot sent to ``chat_id`` that is not deleted."""
        messages = self.messages_in(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}\n{self.dump()}")
        return messages[-1]

    @staticmethod
    def plain_text(message: SentMessage | str, parse_mode: str | None = "HTML") -> str:
        """The visible text of a sent message (or of HTML text): no tags, entities unescaped."""
        if isinstance(message, SentMessage):
            return message.plain
        return plain_text(message, parse_mode)

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented API of the fake
    ) -> SentMessage:
        """The first sent message matching ``predicate``, waiting for it up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            for message in list(self.sent):
                try:
                    if predicate(message):
                        return message
                except (TypeError, AttributeError, KeyError, IndexError):
                    continue  # e.g. a text predicate meeting a document
            if time.monotonic() >= deadline:
                raise AssertionError(f"no sent message matched within {timeout}s\n{self.dump()}")
            await asyncio.sleep(0.01)

    async def wait_until_idle(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented API of the fake
        quiet: float = 0.05,
    ) -> None:
        """Until the bot fetched every queued update and made no request for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            undelivered = [u for u in self._updates if u["update_id"] not in self._delivered]
            silent = time.monotonic() - self._last_request >= quiet
            if not undelivered and self._inflight == 0 and silent:
                return
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"not idle after {timeout}s: {len(undelivered)} updates not fetched, "
                    f"{self._inflight} requests in flight\n{self.dump()}"
                )
            await asyncio.sleep(0.01)

    def dump(self) -> str:
        """A readable account of what was sent and what went wrong, for assertion messages."""
        lines = ["sent:"] + ([f"  {m.summary()}" for m in self.sent] or ["  (nothing)"])
        if self.errors:
            lines.append("errors:")
            lines += [
                f"  {e['method']}: {e['error_code']} {e['description']}" for e in self.errors[-10:]
            ]
        if self.violations:
            lines.append("violations:")
            lines += [f"  {v.method}: {v.description}" for v in self.violations]
        if self.dropped_updates:
            lines.append("dropped updates:")
            lines += [f"  {u['update_id']}: {why}" for u, why in self.dropped_updates[-10:]]
        return "\n".join(lines)


def _answer(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
