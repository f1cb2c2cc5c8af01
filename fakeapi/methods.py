"""The Bot API methods the fake implements, on top of the World state."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakeapi.limits import visible
from fakeapi.models import BOT_ID, BOT_USER, FakeChat, SentMessage
from fakeapi.schema import ApiError, bad_request
from fakeapi.world import StoredMessage, World

_CHAT_FIELDS = ("chat_id", "from_chat_id")
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile: bots download files of at most 20 MB
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.field!r}, {self.filename!r}, {len(self.data)} bytes)"


@dataclass
class StoredFile:
    file_id: str
    name: str | None
    mime_type: str | None
    data: bytes
    size: int | None = None  # what Telegram says the file weighs (a test's stand-in for bytes)

    @property
    def file_size(self) -> int:
        return self.size if self.size is not None else len(self.data)

    @property
    def file_path(self) -> str:
        return f"documents/{self.file_id}"


def scope_key(scope: dict[str, Any] | None) -> str:
    """The key of a command scope in ``commands``: compact JSON with sorted keys."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))


class BotApi:
    """Answers one method call with its result, or raises ApiError."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.files: dict[str, StoredFile] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.reactions: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self._handlers: dict[str, Callable[[dict[str, Any], dict[str, UploadedFile]], Any]] = {
            "getMe": self.get_me,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMessageReaction": self.set_message_reaction,
            "leaveChat": self.leave_chat,
            "getFile": self.get_file,
            "pinChatMessage": self.pin_chat_message,
            "unpinChatMessage": self.unpin_chat_message,
            "unpinAllChatMessages": self.unpin_all_chat_messages,
            "setMyDescription": self.set_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyDescription": self.get_my_description,
            "getMyShortDescription": self.get_my_short_description,
        }

    def call(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        for name in _CHAT_FIELDS:
            if name in params:
                params[name] = self.chat_id(params[name])
        if "message_thread_id" in params and "chat_id" in params:
            chat = self.world.chats[params["chat_id"]]
            if not chat.is_forum:
                raise bad_request("message thread not found")
        handler = self._handlers.get(method)
        if handler is not None:
            return handler(params, files)
        if method.startswith("send") and self.world.schema.method_returns(method) == ["Message"]:
            return self._send(method, params, files, content={})
        return True

    # -- chats ---------------------------------------------------------------------------------

    def resolve(self, value: int | str) -> int:
        """A chat id from an id or @username; 400 "chat not found" for chats the bot never saw."""
        if isinstance(value, str):
            if value.startswith("@"):
                for chat in self.world.chats.values():
                    if chat.username and f"@{chat.username}".lower() == value.lower():
                        return chat.id
                raise bad_request("chat not found")
            try:
                value = int(value)
            except ValueError:
                raise bad_request("chat not found") from None
        if value in self.world.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": self.world.migrated[value]},
            )
        if value not in self.world.chats:
            if value > 0 and value in self.world.users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        return value

    def chat_id(self, value: int | str) -> int:
        """Like resolve, and 403 where the bot was removed, blocked or left."""
        chat_id = self.resolve(value)
        chat = self.world.chats[chat_id]
        status = self.world.bot_status(chat_id)
        if status == "kicked":
            if chat.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat_id

    def get_me(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        me = BOT_USER.to_dict()
        for name in self.world.schema.getme_only_flags():
            me[name] = False
        me.update(can_join_groups=True, can_read_all_group_messages=not self.world.privacy_mode)
        return me

    def get_chat(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        chat = self.world.chats[params["chat_id"]]
        return self.world.schema.defaults(
            "ChatFullInfo", **chat.to_dict(), accent_color_id=0, max_reaction_count=11
        )

    def get_chat_member(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        if params["user_id"] not in self.world.users:
            raise bad_request("user not found", violation=False)
        return self.world.chat_member(params["chat_id"], params["user_id"])

    def get_chat_administrators(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> list[dict[str, Any]]:
        chat_id = params["chat_id"]
        return [
            self.world.chat_member(chat_id, user_id)
            for (member_chat, user_id), status in self.world.statuses.items()
            if member_chat == chat_id and status in ("administrator", "creator")
        ]

    def leave_chat(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self.world.statuses[(params["chat_id"], BOT_ID)] = "left"
        return True

    # -- sending -------------------------------------------------------------------------------

    def send_message(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        shown, entities = visible(params["text"], params.get("parse_mode"))
        content: dict[str, Any] = {"text": shown}
        if params.get("entities") or entities:
            content["entities"] = params.get("entities") or entities
        sent = self._send("sendMessage", params, files, content=content)
        return sent

    def send_document(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        document = params["document"]
        if isinstance(document, UploadedFile):
            stored = StoredFile(
                f"DOC{len(self.files) + 1:04d}",
                document.filename,
                document.content_type,
                document.data,
            )
            self.files[stored.file_id] = stored
        elif document in self.files:
            stored = self.files[document]
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        content: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": f"U{stored.file_id}",
                "file_size": len(stored.data),
                **({"file_name": stored.name} if stored.name else {}),
                **({"mime_type": stored.mime_type} if stored.mime_type else {}),
            }
        }
        return self._send("sendDocument", params, files, content=content, file=stored)

    def _send(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        *,
        content: dict[str, Any],
        file: StoredFile | None = None,
    ) -> dict[str, Any]:
        chat = self.world.chats[params["chat_id"]]
        thread_id = params.get("message_thread_id")
        message: dict[str, Any] = {}
        reply = params.get("reply_parameters")
        if reply is not None:
            replied = self._replied(chat, reply)
            if replied is not None:
                message["reply_to_message"] = copy.deepcopy(replied.message)
                if thread_id is None and replied.message.get("is_topic_message"):
                    thread_id = replied.message.get("message_thread_id")
        message.update(
            message_id=self.world.next_message_id(chat.id),
            date=self.world.now(),
            chat=chat.to_dict(),
            **{"from": BOT_USER.to_dict()},
        )
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        message.update(content)
        if isinstance(params.get("caption"), str):
            caption, entities = visible(params["caption"], params.get("parse_mode"))
            message["caption"] = caption
            if entities:
                message["caption_entities"] = entities
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        sent = SentMessage(
            chat_id=chat.id,
            message_id=message["message_id"],
            method=method,
            thread_id=thread_id,
            text=params.get("text", params.get("caption")),
            parse_mode=params.get("parse_mode"),
            reply_markup=markup if isinstance(markup, dict) else None,
            document_name=file.name if file else None,
            document_bytes=file.data if file else None,
            params=params,
            message=message,
        )
        self.world.sent.append(sent)
        self.world.store(message, sent=sent)
        return message

    def _replied(self, chat: FakeChat, reply: dict[str, Any]) -> StoredMessage | None:
        chat_id = self.resolve(reply["chat_id"]) if "chat_id" in reply else chat.id
        replied = self.world.find_message(chat_id, reply["message_id"])
        if replied is not None and not replied.deleted:
            return replied
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found", violation=replied is None)

    # -- editing -------------------------------------------------------------------------------

    def _editable(self, params: dict[str, Any], verb: str) -> StoredMessage:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID: the bot has no inline mode")
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request(f"message to {verb} not found: chat_id and message_id are required")
        stored = self.world.find_message(params["chat_id"], params["message_id"])
        if stored is None:
            raise bad_request(f"message to {verb} not found")
        if stored.deleted:
            raise bad_request(f"message to {verb} not found", violation=False)
        return stored

    def edit_message_text(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        stored = self._editable(params, "edit")
        if not stored.from_bot or stored.sent is None:
            raise bad_request("message can't be edited")
        if "text" not in stored.message:
            raise bad_request("there is no text in the message to edit")
        shown, entities = visible(params["text"], params.get("parse_mode"))
        entities = params.get("entities") or entities
        markup = params.get("reply_markup")
        message = stored.message
        if (
            shown == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad_request(_NOT_MODIFIED, violation=False)
        message["text"] = shown
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._set_markup(stored, markup)
        message["edit_date"] = self.world.now()
        stored.sent.edits.append(
            {
                "method": "editMessageText",
                "text": params["text"],
                "parse_mode": params.get("parse_mode"),
                "reply_markup": markup,
            }
        )
        stored.sent.text = params["text"]
        stored.sent.parse_mode = params.get("parse_mode")
        return message

    def edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        stored = self._editable(params, "edit")
        if not stored.from_bot or stored.sent is None:
            raise bad_request("message can't be edited")
        markup = params.get("reply_markup")
        if markup == stored.message.get("reply_markup"):
            raise bad_request(_NOT_MODIFIED, violation=False)
        self._set_markup(stored, markup)
        stored.message["edit_date"] = self.world.now()
        stored.sent.edits.append({"method": "editMessageReplyMarkup", "reply_markup": markup})
        return stored.message

    @staticmethod
    def _set_markup(stored: StoredMessage, markup: dict[str, Any] | None) -> None:
        # An edit without reply_markup removes the keyboard, as in Telegram.
        stored.message.pop("reply_markup", None)
        if markup:
            stored.message["reply_markup"] = markup
        if stored.sent is not None:
            stored.sent.reply_markup = markup

    def delete_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        stored = self._editable(params, "delete")
        chat = self.world.chats[params["chat_id"]]
        is_admin = self.world.bot_status(chat.id) in ("administrator", "creator")
        if not stored.from_bot and chat.type != "private" and not is_admin:
            raise bad_request("message can't be deleted", violation=False)
        stored.deleted = True
        if stored.sent is not None:
            stored.sent.deleted = True
        return True

    def set_message_reaction(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        stored = self._editable(params, "react to")
        key = (params["chat_id"], stored.message["message_id"])
        self.reactions[key] = list(params.get("reaction", []))
        return True

    # -- callbacks and commands ----------------------------------------------------------------

    def answer_callback_query(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        query_id = params["callback_query_id"]
        answered = self.world.callback_queries.get(query_id)
        if answered is None or answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid",
                violation=answered is None,
            )
        self.world.callback_queries[query_id] = True
        self.callback_answers.append(dict(params))
        return True

    def _command_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope")
        if scope and "chat_id" in scope:
            self.resolve(scope["chat_id"])
        if scope and "user_id" in scope and scope["user_id"] not in self.world.users:
            raise bad_request("user not found")
        return scope_key(scope), params.get("language_code", "")

    def set_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self.world.commands[self._command_key(params)] = list(params["commands"])
        return True

    def get_my_commands(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> list[dict[str, Any]]:
        return self.world.commands.get(self._command_key(params), [])

    def delete_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        self.world.commands.pop(self._command_key(params), None)
        return True

    def get_file(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big", violation=False)
        return {
            "file_id": stored.file_id,
            "file_unique_id": f"U{stored.file_id}",
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    # -- pinning -------------------------------------------------------------------------------

    def _may_pin(self, chat_id: int) -> None:
        chat = self.world.chats[chat_id]
        if chat.type == "private":
            return
        # Groups and supergroups: only an administrator bot (with can_pin_messages) may pin.
        if self.world.bot_status(chat_id) not in ("administrator", "creator"):
            raise bad_request(
                "not enough rights to manage pinned messages in the chat", violation=False
            )

    def pin_chat_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        chat_id = params["chat_id"]
        self._may_pin(chat_id)
        stored = self.world.find_message(chat_id, params["message_id"])
        if stored is None or stored.deleted:
            raise bad_request("message to pin not found", violation=stored is None)
        pinned = self.world.pinned.setdefault(chat_id, [])
        if params["message_id"] in pinned:
            pinned.remove(params["message_id"])
        pinned.append(params["message_id"])
        return True

    def unpin_chat_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        chat_id = params["chat_id"]
        self._may_pin(chat_id)
        pinned = self.world.pinned.setdefault(chat_id, [])
        message_id = params.get("message_id")
        if message_id is None:
            if pinned:
                pinned.pop()
            return True
        if message_id not in pinned:
            raise bad_request("message to unpin not found", violation=False)
        pinned.remove(message_id)
        return True

    def unpin_all_chat_messages(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        self._may_pin(params["chat_id"])
        self.world.pinned[params["chat_id"]] = []
        return True

    # -- the bot's descriptions ----------------------------------------------------------------

    def set_my_description(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        key = ("description", params.get("language_code", ""))
        text = params.get("description", "")
        if text:
            self.world.descriptions[key] = text
        else:
            self.world.descriptions.pop(key, None)
        return True

    def set_my_short_description(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> bool:
        key = ("short_description", params.get("language_code", ""))
        text = params.get("short_description", "")
        if text:
            self.world.descriptions[key] = text
        else:
            self.world.descriptions.pop(key, None)
        return True

    def get_my_description(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        key = ("description", params.get("language_code", ""))
        return {"description": self.world.descriptions.get(key, "")}

    def get_my_short_description(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        key = ("short_description", params.get("language_code", ""))
        return {"short_description": self.world.descriptions.get(key, "")}
