"""`python -m bot demo`: the bot against a local fake Telegram, driven from the terminal.

No token, no network: a fake Bot API server (the one the tests use, `fakeapi`) listens on
127.0.0.1, the bot long-polls it exactly as it would poll Telegram, and a SQLite database lives in
a temporary folder. The SOF 2025/144 example is imported, both bodies' chats are linked and a few
members confirmed, through the bot itself. Then you speak as a member:

    anna@styrgrupp: /kallelse tisdag 13     anna writes in the styrgrupp's chat
    bertil@privat: /start                    bertil writes to the bot in private
    press 2                                  the last speaker presses button 2
    press 2 as karin                         karin presses it
    files                                    what the bot sent as files (PDF, DOCX, ICS)
    clock +3d                                three days pass (reminders fall due)
    help, quit
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from fakeapi import FakeChat, FakeTelegram, FakeUser, SentMessage

DEMO_TOKEN = "123456:DEMO-token-not-a-real-one-0000"
DIARIENUMMER = "SOF 2025/144"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sof-2025-144.toml"


@dataclass(frozen=True)
class Member:
    handle: str
    user: FakeUser
    party: str  # as a member writes it after /jag
    bodies: tuple[str, ...]
    role: str


PEOPLE = (
    Member(
        "karin",
        FakeUser(5001, "Karin", "karin_sof"),
        "stockholms-stad",
        ("styrgrupp", "samverkansgrupp"),
        "central handläggare, the partnership's administrator and the groups' Telegram admin",
    ),
    Member("anna", FakeUser(5002, "Anna", "anna_conv"), "Convictus", ("styrgrupp",), "chair"),
    Member("bertil", FakeUser(5003, "Bertil", "bertil_fa"), "Frälsningsarmén", ("styrgrupp",), ""),
    Member(
        "cecilia",
        FakeUser(5004, "Cecilia", "cecilia_ssm"),
        "Stadsmission",
        ("samverkansgrupp", "styrgrupp"),
        "chair of the samverkansgrupp",
    ),
    Member("david", FakeUser(5005, "David", "david_ng"), "Ny Gemenskap", ("samverkansgrupp",), ""),
)
CHATS = {
    "styrgrupp": FakeChat(-7001, "group", "Styrgrupp SOF 2025/144"),
    "samverkansgrupp": FakeChat(-7002, "group", "Samverkansgrupp SOF 2025/144"),
}
PRIVATE_NAMES = ("privat", "private", "bot")

HELP = """\
  NAME@CHAT: TEXT      speak as NAME in CHAT (styrgrupp, samverkansgrupp or privat),
                       e.g. anna@styrgrupp: /kallelse tisdag 13
  press N [as NAME]    press button N of what the bot showed last (as the last speaker)
  files                list the files the bot sent (saved so you can open them)
  clock [+3d|+2h|+30m] show the time, or move it forward so reminders fall due
  who                  the people and chats of the demo
  help                 this text
  quit                 stop (the folder with the database and files is kept)"""


class DemoClock:
    """The bot's clock: the real time plus however far `clock +…` moved it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.offset = timedelta() if start is None else start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Button:
    chat: FakeChat
    message_id: int
    text: str
    data: str | None
    url: str | None


@dataclass
class Transcript:
    """What has been shown already, so each step prints only what is new."""

    sent: int = 0
    edits: dict[tuple[int, int], int] = field(default_factory=dict)
    answers: int = 0
    violations: int = 0
    buttons: list[Button] = field(default_factory=list)


