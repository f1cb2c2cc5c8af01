"""PostgreSQL stopped and started under load (issue 15 item 6, PRODUCT §11): the bot keeps
running, says one line when the outage starts and one when it ends, loses no update and no
reminder, answers each update once, and resumes by itself.

The test runs its own PostgreSQL server (the machine's `initdb` and `pg_ctl`, as the `postgres`
user when run as root, since initdb refuses root) so it can stop it; it is skipped, with the
reason, where there are no PostgreSQL server binaries."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.app import make_services
from delivery import outbox
from storage.db import transaction
from tests.conftest import TOKEN, make_settings
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parent.parent
USERS = [FakeUser(6300 + n, f"V{n}") for n in range(12)]
GROUPS = [FakeChat(-8300 - n, "group", f"Grupp {n}") for n in range(6)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnPostgres:
    """A throw-away PostgreSQL cluster on a free port, stoppable at will."""

    def __init__(self, bindir: Path, folder: Path, user: str | None) -> None:
        self.bindir = bindir
        self.data = folder / "data"
        self.socket_dir = folder / "sock"
        self.logfile = folder / "postgres.log"
        self.user = user
        self.port = free_port()

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        for folder in (self.data, self.socket_dir):
            folder.mkdir(parents=True)
        if self.user is not None:
            record = pwd.getpwnam(self.user)
            for path in (self.data.parent, self.data, self.socket_dir):  # initdb refuses root
                os.chown(path, record.pw_uid, record.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.logfile), "-w", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/iop"


def _server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    bindir = _server_binaries()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    user: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user for initdb")
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is missing")
        user = "postgres"
    # Not under pytest's own temporary folder: the postgres user must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="iop-pg-"))
    os.chmod(folder, 0o755)
    server = OwnPostgres(bindir, folder, user)
    try:
        server.init()
        server.start()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL server: {exc.stderr.decode()[-300:]}")
    engine = create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with engine.connect() as conn:
        conn.execute(text("CREATE DATABASE iop"))
    engine.dispose()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def queue_reminders(database_url: str, due_at: datetime) -> None:
    services = make_services(make_settings(database_url))
    try:
        with transaction(services.session_factory) as session:
            for n, chat in enumerate(GROUPS):
                outbox.send(
                    session,
                    key=f"outage-reminder:{n}",
                    chat_id=chat.id,
                    parts=[f"Påminnelse nummer {n}"],
                    now=datetime.now(UTC),
                    due_at=due_at,
                    priority=0,
                )
    finally:
        services.engine.dispose()


async def wait_until(predicate: object, what: str, limit: float = 90.0) -> None:
    for _ in range(int(limit / 0.1)):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
async def test_the_bot_rides_out_a_database_outage(
    fake_telegram: FakeTelegram, own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    fake = fake_telegram
    for chat in GROUPS:
        fake.add_chat(chat)
    log = tmp_path / "bot.log"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "DATABASE_URL": own_postgres.url,
        "DISPATCHER_INTERVAL_SECONDS": "1",
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=log.open("wb"),
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await wait_until(
            lambda: any(m == "getUpdates" for m, _ in fake.requests), "the bot to poll"
        )
        for user in USERS[:4]:
            fake.send_text(user, FakeChat.private(user), "/hjalp")
        await wait_until(lambda: all(fake.messages_in(u.id) for u in USERS[:4]), "4 answers")
        # Reminders fall due while the database is down.
        await asyncio.to_thread(
            queue_reminders, own_postgres.url, datetime.now(UTC) + timedelta(seconds=3)
        )

        await asyncio.to_thread(own_postgres.stop)
        for user in USERS[4:10]:  # under load: updates keep coming during the outage
            fake.send_text(user, FakeChat.private(user), "/hjalp")
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)
        during = [u for u in USERS[4:10] if fake.messages_in(u.id)]
        assert process.returncode is None, log.read_text()
        await asyncio.to_thread(own_postgres.start)

        for user in USERS[10:]:
            fake.send_text(user, FakeChat.private(user), "/hjalp")
        await wait_until(lambda: all(fake.messages_in(u.id) for u in USERS), "every answer")
        await wait_until(lambda: all(fake.messages_in(c.id) for c in GROUPS), "every reminder")
        await asyncio.sleep(2)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 30)
        if process.returncode is None:
            process.kill()
    output = log.read_text(errors="replace")
    assert process.returncode == 0, output
    assert during == [], "nothing can be answered while the database is down"
    answers = {u.first_name: [m.plain for m in fake.messages_in(u.id)] for u in USERS}
    assert all(len(texts) == 1 for texts in answers.values()), answers
    assert all("/hjalp" in texts[0] for texts in answers.values()), answers
    assert not any("Något gick fel" in t for texts in answers.values() for t in texts)
    reminders = {c.title: [m.plain for m in fake.messages_in(c.id)] for c in GROUPS}
    assert reminders == {c.title: [f"Påminnelse nummer {n}"] for n, c in enumerate(GROUPS)}
    down = [line for line in output.splitlines() if "database unreachable" in line]
    back = [line for line in output.splitlines() if "database reachable again" in line]
    assert len(down) == 1 and len(back) == 1, output
    assert "Traceback" not in output, output
    assert TOKEN not in output
