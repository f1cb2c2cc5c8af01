"""The fake Bot API server, driven by the real PTB Bot and Application."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import warnings
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    ChatFullInfo,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakebot import (
    ANONYMOUS_ADMIN_ID,
    BOT_ID,
    DEFAULT_TOKEN,
    FakeChat,
    FakeTelegram,
    FakeUser,
    scope_key,
)
from tests.fakebot.html import HtmlError, parse_html

ANNA = FakeUser(1001, "Anna", "anna_s")
BO = FakeUser(1002, "Bo")
GROUP = FakeChat(-100, "group", "Styrgruppen")
FORUM = FakeChat(-1001234, "supergroup", "Partnerskapet", is_forum=True)


def _bot(fake: FakeTelegram, **request_kwargs: Any) -> Bot:
    return Bot(
        DEFAULT_TOKEN,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(**request_kwargs) if request_kwargs else None,
    )


@pytest_asyncio.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    fake_telegram.add_chat(GROUP)
    fake_telegram.add_user(ANNA)
    async with _bot(fake_telegram) as bot:
        yield bot


def _seconds(value: int | dtm.timedelta) -> int:
    return int(value.total_seconds()) if isinstance(value, dtm.timedelta) else value


async def _raw_post(fake: FakeTelegram, method: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{fake.base_url}{DEFAULT_TOKEN}/{method}", **kwargs)


# -- the end-to-end path ----------------------------------------------------------------------


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_user is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="rsvp:yes")]])
    await update.effective_message.reply_text(
        f"Hej <b>{update.effective_user.first_name}</b> &amp; välkommen!",
        reply_markup=keyboard,
        parse_mode="HTML",
    )


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Tack!")
    await query.edit_message_text(f"Svar: {query.data}")


@pytest_asyncio.fixture
async def polling_app(fake_telegram: FakeTelegram) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(fake_telegram.base_url)
        .base_file_url(fake_telegram.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_command_reaches_handler_and_reply_is_read_back(
    fake_telegram: FakeTelegram,
    polling_app: Application,  # type: ignore[type-arg]
) -> None:
    fake_telegram.send_text(ANNA, GROUP, "/start@iop_test_bot")

    reply = await fake_telegram.wait_for(lambda m: m.chat_id == GROUP.id)

    assert fake_telegram.plain_text(reply) == "Hej Anna & välkommen!"
    assert reply.button_data() == ["rsvp:yes"]
    assert reply.message["entities"] == [{"type": "bold", "offset": 4, "length": 4}]
    assert reply.message["reply_to_message"]["from"]["id"] == ANNA.id
    methods = [method for method, _ in fake_telegram.requests]
    assert methods[:2] == ["getMe", "deleteWebhook"] and "getUpdates" in methods
    assert set(fake_telegram.allowed_updates or []) == set(Update.ALL_TYPES)


async def test_button_press_answer_and_edit(
    fake_telegram: FakeTelegram,
    polling_app: Application,  # type: ignore[type-arg]
) -> None:
    fake_telegram.send_text(ANNA, GROUP, "/start")
    reply = await fake_telegram.wait_for(lambda m: m.chat_id == GROUP.id)

    fake_telegram.press(BO, reply, GROUP, "rsvp:yes")
    await fake_telegram.wait_for(lambda m: m.text == "Svar: rsvp:yes")
    await fake_telegram.wait_until_idle()

    assert [a["text"] for a in fake_telegram.callback_answers] == ["Tack!"]
    assert len(fake_telegram.sent) == 1, "the edit changes the same message"
    assert reply.edits[0]["text"] == "Svar: rsvp:yes"
    assert reply.reply_markup is None, "an edit without reply_markup removes the keyboard"
    with pytest.raises(AssertionError, match=r"(?i)no button"):
        fake_telegram.press(BO, reply, GROUP, "rsvp:yes")


async def test_process_update_tier_without_polling(fake_telegram: FakeTelegram) -> None:
    app = ApplicationBuilder().token(DEFAULT_TOKEN).base_url(fake_telegram.base_url).build()
    app.add_handler(CommandHandler("start", _start))
    async with app:
        update = fake_telegram.make_text(ANNA, FakeChat.private(ANNA), "/start")
        await app.process_update(Update.de_json(update, app.bot))

    assert fake_telegram.last(ANNA.id).plain.startswith("Hej Anna")
    assert fake_telegram.requests[-1][0] == "sendMessage"


async def test_get_updates_long_poll_offset_and_limit(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await asyncio.sleep(0.05)
    first = fake_telegram.send_text(ANNA, GROUP, "/a")
    # Returns on the update's arrival, long before the 30 s poll timeout.
    got = await asyncio.wait_for(waiting, 10)
    assert [u.update_id for u in got] == [first["update_id"]]

    second = fake_telegram.send_text(ANNA, GROUP, "/b")
    third = fake_telegram.send_text(ANNA, GROUP, "/c")
    again = await bot.get_updates(limit=2)
    assert [u.update_id for u in again] == [first["update_id"], second["update_id"]]
    confirmed = await bot.get_updates(offset=second["update_id"] + 1)
    assert [u.update_id for u in confirmed] == [third["update_id"]]
    assert confirmed[0].message is not None and confirmed[0].message.text == "/c"


async def test_raw_multipart_with_json_encoded_fields(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(GROUP)
    markup = {"inline_keyboard": [[{"text": "Öppna", "callback_data": "open"}]]}
    response = await _raw_post(
        fake_telegram,
        "sendDocument",
        data={"chat_id": str(GROUP.id), "reply_markup": json.dumps(markup), "caption": "123"},
        files={"document": ("lista.csv", b"a;b\n1;2\n", "text/csv")},
    )

    assert response.status_code == 200, response.text
    sent = fake_telegram.last(GROUP.id)
    assert (sent.document_name, sent.document_bytes) == ("lista.csv", b"a;b\n1;2\n")
    assert sent.text == "123", "a String field stays a string even when it looks like JSON"
    assert sent.button_data() == ["open"]
    assert response.json()["result"]["document"]["mime_type"] == "text/csv"


async def test_anonymous_admin_and_forum_topic_round_trip(
    fake_telegram: FakeTelegram,
    polling_app: Application,  # type: ignore[type-arg]
) -> None:
    update = fake_telegram.anonymous_admin_text(FORUM, "/start", thread_id=42)
    assert update["message"]["from"]["id"] == ANONYMOUS_ADMIN_ID
    assert update["message"]["sender_chat"]["id"] == FORUM.id
    assert update["message"]["is_topic_message"] is True

    reply = await fake_telegram.wait_for(lambda m: m.chat_id == FORUM.id)

    assert reply.thread_id == 42
    assert reply.message["is_topic_message"] is True
    assert fake_telegram.messages_in(FORUM.id, thread_id=42) == [reply]
    assert fake_telegram.messages_in(FORUM.id, thread_id=7) == []


# -- validation -------------------------------------------------------------------------------


async def test_text_length_counts_utf16_after_entity_parsing(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    await bot.send_message(GROUP.id, "😀" * 2048)  # 4096 UTF-16 code units
    await bot.send_message(GROUP.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")

    with fake_telegram.allow_violations():
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(GROUP.id, "x" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(GROUP.id, "😀" * 2048 + "x")
        with pytest.raises(BadRequest, match=r"(?i)text is empty"):
            await bot.send_message(GROUP.id, "<b> </b>", parse_mode="HTML")

    assert len(fake_telegram.violations) == 3
    assert all(v.expected for v in fake_telegram.violations)
    assert fake_telegram.unexpected_violations == []
    assert len(fake_telegram.sent) == 2


async def test_callback_data_is_limited_to_64_bytes(fake_telegram: FakeTelegram, bot: Bot) -> None:
    ok = "åäö" * 10 + "x" * 4  # 64 bytes
    await bot.send_message(
        GROUP.id,
        "Rösta",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data=ok)]]),
    )
    too_long = "å" * 32 + "x"  # 33 characters, 65 bytes
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data=too_long)]])

    with (
        fake_telegram.allow_violations(),
        pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"),
    ):
        await bot.send_message(GROUP.id, "Rösta", reply_markup=markup)

    assert [v.description for v in fake_telegram.violations] == [
        "Bad Request: BUTTON_DATA_INVALID: callback_data must be 1-64 bytes"
    ]


@pytest.mark.parametrize(
    "markup",
    [
        [[{"text": "no action"}]],
        [[{"text": "", "callback_data": "x"}]],
        [[{"text": "two", "callback_data": "x", "url": "https://example.org"}]],
        [[{"text": str(i), "callback_data": str(i)} for i in range(101)]],
    ],
)
async def test_inline_keyboard_rules(
    fake_telegram: FakeTelegram, bot: Bot, markup: list[list[dict[str, str]]]
) -> None:
    fake_telegram.allow_violations()
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP.id, "x", reply_markup={"inline_keyboard": markup})  # type: ignore[arg-type]
    assert len(fake_telegram.violations) == 1


@pytest.mark.parametrize(
    "text",
    [
        "<b>bold",
        "a < b",
        "AT&T",
        "<br>",
        "<b><i>x</b></i>",
        "</b>",
        "&nbsp;",
        '<span class="x">s</span>',
    ],
)
async def test_malformed_html_is_refused(fake_telegram: FakeTelegram, bot: Bot, text: str) -> None:
    fake_telegram.allow_violations()
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(GROUP.id, text, parse_mode="HTML")
    assert len(fake_telegram.violations) == 1 and fake_telegram.sent == []


def test_html_parser_visible_text_and_entities() -> None:
    text, entities = parse_html(
        '<b>Möte</b> &lt;3 &amp; <a href="https://x.se/?a=1&amp;b=2">länk</a> &#128512;'
        '<pre><code class="language-python">x</code></pre> > ok'
    )
    assert text == "Möte <3 & länk 😀x > ok"
    assert {"type": "bold", "offset": 0, "length": 4} in entities
    assert {
        "type": "text_link",
        "url": "https://x.se/?a=1&b=2",
        "offset": 10,
        "length": 4,
    } in entities
    assert {"type": "pre", "language": "python", "offset": 17, "length": 1} in entities
    with pytest.raises(HtmlError):
        parse_html("<tg-spoiler>x")


async def test_unknown_and_missing_fields_posted_raw(fake_telegram: FakeTelegram) -> None:
    fake_telegram.add_chat(GROUP)
    fake_telegram.allow_violations()

    unknown = await _raw_post(
        fake_telegram, "sendMessage", data={"chat_id": str(GROUP.id), "text": "x", "colour": "red"}
    )
    missing = await _raw_post(fake_telegram, "sendMessage", data={"chat_id": str(GROUP.id)})
    wrong_type = await _raw_post(
        fake_telegram, "sendMessage", json={"chat_id": GROUP.id, "text": "x", "protect_content": 3}
    )
    as_json = await _raw_post(
        fake_telegram, "sendmessage", json={"chat_id": GROUP.id, "text": "ok"}
    )

    assert unknown.status_code == 400
    assert unknown.json()["description"] == (
        "Bad Request: unknown field 'colour' for method sendMessage"
    )
    assert missing.status_code == 400 and "'text'" in missing.json()["description"]
    assert wrong_type.status_code == 400 and "Boolean" in wrong_type.json()["description"]
    assert as_json.json()["result"]["text"] == "ok"
    assert len(fake_telegram.violations) == 3


async def test_nested_objects_are_checked_against_the_schema(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    fake_telegram.allow_violations()
    with pytest.raises(BadRequest, match=r"(?i)unknown field 'collour' in InlineKeyboardButton"):
        await bot.send_message(
            GROUP.id,
            "x",
            reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "b", "collour": 1}]]},  # type: ignore[arg-type]
        )
    with pytest.raises(BadRequest, match=r"(?i)unknown kind of BotCommandScope"):
        await bot.set_my_commands([("start", "Starta")], scope={"type": "everyone"})  # type: ignore[arg-type]


async def test_unknown_chat_and_thread_in_non_forum(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.allow_violations()
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-999, "x")
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(GROUP.id, "x", message_thread_id=5)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(ANNA.id, "x")  # a user the bot saw but who never wrote to it
    assert [v.description for v in fake_telegram.violations] == [
        "Bad Request: chat not found",
        "Bad Request: message thread not found",
    ]


async def test_commands_per_scope_and_language(fake_telegram: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Starta")])
    await bot.set_my_commands(
        [BotCommand("mote", "Nytt möte")], scope=BotCommandScopeAllGroupChats(), language_code="sv"
    )
    await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(GROUP.id))

    assert fake_telegram.commands[(scope_key(None), "")] == [
        {"command": "start", "description": "Starta"}
    ]
    assert ('{"type":"all_group_chats"}', "sv") in fake_telegram.commands
    got = await bot.get_my_commands(scope=BotCommandScopeAllGroupChats(), language_code="sv")
    assert [c.command for c in got] == ["mote"]
    assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats()) == ()
    await bot.delete_my_commands()
    assert (scope_key(None), "") not in fake_telegram.commands

    fake_telegram.allow_violations()
    for bad in [BotCommand("Start", "x"), BotCommand("hej-då", "x"), BotCommand("a" * 33, "x")]:
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([bad])
    with pytest.raises(BadRequest, match=r"(?i)DESCRIPTION_INVALID"):
        await bot.set_my_commands([BotCommand("ok", "d" * 257)])
    with pytest.raises(BadRequest, match=r"(?i)TOO_MUCH"):
        await bot.set_my_commands([BotCommand(f"c{i}", "d") for i in range(101)])
    with pytest.raises(BadRequest, match=r"(?i)language code"):
        await bot.set_my_commands([BotCommand("ok", "d")], language_code="swe")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.set_my_commands([BotCommand("ok", "d")], scope=BotCommandScopeChat(-5))
    assert len(fake_telegram.violations) == 7


async def test_answer_callback_query_limits(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(
        GROUP.id,
        "x",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="d")]]),
    )
    update = fake_telegram.make_press(ANNA, sent.message_id, GROUP, "d")
    query_id = update["callback_query"]["id"]
    fake_telegram.allow_violations()
    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, "x" * 201)
    assert await bot.answer_callback_query(query_id, "x" * 200)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("never-issued")
    assert [v.method for v in fake_telegram.violations] == ["answerCallbackQuery"] * 2


def test_allow_violations_called_or_as_context_manager() -> None:
    fake = FakeTelegram()
    with fake.allow_violations():
        pass
    assert fake._allow_all is False, "the with-block alone does not allow the whole test"
    fake.allow_violations()
    assert fake._allow_all is True


# -- faults -----------------------------------------------------------------------------------


async def test_fail_next_with_retry_after(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.fail_next("sendMessage", retry_after=35, chat_id=GROUP.id)

    with pytest.raises(RetryAfter) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        await bot.send_message(GROUP.id, "x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _seconds(caught.value.retry_after) == 35
    await bot.send_message(GROUP.id, "x")  # only once
    assert fake_telegram.violations == [] and len(fake_telegram.sent) == 1


async def test_fail_next_times_and_codes(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.fail_next("sendMessage", error_code=502, times=2)
    for _ in range(2):
        with pytest.raises(Exception, match=r"(?i)Bad Gateway"):
            await bot.send_message(GROUP.id, "x")
    fake_telegram.fail_next("sendMessage", error_code=403, description="Forbidden: nope")
    with pytest.raises(Forbidden, match=r"(?i)nope"):
        await bot.send_message(GROUP.id, "x")
    await bot.send_message(GROUP.id, "x")
    assert len(fake_telegram.sent) == 1 and fake_telegram.violations == []


async def test_migrate(fake_telegram: FakeTelegram) -> None:
    seen: list[tuple[int | None, int | None]] = []

    async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        seen.append(
            (
                update.effective_message.migrate_to_chat_id,
                update.effective_message.migrate_from_chat_id,
            )
        )

    app = ApplicationBuilder().token(DEFAULT_TOKEN).base_url(fake_telegram.base_url).build()
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    fake_telegram.add_chat(GROUP)
    updates = fake_telegram.migrate(GROUP.id, -1009999, by_user=ANNA)
    assert len(updates) == 2
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await fake_telegram.wait_until_idle()
        with pytest.raises(ChatMigrated) as caught:
            await app.bot.send_message(GROUP.id, "x")
        await app.bot.send_message(-1009999, "hello supergroup")
        await app.updater.stop()
        await app.stop()

    assert caught.value.new_chat_id == -1009999
    assert seen == [(-1009999, None), (None, GROUP.id)]
    assert fake_telegram.violations == []


async def test_kick_and_bot_removed(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.kick(GROUP.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
        await bot.send_message(GROUP.id, "x")
    fake_telegram.unkick(GROUP.id)
    await bot.send_message(GROUP.id, "x")

    private = FakeChat.private(ANNA)
    fake_telegram.send_text(ANNA, private, "/start")
    update = fake_telegram.bot_removed(private, ANNA)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(ANNA.id, "x")
    assert fake_telegram.violations == []


async def test_delay_next_makes_ptb_time_out_but_message_is_delivered(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.add_chat(GROUP)
    fake_telegram.delay_next("sendMessage", 0.5)
    async with _bot(fake_telegram, read_timeout=0.1) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(GROUP.id, "maybe")
    assert [m.text for m in fake_telegram.sent] == ["maybe"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB logs the int retry_after
async def test_rate_limit_per_chat(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.rate_limit_per_chat_per_minute = 2
    await bot.send_message(GROUP.id, "1")
    await bot.send_message(GROUP.id, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(GROUP.id, "3")
    assert fake_telegram.throttled == [("sendMessage", GROUP.id)]


async def test_second_poller_conflicts(fake_telegram: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=2, read_timeout=5))
    await asyncio.sleep(0.1)
    async with _bot(fake_telegram) as other_instance:
        assert await other_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await first


# -- behaviour --------------------------------------------------------------------------------


async def test_bad_token_and_unknown_method(fake_telegram: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        bad = await client.post(f"{fake_telegram.base_url}not-a-token/getMe")
        unknown = await client.post(f"{fake_telegram.base_url}{DEFAULT_TOKEN}/sendTelepathy")
    assert bad.status_code == 401 and bad.json()["description"] == "Unauthorized"
    assert unknown.status_code == 404 and unknown.json()["description"] == "Not Found"
    with pytest.raises(InvalidToken):
        await Bot("nonsense", base_url=fake_telegram.base_url).get_me()


async def test_get_me_and_chat_objects_parse_in_ptb(fake_telegram: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.can_join_groups) == (BOT_ID, "iop_test_bot", True)
    assert me.can_read_all_group_messages is False and me.supports_inline_queries is False

    chat = await bot.get_chat(GROUP.id)
    assert isinstance(chat, ChatFullInfo) and chat.title == "Styrgruppen"

    for status in ("creator", "administrator", "member", "restricted", "left", "kicked"):
        fake_telegram.set_member_status(GROUP, ANNA, status)
        member = await bot.get_chat_member(GROUP.id, ANNA.id)
        assert member.status == status and member.user.id == ANNA.id
    fake_telegram.set_member_status(GROUP, BO, "administrator")
    admins = await bot.get_chat_administrators(GROUP.id)
    assert [a.user.id for a in admins] == [BO.id]
    assert await bot.send_chat_action(GROUP.id, "typing")
    assert await bot.leave_chat(GROUP.id)
    with pytest.raises(Forbidden, match=r"(?i)not a member"):
        await bot.send_message(GROUP.id, "x")


async def test_send_document_multipart_and_download(fake_telegram: FakeTelegram, bot: Bot) -> None:
    data = "Protokoll för mötet\n".encode() * 100
    message = await bot.send_document(
        GROUP.id, data, filename="protokoll.txt", caption="<i>Protokoll</i> nr 1", parse_mode="HTML"
    )

    sent = fake_telegram.last(GROUP.id)
    assert (sent.method, sent.document_name, sent.document_bytes) == (
        "sendDocument",
        "protokoll.txt",
        data,
    )
    assert sent.plain == "Protokoll nr 1"
    assert message.document is not None and message.caption == "Protokoll nr 1"
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == data

    fake_telegram.allow_violations()
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(GROUP.id, b"x", filename="x.txt", caption="x" * 1025)


async def test_edits_deletes_and_reactions(fake_telegram: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="y")]])
    message = await bot.send_message(GROUP.id, "Fråga", reply_markup=keyboard)
    sent = fake_telegram.last(GROUP.id)

    await bot.edit_message_text(
        "Fråga (stängd)", GROUP.id, message.message_id, reply_markup=keyboard
    )
    await bot.edit_message_reply_markup(GROUP.id, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Fråga (stängd)", GROUP.id, message.message_id)
    await bot.set_message_reaction(GROUP.id, message.message_id, "👍")
    await bot.delete_message(GROUP.id, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(GROUP.id, message.message_id)

    assert [e["method"] for e in sent.edits] == ["editMessageText", "editMessageReplyMarkup"]
    assert sent.text == "Fråga (stängd)" and sent.reply_markup is None and sent.deleted
    assert fake_telegram.messages_in(GROUP.id) == []
    assert fake_telegram.violations == [], "state-dependent errors are not violations"

    user_message = fake_telegram.make_text(ANNA, GROUP, "hej")["message"]["message_id"]
    fake_telegram.allow_violations()
    with pytest.raises(BadRequest, match=r"(?i)can't be edited"):
        await bot.edit_message_text("x", GROUP.id, user_message)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", GROUP.id, 999)
    assert len(fake_telegram.violations) == 2


async def test_privacy_mode_and_chat_member_updates(
    fake_telegram: FakeTelegram,
    polling_app: Application,  # type: ignore[type-arg]
) -> None:
    joined: list[int] = []

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.chat_member is not None
        joined.append(update.chat_member.new_chat_member.user.id)

    polling_app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.CHAT_MEMBER))
    fake_telegram.send_text(ANNA, GROUP, "vanlig text")
    fake_telegram.user_joined(GROUP, BO)
    assert [why for _, why in fake_telegram.dropped_updates] == [
        "privacy mode: the bot does not see plain group messages",
        "chat_member updates need the bot to be an administrator",
    ]

    added = fake_telegram.bot_added(GROUP, ANNA, status="administrator")
    assert added["my_chat_member"]["new_chat_member"]["status"] == "administrator"
    fake_telegram.user_joined(GROUP, BO)
    await fake_telegram.wait_until_idle()
    assert joined == [BO.id]
