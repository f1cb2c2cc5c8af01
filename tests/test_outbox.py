"""The durable outbox (delivery.outbox) through the real PTB Bot against the fake Bot API.

Rows are queued the way services queue them, inside a transaction; the dispatcher sends them.
Time is the injected clock: a test advances it past a retry's back-off and runs the dispatcher.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import Session, select

from bot.app import make_services
from delivery import hooks, outbox
from delivery import renderers as reminder_texts
from delivery.dispatcher import ReminderDispatcher
from delivery.parts import Button, Document, Edit, Text
from i18n import t
from storage import reminders as repo
from storage.db import transaction
from storage.reminders import Reminder, ReminderSpec
from storage.runtime import Runtime
from tests.conftest import FakeClock, make_settings
from tests.fakebot import FakeChat, FakeTelegram
from tests.test_dispatcher import make_app

GROUP = FakeChat(-100700, "supergroup", "Styrgruppen")
OTHER = FakeChat(-100701, "supergroup", "Samverkansgruppen")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40
DOCX = b"PK\x03\x04" + b"docx" * 500


@dataclass
class Env:
    fake: FakeTelegram
    services: Runtime
    dispatcher: ReminderDispatcher
    clock: FakeClock

    def queue(self, **kw: Any) -> str:
        with transaction(self.services.session_factory) as session:
            return outbox.send(session, now=self.clock(), **kw)

    def row(self, key: str) -> Reminder:
        with transaction(self.services.session_factory) as session:
            found = repo.get_by_key(session, key)
            assert found is not None, key
            return found

    def sent(self, chat: FakeChat = GROUP) -> list[Any]:
        return self.fake.messages_in(chat.id)

    def note(self) -> str:
        return t(self.services.settings.bot_language, reminder_texts.REPEAT_NOTE)

    async def run(self) -> None:
        await self.dispatcher.run_once()


async def _env(fake: FakeTelegram, url: str, clock: FakeClock, **kw: Any) -> AsyncIterator[Env]:
    settings = make_settings(url, fake.base_url)
    settings.rate_limit_overall_per_second = 500
    svc = make_services(settings, clock=clock)
    app = make_app(settings, fake)
    async with app:
        dispatcher = ReminderDispatcher(app.bot, svc, instance="outbox-test", **kw)
        yield Env(fake, svc, dispatcher, clock)
    svc.engine.dispose()


@pytest_asyncio.fixture
async def env(
    fake_telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> AsyncIterator[Env]:
    fake_telegram.add_chat(GROUP)
    fake_telegram.add_chat(OTHER)
    async for e in _env(fake_telegram, database_url, clock):
        yield e


@pytest_asyncio.fixture
async def sqlite_env(
    fake_telegram: FakeTelegram, sqlite_url: str, clock: FakeClock
) -> AsyncIterator[Env]:
    fake_telegram.add_chat(GROUP)
    fake_telegram.add_chat(OTHER)
    async for e in _env(fake_telegram, sqlite_url, clock):
        yield e


def protokoll_parts(long: bool = False) -> list[Any]:
    body = "\n".join(f"§ {n}. Beslut om <b>punkt {n}</b> &amp; uppföljning." for n in range(400))
    return [
        Text(body if long else "<b>Protokoll</b> SG 2026:3"),
        Document("protokoll.pdf", data=PDF),
        Document("protokoll.docx", data=DOCX),
        Text(
            "Justera eller begär ändring.",
            keyboard=[[Button("Justera", data="jt:1:a"), Button("Ändring", data="jt:1:c")]],
        ),
    ]


# -- order, files, buttons ---------------------------------------------------------------------


async def test_a_row_of_parts_arrives_in_order_with_files_and_buttons(env: Env) -> None:
    key = env.queue(key="protokoll:1:v1", chat_id=GROUP.id, parts=protokoll_parts(long=True))
    await env.run()
    sent = env.sent()
    texts = [m for m in sent if m.method == "sendMessage"]
    assert len(texts) >= 4  # the long text was split into several messages
    assert [m.method for m in sent[-3:]] == ["sendDocument", "sendDocument", "sendMessage"]
    assert [m.document_name for m in sent if m.document_name] == [
        "protokoll.pdf",
        "protokoll.docx",
    ]
    assert sent[-3].document_bytes == PDF and sent[-2].document_bytes == DOCX
    # Buttons only on the last message.
    assert [m.button_data() for m in sent] == [[]] * (len(sent) - 1) + [["jt:1:a", "jt:1:c"]]
    row = env.row(key)
    assert row.state == "sent"
    assert row.sent_message_ids == [m.message_id for m in sent]


async def test_queued_once_per_key(env: Env) -> None:
    env.queue(key="kallelse:7", chat_id=GROUP.id, parts=["Kallelse"])
    env.queue(key="kallelse:7", chat_id=GROUP.id, parts=["Kallelse igen"])
    await env.run()
    env.queue(key="kallelse:7", chat_id=GROUP.id, parts=["Kallelse en tredje gång"])
    await env.run()
    assert [m.plain for m in env.sent()] == ["Kallelse"]


async def test_a_rolled_back_transaction_queues_nothing(env: Env) -> None:
    with pytest.raises(RuntimeError), transaction(env.services.session_factory) as session:
        outbox.send(session, key="k", chat_id=GROUP.id, parts=["x"], now=env.clock())
        outbox.send(
            session,
            key="k2",
            chat_id=GROUP.id,
            parts=[Document("a.pdf", data=PDF)],
            now=env.clock(),
        )
        raise RuntimeError("the fact was not recorded")
    await env.run()
    assert env.sent() == []


def test_bad_parts_are_refused_when_queued(services: Runtime, clock: FakeClock) -> None:
    with transaction(services.session_factory) as session:
        with pytest.raises(ValueError, match="64 bytes"):
            outbox.send(
                session,
                key="a",
                chat_id=1,
                parts=[Text("x", keyboard=[[Button("å", data="å" * 33)]])],
                now=clock(),
            )
        with pytest.raises(ValueError, match="empty"):
            outbox.send(session, key="b", chat_id=1, parts=[""], now=clock())
        with pytest.raises(ValueError, match="buttons"):
            many = [[Button(str(n), data=str(n))] for n in range(101)]
            outbox.send(session, key="c", chat_id=1, parts=[Text("x", keyboard=many)], now=clock())
        assert repo.get_by_key(session, "a") is None


# -- Telegram's errors: 429, 5xx, timeouts -----------------------------------------------------


async def test_429_on_a_document_resumes_after_retry_after_without_repeating(env: Env) -> None:
    env.fake.fail_next("sendDocument", retry_after=7, chat_id=GROUP.id)
    key = env.queue(key="protokoll:1:v1", chat_id=GROUP.id, parts=protokoll_parts())
    await env.run()
    assert [m.method for m in env.sent()] == ["sendMessage"]  # the text went; the PDF waits
    row = env.row(key)
    assert (row.state, row.progress, row.last_error) == ("pending", 1, "retry_after")
    env.clock.advance(seconds=3)
    await env.run()
    assert len(env.sent()) == 1  # not before retry_after
    env.clock.advance(seconds=5)
    await env.run()
    sent = env.sent()
    assert [m.method for m in sent] == [
        "sendMessage",
        "sendDocument",
        "sendDocument",
        "sendMessage",
    ]
    assert sent[-1].button_data() == ["jt:1:a", "jt:1:c"]
    assert all(env.note() not in (m.text or "") for m in sent)  # a 429 is no possible repeat
    assert env.row(key).state == "sent"


async def test_5xx_on_a_document_retries_with_back_off(env: Env) -> None:
    env.fake.fail_next("sendDocument", error_code=502, chat_id=GROUP.id)
    key = env.queue(key="protokoll:1:v1", chat_id=GROUP.id, parts=protokoll_parts())
    await env.run()
    assert env.row(key).state == "pending"
    env.clock.advance(seconds=3)  # urgent rows back off from 2 s
    await env.run()
    sent = env.sent()
    assert [m.method for m in sent].count("sendDocument") == 2
    assert [m.document_name for m in sent if m.document_name] == [
        "protokoll.pdf",
        "protokoll.docx",
    ]
    assert env.row(key).state == "sent"


async def test_a_timed_out_fact_is_resent_marked_not_lost(env: Env) -> None:
    # Telegram never answers in time and did nothing: the resend is the only copy.
    env.fake.delay_next("sendDocument", 2.5, chat_id=GROUP.id, deliver=False)
    key = env.queue(key="protokoll:1:v1", chat_id=GROUP.id, parts=protokoll_parts())
    await env.run()
    assert env.row(key).possible_repeat is True
    env.clock.advance(seconds=3)
    await env.run()
    docs = [m for m in env.sent() if m.method == "sendDocument"]
    assert [m.document_name for m in docs] == ["protokoll.pdf", "protokoll.docx"]
    # The resent PDF says it may have been sent before; the DOCX after it is a fresh send.
    assert env.note() in env.fake.plain_text(docs[0].text or "")
    assert not docs[1].text
    assert env.row(key).state == "sent"


async def test_a_timed_out_send_that_was_delivered_repeats_marked(env: Env) -> None:
    env.fake.delay_next("sendMessage", 2.5, chat_id=GROUP.id, deliver=True)
    key = env.queue(key="kallelse:3", chat_id=GROUP.id, parts=["<b>Kallelse</b>"])
    await env.run()
    env.clock.advance(seconds=3)
    await env.run()
    assert [m.plain for m in env.sent()] == ["Kallelse", f"Kallelse\n\n{env.note()}"]
    assert env.row(key).state == "sent"


async def test_a_timed_out_reminder_stays_uncertain(env: Env) -> None:
    with transaction(env.services.session_factory) as session:
        repo.schedule(
            session,
            [
                ReminderSpec(
                    kind="text",
                    source="s",
                    dedupe_key="r1",
                    chat_id=GROUP.id,
                    due_at=env.clock(),
                    payload={"text": "påminnelse"},
                )
            ],
            now=env.clock(),
        )
    env.fake.delay_next("sendMessage", 2.5, chat_id=GROUP.id, deliver=True)
    await env.run()
    env.clock.advance(minutes=10)
    await env.run()
    assert env.row("r1").state == "uncertain"
    assert [m.plain for m in env.sent()] == ["påminnelse"]


async def test_failing_for_good_ends_as_failed(env: Env) -> None:
    env.fake.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    key = env.queue(key="k", chat_id=GROUP.id, parts=["x"])
    await env.run()
    row = env.row(key)
    assert (row.state, row.last_error) == ("failed", "bad_request:chat_not_found")


async def test_forbidden_pauses_and_migration_follows(env: Env) -> None:
    env.fake.kick(OTHER.id)
    paused = env.queue(key="p", chat_id=OTHER.id, parts=["till samverkansgruppen"])
    new_chat = FakeChat(-1009999, "supergroup", "Ny")
    env.fake.add_chat(new_chat)
    env.fake.fail_next("sendMessage", chat_id=GROUP.id, migrate_to_chat_id=new_chat.id)
    moved = env.queue(key="m", chat_id=GROUP.id, parts=["a", Document("x.pdf", data=PDF)])
    await env.run()
    assert env.row(paused).state == "paused"
    assert env.row(moved).state == "sent" and env.row(moved).chat_id == new_chat.id
    assert [m.method for m in env.sent(new_chat)] == ["sendMessage", "sendDocument"]


# -- crashes -----------------------------------------------------------------------------------


async def test_a_crash_mid_row_resumes_after_the_last_part_recorded(env: Env) -> None:
    key = env.queue(key="protokoll:1:v1", chat_id=GROUP.id, parts=protokoll_parts())
    # A process claimed the row, sent the text and the PDF (recorded), then died.
    with transaction(env.services.session_factory) as session:
        claimed = repo.claim_due(
            session, now=env.clock(), instance="dead", lease_seconds=60, limit=5
        )
        assert [c.dedupe_key for c in claimed] == [key]
        repo.record_progress(session, claimed[0].id or 0, now=env.clock(), message_ids=[11, 12])
    env.clock.advance(seconds=61)
    report = await env.dispatcher.run_once()
    assert report.repeats == 1
    sent = env.sent()
    # The DOCX (which the dead process may have sent) goes again, marked; then the buttons.
    assert [m.method for m in sent] == ["sendDocument", "sendMessage"]
    assert sent[0].document_name == "protokoll.docx"
    assert env.note() in env.fake.plain_text(sent[0].text or "")
    assert env.note() not in sent[1].plain
    assert env.row(key).sent_message_ids == [11, 12, sent[0].message_id, sent[1].message_id]


# -- edits -------------------------------------------------------------------------------------


async def test_edits_address_the_earlier_row_and_are_coalesced(env: Env) -> None:
    env.queue(
        key="kallelse:5",
        chat_id=GROUP.id,
        parts=["Dagordning", Text("Svar: 0", keyboard=[[Button("Kommer", data="rsvp:5:y")]])],
    )
    with transaction(env.services.session_factory) as session:
        for n in (1, 2, 3):
            outbox.edit(
                session,
                chat_id=GROUP.id,
                target="kallelse:5",
                part=1,
                html=f"Svar: {n}",
                keyboard=[[Button("Kommer", data="rsvp:5:y")]],
                now=env.clock(),
            )
    await env.run()
    agenda, panel = env.sent()
    assert agenda.plain == "Dagordning" and not agenda.edits
    assert panel.plain == "Svar: 3"
    assert len(panel.edits) == 1  # three edits queued, the newest one sent
    assert panel.button_data() == ["rsvp:5:y"]


async def test_an_edit_waits_for_its_message_and_not_modified_is_done(env: Env) -> None:
    env.fake.fail_next("sendMessage", error_code=500, chat_id=GROUP.id)
    env.queue(key="kallelse:6", chat_id=GROUP.id, parts=["Svar: 0"])
    with transaction(env.services.session_factory) as session:
        edit_key = outbox.edit(
            session, chat_id=GROUP.id, target="kallelse:6", html="Svar: 0", now=env.clock()
        )
    await env.run()
    assert env.row(edit_key).state == "pending"  # its message is not there yet
    env.clock.advance(seconds=10)
    await env.run()
    assert [m.plain for m in env.sent()] == ["Svar: 0"]
    assert env.row(edit_key).state == "sent"  # "message is not modified" counts as done


async def test_an_edit_of_a_message_that_never_came_is_skipped(env: Env) -> None:
    env.fake.fail_next(
        "sendMessage", error_code=400, description="Bad Request: bad", chat_id=GROUP.id
    )
    env.queue(key="kallelse:8", chat_id=GROUP.id, parts=["x"])
    with transaction(env.services.session_factory) as session:
        edit_key = outbox.edit(
            session, chat_id=GROUP.id, target="kallelse:8", html="y", now=env.clock()
        )
    await env.run()
    env.clock.advance(seconds=10)
    await env.run()
    assert (env.row(edit_key).state, env.row(edit_key).last_error) == ("skipped", "no_target")


# -- hooks, priority, waking, render at send time ------------------------------------------------


async def test_the_on_sent_hook_records_the_message_id(env: Env) -> None:
    seen: list[tuple[Any, ...]] = []

    def record(session: Session, sent: hooks.Sent) -> None:
        seen.append((sent.key, sent.data, sent.last_id_of(1), sent.ids_of(0)))
        session.add(
            Reminder(
                kind="text",
                source="hook",
                dedupe_key=f"hook-wrote:{sent.last_id_of(1)}",
                chat_id=sent.chat_id,
                due_at=env.clock() + timedelta(days=9),
                payload={},
                state="cancelled",
                created_at=env.clock(),
                updated_at=env.clock(),
            )
        )

    hooks.register("test.record", record)
    key = env.queue(
        key="kallelse:9",
        chat_id=GROUP.id,
        parts=["agenda", "panel", Document("m.ics", data=b"BEGIN:VCALENDAR")],
        on_sent="test.record",
        hook={"meeting_id": 9},
    )
    await env.run()
    agenda, panel, _ics = env.sent()
    assert seen == [(key, {"meeting_id": 9}, panel.message_id, (agenda.message_id,))]
    # Written in the outcome transaction.
    env.row(f"hook-wrote:{panel.message_id}")


async def test_a_failing_hook_does_not_undo_the_delivery(env: Env) -> None:
    def broken(session: Session, sent: hooks.Sent) -> None:
        raise RuntimeError("boom")

    hooks.register("test.broken", broken)
    key = env.queue(key="k", chat_id=GROUP.id, parts=["x"], on_sent="test.broken")
    await env.run()
    assert env.row(key).state == "sent"
    assert len(env.sent()) == 1


async def test_an_urgent_row_goes_before_a_reminder_burst_in_its_chat(sqlite_env: Env) -> None:
    env = sqlite_env
    with transaction(env.services.session_factory) as session:
        repo.schedule(
            session,
            [
                ReminderSpec(
                    kind="text",
                    source="burst",
                    dedupe_key=f"r{n}",
                    chat_id=GROUP.id,
                    due_at=env.clock(),
                    payload={"text": f"påminnelse {n}"},
                )
                for n in range(5)
            ],
            now=env.clock(),
        )
    env.clock.advance(seconds=1)
    env.queue(key="reply", chat_id=GROUP.id, parts=["Beslutet är registrerat"])
    await env.run()
    texts = [m.plain for m in env.sent()]
    assert texts == ["Beslutet är registrerat", *(f"påminnelse {n}" for n in range(5))]


async def test_a_commit_wakes_a_running_dispatcher_at_once(sqlite_env: Env) -> None:
    env = sqlite_env
    await env.run()  # the dispatcher knows its loop now
    env.queue(key="now", chat_id=GROUP.id, parts=["genast"])
    await env.fake.wait_for(lambda m: m.plain == "genast", timeout=5)
    # While a slow send holds a run, an urgent row is claimed without waiting for the run.
    env.fake.delay_next("sendMessage", 0.9, chat_id=OTHER.id, deliver=False)
    env.queue(key="slow", chat_id=OTHER.id, parts=["långsam"], priority=0)
    await asyncio.sleep(0.2)
    assert env.row("slow").state == "claimed"
    env.queue(key="urgent", chat_id=GROUP.id, parts=["brådskande"])
    await env.fake.wait_for(lambda m: m.plain == "brådskande", timeout=5)
    assert env.row("slow").state == "claimed"  # the run that holds it is still going
    await env.fake.wait_for(lambda m: m.plain == "långsam", timeout=5)


async def test_a_heavy_renderer_builds_files_at_send_time(env: Env) -> None:
    def render(payload: dict[str, Any], language: str, late: bool) -> list[Any]:
        return [
            Text(f"Utkast {payload['version']}"),
            Document(f"utkast-v{payload['version']}.pdf", data=PDF),
        ]

    reminder_texts.register("test.protokoll", render, heavy=True)
    with transaction(env.services.session_factory) as session:
        outbox.enqueue(
            session,
            key="draft:2",
            kind="test.protokoll",
            chat_id=GROUP.id,
            payload={"version": 2},
            now=env.clock(),
        )
    await env.run()
    text, pdf = env.sent()
    assert text.plain == "Utkast 2" and pdf.document_bytes == PDF


async def test_stored_files_are_the_bytes_sent(env: Env) -> None:
    with transaction(env.services.session_factory) as session:
        file_id = outbox.store_file(session, "final.pdf", PDF, now=env.clock())
        outbox.send(
            session,
            key="final:1",
            chat_id=GROUP.id,
            parts=[Document("final.pdf", file_id=file_id, caption="Justerat protokoll")],
            now=env.clock(),
        )
    await env.run()
    (sent,) = env.sent()
    with transaction(env.services.session_factory) as session:
        assert sent.document_bytes == outbox.file_data(session, file_id) == PDF
        delivery = outbox.delivery_of(session, "final:1")
        assert delivery is not None and delivery.message_ids == (sent.message_id,)


def test_edit_parts_must_name_one_message() -> None:
    with pytest.raises(ValueError):
        from delivery.parts import expand

        expand([Edit("x")])


async def test_edits_claimed_behind_a_busy_send_are_coalesced_in_memory(sqlite_env: Env) -> None:
    env = sqlite_env
    env.queue(key="panel", chat_id=GROUP.id, parts=["Svar: 0"])
    await env.run()
    # The chat is busy with a slow send; edits claimed meanwhile wait behind it.
    env.fake.delay_next("sendMessage", 0.6, chat_id=GROUP.id)
    env.queue(key="slow", chat_id=GROUP.id, parts=["långsam"])
    run = asyncio.create_task(env.run())
    await asyncio.sleep(0.2)
    for n in (1, 2):
        env.queue(key=f"e{n}", chat_id=GROUP.id, parts=["x"], priority=outbox.NOW)
        with transaction(env.services.session_factory) as session:
            outbox.edit(
                session, chat_id=GROUP.id, target="panel", html=f"Svar: {n}", now=env.clock()
            )
        await asyncio.sleep(0.05)  # each commit wakes the run, which claims the edit at once
    await run
    (panel,) = [m for m in env.sent() if m.plain.startswith("Svar")]
    assert panel.plain == "Svar: 2"
    assert len(panel.edits) == 1  # the first edit was superseded before it was sent
    with transaction(env.services.session_factory) as session:
        edits = session.exec(
            select(Reminder).where(Reminder.source == "outbox:edit:panel#-1").order_by(Reminder.id)
        ).all()
        # Both were claimed (the first while the chat was busy); the dispatcher dropped it.
        assert [(r.state, r.last_error) for r in edits] == [
            ("skipped", "superseded"),
            ("sent", None),
        ]


def test_recomputing_a_facts_reminders_never_cancels_its_messages(
    services: Runtime, clock: FakeClock
) -> None:
    with transaction(services.session_factory) as session:
        key = outbox.send(
            session, key="vote-message:1", chat_id=1, parts=["Omröstning"], now=clock()
        )
        # The vote's reminders are recomputed (none left): its message is not one of them.
        repo.replace_for_source(session, "vote:1", [], now=clock())
        repo.cancel_source(session, "vote:1", clock())
        row = repo.get_by_key(session, key)
        assert row is not None and row.state == "pending"


async def test_rows_claimed_again_while_they_wait_are_sent_once(sqlite_env: Env) -> None:
    env = sqlite_env
    await env.run()
    env.fake.delay_next("sendMessage", 0.6, chat_id=GROUP.id)
    with transaction(env.services.session_factory) as session:
        for n in range(3):
            outbox.send(session, key=f"q{n}", chat_id=GROUP.id, parts=[f"m{n}"], now=env.clock())
    await asyncio.sleep(0.2)  # woken by the commit: m0 is being sent, m1 and m2 wait behind it
    assert env.row("q1").state == "claimed"
    # Their lease runs out (a slow chat, a stalled loop): the next claim takes all three again.
    env.clock.advance(seconds=env.dispatcher.lease_seconds + 1)
    env.dispatcher.kick()
    for n in range(3):
        await env.fake.wait_for(lambda m, n=n: m.plain == f"m{n}", timeout=5)
    await env.fake.wait_until_idle()
    assert [m.plain for m in env.sent()] == ["m0", "m1", "m2"]
    await env.fake.wait_until_idle(quiet=0.3)
    assert [env.row(f"q{n}").state for n in range(3)] == ["sent"] * 3


async def test_a_stopped_applications_dispatcher_is_not_woken(sqlite_env: Env) -> None:
    env = sqlite_env
    # Its Application stopped (a restart in the same process): the JobQueue is not running.
    env.dispatcher.attach(SimpleNamespace(scheduler=SimpleNamespace(running=False)))
    env.queue(key="late", chat_id=GROUP.id, parts=["x"])
    await asyncio.sleep(0.3)
    assert env.sent() == [] and env.row("late").state == "pending"
