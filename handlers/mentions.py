"""Who a message names: text mentions, @usernames (with or without an entity), a reply."""

from __future__ import annotations

from telegram import Message, MessageEntity

from services.people import Named


def first_named(message: Message, *, or_reply: bool = False) -> tuple[Named | None, str]:
    """The person named first after the command, and the text after them. With `or_reply`, the
    author of the message replied to when nobody is named."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            rest = text[entity.offset + entity.length :]
            return Named(entity.user.id, None, entity.user.first_name), rest.strip()
        if entity.type == MessageEntity.MENTION:
            rest = text[entity.offset + entity.length :]
            label = message.parse_entity(entity)
            return Named(None, label, label), rest.strip()
    # Clients do not always send a mention entity: read a plain "@name" after the command.
    words = text.split(maxsplit=2)
    if len(words) > 1 and words[1].startswith("@") and len(words[1]) > 1:
        return Named(None, words[1], words[1]), (words[2] if len(words) > 2 else "")
    replied = message.reply_to_message
    if or_reply and replied is not None and replied.from_user is not None:
        user = replied.from_user
        parts = text.split(maxsplit=1)
        return Named(user.id, None, user.first_name), (parts[1] if len(parts) > 1 else "")
    return None, ""


def all_named(message: Message) -> list[Named]:
    """Everyone named in the message, in order."""
    named: list[Named] = []
    for entity in message.entities:
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            named.append(Named(entity.user.id, None, entity.user.first_name))
        elif entity.type == MessageEntity.MENTION:
            label = message.parse_entity(entity)
            named.append(Named(None, label, label))
    if not message.entities or all(e.type == MessageEntity.BOT_COMMAND for e in message.entities):
        # Clients do not always send mention entities: read plain "@name" words.
        for word in (message.text or "").split()[1:]:
            if word.startswith("@") and len(word) > 1:
                named.append(Named(None, word, word))
    return named