class Demo:
    def __init__(self, out: TextIO, folder: Path, start: datetime | None = None) -> None:
        self.out = out
        self.folder = folder
        self.files_dir = folder / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.clock = DemoClock(start)
        self.fake = FakeTelegram()
        self.fake.clock = lambda: self.clock().timestamp()
        self.members = {m.handle: m for m in PEOPLE}
        self.users: dict[str, FakeUser] = {m.handle: m.user for m in PEOPLE}
        self.shown = Transcript()
        self.saved: list[Path] = []
        self.last_speaker = "anna"
        self.application: Any = None
        self.services: Any = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    # -- starting -----------------------------------------------------------------------------

    async def start(self) -> None:
        from bot.app import make_services
        from bot.config import Settings
        from bot.runner import serve
        from services.partnerships import set_administrator
        from storage.db import transaction

        await self.fake.start()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=DEMO_TOKEN,
            telegram_api_base_url=self.fake.base_url,
            database_url=f"sqlite:///{self.folder / 'demo.sqlite3'}",
            dispatcher_interval_seconds=2,
            # The fake does not throttle; the bot's own limiter would make the set-up crawl.
            rate_limit_group_per_minute=100_000,
            log_level="WARNING",
        )
        services = await asyncio.to_thread(make_services, settings, clock=self.clock)
        self.services = services
        await asyncio.to_thread(self._import_example)
        with transaction(services.session_factory) as session:
            set_administrator(session, DIARIENUMMER, self.members["karin"].user.id, add=True)
        for chat in CHATS.values():
            self.fake.add_chat(chat)
            self.fake.set_member_status(chat, self.members["karin"].user, "administrator")

        def ready(application: Any) -> None:
            self.application = application

        self._task = asyncio.create_task(
            serve(settings, clock=self.clock, stop=self._stop, services=services, ready=ready)
        )
        for _ in range(600):
            if any(method == "getUpdates" for method, _ in self.fake.requests):
                break
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.05)
        await self._after_start()
        await self._set_up()

    async def _after_start(self) -> None:
        """Until the start-up's background work (re-sync, menus) is done: the set-up below reads
        the transcript as it goes, which stays simpler without it."""
        from bot.app import PUBLISH_TASK, RESYNC_TASK

        for _ in range(600):
            application = self.application
            tasks = [application.bot_data.get(n) for n in (RESYNC_TASK, PUBLISH_TASK)]
            if all(task is not None and task.done() for task in tasks):
                return
            if self._task is not None and self._task.done():
                self._task.result()
            await asyncio.sleep(0.05)

    def _import_example(self) -> None:
        from governance.partnership_file import load_partnership_file
        from services.partnerships import import_partnership
        from storage.db import transaction

        spec = load_partnership_file(EXAMPLE)
        with transaction(self.services.session_factory) as session:
            import_partnership(session, spec, now=self.clock())

    async def _set_up(self) -> None:
        """Link both chats, confirm the members, record the chairs: through the bot itself."""
        karin = self.members["karin"].user
        for name, chat in CHATS.items():
            await self.act(karin, chat, f"/koppla {DIARIENUMMER} {name}")
        for member in PEOPLE:
            await self.act(member.user, FakeChat.private(member.user), "/start")
            for body in member.bodies:
                chat = CHATS[body]
                since = len(self.fake.sent)
                await self.act(member.user, chat, f"/jag {member.party}")
                request = await self._request_since(chat.id, since)
                if request is not None and request.button_data():
                    await self.act_press(karin, chat, request.message_id, request.button_data()[0])
        await self.act(karin, CHATS["styrgrupp"], "/ordforande @anna_conv")
        await self.act(karin, CHATS["samverkansgrupp"], "/ordforande @cecilia_ssm")
        self._mark_all_shown()

    def _last_with_buttons(self, chat_id: int, since: int = 0) -> SentMessage | None:
        for message in reversed(self.fake.sent[since:]):
            if message.chat_id == chat_id and message.buttons():
                return message
        return None

    async def _request_since(self, chat_id: int, since: int) -> SentMessage | None:
        """The message with buttons the bot sent in the chat after the `since`-th, waiting a
        little for it: a reply may leave after the update is marked handled."""
        for _ in range(60):
            found = self._last_with_buttons(chat_id, since)
            if found is not None:
                return found
            await asyncio.sleep(0.05)
        return None

    def _mark_all_shown(self) -> None:
        self.shown.sent = len(self.fake.sent)
        self.shown.edits = {(m.chat_id, m.message_id): len(m.edits) for m in self.fake.sent}
        self.shown.answers = len(self.fake.callback_answers)
        self.shown.violations = len(self.fake.violations)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 30)
        await self.fake.stop()

    # -- acting -------------------------------------------------------------------------------

    async def act(self, user: FakeUser, chat: FakeChat, text: str) -> None:
        update = self.fake.send_text(user, chat, text)
        if update in [u for u, _ in self.fake.dropped_updates]:
            return
        await self.settle(update["update_id"])

    async def act_press(self, user: FakeUser, chat: FakeChat, message_id: int, data: str) -> None:
        update = self.fake.press(user, message_id, chat, data)
        await self.settle(update["update_id"])

    async def settle(self, update_id: int, limit: float = 60.0) -> None:
        """Until the bot has handled this update and sent what it sends for it."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if await asyncio.to_thread(self._handled, update_id):
                break
            await asyncio.sleep(0.05)
        with contextlib.suppress(AssertionError):
            await self.fake.wait_until_idle(timeout=30, quiet=0.2)

    def _handled(self, update_id: int) -> bool:
        """Handled, and what it queued to send now has left the outbox."""
        from delivery.outbox import NOW
        from storage import reminders
        from storage.db import transaction
        from storage.inbox import InboundUpdate

        with transaction(self.services.session_factory) as session:
            row = session.get(InboundUpdate, update_id)
            if row is None or row.handled_at is None:
                return False
            return not reminders.outstanding(session, now=self.clock(), min_priority=NOW)

    # -- the REPL -----------------------------------------------------------------------------

    def intro(self) -> None:
        self.say(f"IOP-boten demo: {DIARIENUMMER}, Stöd till EU-medborgare i utsatthet")
        self.say("The bot runs against a fake Telegram on this machine; nothing leaves it.")
        self.say("Chats (linked to the partnership): styrgrupp, samverkansgrupp; and privat.")
        self.say("People:")
        for m in PEOPLE:
            role = f", {m.role}" if m.role else ""
            party = "Stockholms stad" if m.party == "stockholms-stad" else m.party
            self.say(f"  {m.handle:<8} {party} in {' and '.join(m.bodies)}{role}")
        self.say(f"Files the bot sends are saved in {self.files_dir}")
        self.say("Type `help` for the commands. Try:  anna@styrgrupp: /kallelse tisdag 13")

    async def handle(self, line: str) -> bool:
        """One line of input; False to stop."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word = line.split()[0].lower()
        if word in ("quit", "exit", "q"):
            return False
        if word == "help":
            self.say(HELP)
            return True
        if word == "who":
            self.intro()
            return True
        if word == "files":
            self.list_files()
            return True
        if word == "clock":
            await self.move_clock(line[len("clock") :].strip())
            return True
        if word == "press":
            await self.press(line)
            return True
        match = re.match(r"^([\w.-]+)@([\w-]+)\s*:\s*(.+)$", line, re.S)
        if match is None:
            self.say("  ? not understood; write e.g.  anna@styrgrupp: /hjalp   (or `help`)")
            return True
        name, where, text = match.group(1).lower(), match.group(2).lower(), match.group(3)
        user = self._user(name)
        chat = self._chat(where, user)
        if chat is None:
            self.say(f"  ? no chat {where!r}: styrgrupp, samverkansgrupp or privat")
            return True
        self.last_speaker = name
        update = self.fake.send_text(user, chat, text)
        if any(u is update for u, _ in self.fake.dropped_updates):
            self.say(
                "  (the bot does not see plain messages in groups: Telegram's privacy mode "
                "shows it commands and replies to it only)"
            )
            return True
        await self.settle(update["update_id"])
        self.show_new()
        return True

    def _user(self, name: str) -> FakeUser:
        if name not in self.users:
            user_id = 5100 + len(self.users)
            self.users[name] = FakeUser(user_id, name.capitalize(), f"{name}_demo")
            self.say(f"  (new person: {name}, not a member of any body yet)")
        return self.users[name]

    def _chat(self, where: str, user: FakeUser) -> FakeChat | None:
        if where in PRIVATE_NAMES:
            return FakeChat.private(user)
        for name, chat in CHATS.items():
            if name.startswith(where):
                return chat
        return None

    async def press(self, line: str) -> None:
        match = re.match(r"^press\s+(\d+)(?:\s+as\s+([\w.-]+))?\s*$", line, re.I)
        if match is None:
            self.say("  ? write  press N  or  press N as NAME")
            return
        number = int(match.group(1))
        if not 1 <= number <= len(self.shown.buttons):
            self.say(f"  ? no button {number} is shown (there are {len(self.shown.buttons)})")
            return
        name = (match.group(2) or self.last_speaker).lower()
        user = self._user(name)
        self.last_speaker = name
        button = self.shown.buttons[number - 1]
        if button.url is not None:
            payload = re.match(r"^https://t\.me/\w+\?start=([\w-]+)$", button.url)
            if payload is None:
                self.say(f"  (a link: {button.url})")
                return
            self.say(
                f"  ({name} follows the link into the private chat: /start {payload.group(1)})"
            )
            update = self.fake.send_text(user, FakeChat.private(user), f"/start {payload.group(1)}")
        else:
            assert button.data is not None
            try:
                update = self.fake.press(user, button.message_id, button.chat, button.data)
            except AssertionError:
                self.say("  ? that button is gone (the message changed)")
                return
        await self.settle(update["update_id"])
        self.show_new()

    async def move_clock(self, arg: str) -> None:
        zone = self.services.settings.zone
        if arg:
            match = re.match(r"^\+(\d+)\s*([wdhm])$", arg)
            if match is None:
                self.say("  ? write e.g.  clock +3d   (w, d, h or m)")
                return
            amount, unit = int(match.group(1)), match.group(2)
            step = {
                "w": timedelta(weeks=amount),
                "d": timedelta(days=amount),
                "h": timedelta(hours=amount),
                "m": timedelta(minutes=amount),
            }[unit]
            target = self.clock() + step
            # Stop at each reminder on the way, so it goes out at its time (not "late").
            while True:
                due = await asyncio.to_thread(self._next_due, target)
                if due is None:
                    break
                if due > self.clock():
                    self.clock.offset += due - self.clock()
                local = self.clock().astimezone(zone)
                self.say(f"  … {local:%a %Y-%m-%d %H:%M}")
                before = len(self.fake.sent)
                await self._run_reminders()
                self.show_new()
                if len(self.fake.sent) == before and due <= self.clock():
                    break  # nothing went out (waiting on a retry): move on
            self.clock.offset += max(target - self.clock(), timedelta())
            await self._run_reminders()
        local = self.clock().astimezone(zone)
        self.say(f"  it is now {local:%A %Y-%m-%d %H:%M} (Stockholm)")
        self.show_new()

    def _next_due(self, until: datetime) -> datetime | None:
        from sqlalchemy import func, select

        from storage.db import transaction
        from storage.reminders import Reminder, ReminderState

        with transaction(self.services.session_factory) as session:
            due = session.execute(
                select(func.min(Reminder.due_at)).where(
                    Reminder.state == ReminderState.PENDING,  # type: ignore[arg-type]
                    Reminder.due_at <= until,  # type: ignore[arg-type]
                )
            ).scalar_one_or_none()
        if due is None:
            return None
        due = due if due.tzinfo else due.replace(tzinfo=UTC)
        return max(due, self.clock())

    async def _run_reminders(self) -> None:
        from delivery.dispatcher import get_dispatcher
        from services.deadlines import sync_all
        from storage.db import transaction

        def resync() -> None:
            with transaction(self.services.session_factory) as session:
                sync_all(session, now=self.clock())

        await asyncio.to_thread(resync)
        dispatcher = get_dispatcher(self.application.bot_data) if self.application else None
        if dispatcher is not None:
            await dispatcher.run_once()
        with contextlib.suppress(AssertionError):
            await self.fake.wait_until_idle(timeout=30, quiet=0.3)

    # -- showing ------------------------------------------------------------------------------

    def show_new(self) -> None:
        shown = self.shown
        fresh_buttons: list[Button] = []
        for message in self.fake.sent[shown.sent :]:
            self._show(message, fresh_buttons, edited=False)
        for message in self.fake.sent[: shown.sent]:
            key = (message.chat_id, message.message_id)
            if len(message.edits) > shown.edits.get(key, 0):
                self._show(message, fresh_buttons, edited=True)
        for answer in self.fake.callback_answers[shown.answers :]:
            if answer.get("text"):
                how = "a pop-up" if answer.get("show_alert") else "a note"
                self.say(f"  ({how} for {self.last_speaker}: {answer['text']})")
        for violation in self.fake.violations[shown.violations :]:
            self.say(f"  (Telegram would refuse {violation.method}: {violation.description})")
        if fresh_buttons:
            shown.buttons = fresh_buttons
        self._mark_all_shown()

    def _show(self, message: SentMessage, buttons: list[Button], *, edited: bool) -> None:
        chat = self._chat_name(message.chat_id)
        what = "edited its message" if edited else "says"
        if message.deleted:
            self.say(f"[{chat}] the bot deleted a message")
            return
        self.say(f"[{chat}] the bot {what}:")
        text = message.plain if message.text else ""
        for line in text.splitlines() or ([""] if not message.document_name else []):
            self.say(f"  {line}" if line else "")
        if message.document_name and message.document_bytes is not None:
            path = self._save(message)
            self.say(f"  📎 {message.document_name} → {path}")
        row: list[str] = []
        chat_obj = self._chat_of(message.chat_id)
        for button in message.buttons():
            buttons.append(
                Button(
                    chat_obj,
                    message.message_id,
                    str(button["text"]),
                    button.get("callback_data"),
                    button.get("url"),
                )
            )
            row.append(f"[{len(buttons)}] {button['text']}")
        if row:
            self.say("  " + "   ".join(row))

    def _save(self, message: SentMessage) -> Path:
        name = re.sub(r"[^\w.-]+", "_", message.document_name or "file")
        path = self.files_dir / f"{message.message_id:03d}-{abs(message.chat_id)}-{name}"
        if not path.exists():
            path.write_bytes(message.document_bytes or b"")
            self.saved.append(path)
        return path

    def list_files(self) -> None:
        for message in self.fake.sent:
            if message.document_name and message.document_bytes is not None:
                self._save(message)
        if not self.saved:
            self.say("  (the bot has sent no files yet)")
        for path in self.saved:
            self.say(f"  {path}  ({path.stat().st_size} bytes)")

    def _chat_name(self, chat_id: int) -> str:
        for name, chat in CHATS.items():
            if chat.id == chat_id:
                return name
        for handle, user in self.users.items():
            if user.id == chat_id:
                return f"privat with {handle}"
        return str(chat_id)

    def _chat_of(self, chat_id: int) -> FakeChat:
        for chat in CHATS.values():
            if chat.id == chat_id:
                return chat
        for user in self.users.values():
            if user.id == chat_id:
                return FakeChat.private(user)
        return FakeChat(chat_id)


async def run_demo(
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    folder: Path | None = None,
    start: datetime | None = None,
) -> int:
    from bot.logging_setup import configure_logging

    configure_logging("WARNING", DEMO_TOKEN)
    folder = folder or Path(tempfile.mkdtemp(prefix="iop-demo-"))
    demo = Demo(out, folder, start)
    demo.say("Starting the demo (a fake Telegram, a fresh database, the example partnership)…")
    try:
        await demo.start()
        demo.intro()
        interactive = stdin.isatty()
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("> ", end="", file=out, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            if not interactive and line.strip():
                demo.say(f"> {line.rstrip()}")
            if not await demo.handle(line):
                break
    finally:
        await demo.stop()
    demo.say(f"Stopped. The database and the files are in {folder}")
    return 0


def main(start: datetime | None = None) -> int:
    return asyncio.run(run_demo(start=start))
