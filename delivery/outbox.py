"""The durable outbox: queue a fact's message in the transaction that records the fact.

Everything that must reach a chat because something was recorded (a published kallelse, its
RSVP count, the .ics, a protokoll draft with its PDF, DOCX and justering buttons, a locked
protokoll, a decision posted back, a vote's result) is a row in the outbox, written by the
same transaction as the fact. After the commit the dispatcher (`delivery.dispatcher`) is woken
at once and sends it, with the engine's retries, back-off, 429 `retry_after`, group migration,
removed-bot pausing, and exactly-once bookkeeping. If the process dies, the row is still there.

Example (inside a service's or handler's transaction; no network call)::

    from delivery import outbox
    from delivery.parts import Button, Document, Edit, Text

    with transaction(svc.session_factory) as session:
        meeting = meetings.publish(session, ...)              # the fact
        key = outbox.send(
            session,
            key=f"kallelse:{meeting.id}",                     # once per fact, ever
            chat_id=body.chat_id,
            thread_id=body.thread_id,
            parts=[
                Text(agenda_html),                            # split if long
                Text(panel_html, keyboard=[[Button("Kommer", data=f"rsvp:{meeting.id}:y")]]),
                Document("sg-2026-12-10.ics", data=ics_bytes, caption="Kalenderinbjudan"),
            ],
            now=now,
            on_sent="meeting.kallelse",                       # delivery.hooks, optional
            hook={"meeting_id": meeting.id},
        )
    # committed: the dispatcher is woken and sends the three parts, in order

    # later, in another transaction: the RSVP count changed
    outbox.edit(session, target="kallelse:12", part=1, html=panel_html, keyboard=..., now=now,
                chat_id=body.chat_id)

Choices, stated once:
- **Rendered when queued, or at send time.** `send` stores the parts as given (texts already
  in the chat's language; files' bytes in `outbox_file`), so what goes out is exactly what was
  decided when the fact was recorded. `enqueue` stores a kind and a JSON payload instead, and a
  renderer registered in `delivery.renderers` (living in `views/`) builds the parts when the
  row is sent: reminders, and messages whose files are too costly to build inside the
  transaction (a heavy renderer runs in a worker thread).
- **Archives.** A document whose bytes must be archived (the locked protokoll's PDF) is stored
  with `store_file` in the recording transaction; the caller keeps the returned id on its own
  row and sends `Document(..., file_id=id)`. The bytes sent are then the bytes archived.
- **Multi-part rows.** One row is one ordered sequence (text pieces, files, the buttons on the
  last): its messages go out in order, each one's message id is recorded as it is delivered,
  and a retry (429, 5xx, timeout, restart) resumes after the last one delivered.
- **Edits** address an earlier row by its key (and part), or a message sent outside the outbox
  by its id. They are coalesced: a newer edit of the same message cancels an older one still
  waiting. An edit whose message has not been delivered yet waits for it; one whose message
  failed for good is skipped. "Message is not modified" counts as done.
- **Priority.** Rows from `send`/`edit` default to `NOW` (10): they are claimed before due
  reminders and go first in their chat, so the person who acted is not kept waiting behind a
  reminder burst. Reminders are 0.
- **Wake now.** Queueing a row due now arranges that, after the commit, every dispatcher in
  this process is woken (a SQLAlchemy `after_commit` hook on the session): the send goes out at
  once, not at the next safety tick. Nothing is woken if the transaction rolls back.
- **Possible repeats.** A fact message whose send timed out is sent again rather than lost
  (`on_timeout="resend"`), and any row taken over after a crashed process's lease is resent;
  both carry the note "(may have been sent before)" / "(kan ha skickats tidigare)" on the first
  message of the resend. Edits are idempotent and carry no note.
- **Forbidden** (the bot was removed) pauses the chat's rows until the bot is back; a migrated
  group's rows follow the new chat id; a bad request fails the row (logged with a short code).

Replies to the person who just typed a command may stay direct (`message.reply_text`): they
carry no fact the database must deliver.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from weakref import WeakSet

from sqlalchemy import event
from sqlmodel import Session

from delivery.parts import (
    Button,
    Document,
    Edit,
    Keyboard,
    Part,
    Pin,
    Text,
    expand,
    keyboard,
    message_to_json,
)
from storage import reminders as repo

STATIC_KIND = "outbox.static"
NOW = 10  # the priority of a message someone's action just caused
REMINDER = 0
FACT_MAX_ATTEMPTS = 20  # with back-off from 2 s to 10 min: a few hours of Telegram trouble
_WAKE_FLAG = "outbox.wake"

KeyboardLike = Sequence[Sequence[Button]] | Mapping[str, Any] | None

__all__ = [
    "FACT_MAX_ATTEMPTS",
    "NOW",
    "REMINDER",
    "STATIC_KIND",
    "Button",
    "Document",
    "Edit",
    "Text",
    "delivery_of",
    "edit",
    "enqueue",
    "file_data",
    "files_of",
    "register_waker",
    "send",
    "store_file",
]


_wakers: WeakSet[Any] = WeakSet()


def register_waker(waker: Any) -> None:
    """Called by the dispatcher: woken (`waker.kick()`, from any thread) after a commit that
    queued a row due now. Held weakly."""
    _wakers.add(waker)


def unregister_waker(waker: Any) -> None:
    _wakers.discard(waker)


def _after_commit(session: Session) -> None:
    if not session.info.pop(_WAKE_FLAG, False):
        return
    for waker in list(_wakers):
        waker.kick()


def _after_rollback(session: Session) -> None:
    session.info.pop(_WAKE_FLAG, None)


def _wake_after_commit(session: Session) -> None:
    if not session.info.get("outbox.listening"):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
        session.info["outbox.listening"] = True
    session.info[_WAKE_FLAG] = True


def store_file(
    session: Session, filename: str, data: bytes, *, now: datetime, mime_type: str | None = None
) -> int:
    """Keep a document's bytes; returns the id to send (`Document(name, file_id=id)`) and to
    archive. Stored in the caller's transaction."""
    return repo.store_file(session, filename, data, now=now, mime_type=mime_type)


def file_data(session: Session, file_id: int) -> bytes | None:
    return repo.file_data(session, file_id)


def files_of(session: Session, key: str) -> list[tuple[str, int]]:
    """The documents of row `key` as (file name, file id): read them with `file_data`."""
    found = repo.delivery_of(session, key)
    if found is None:
        return []
    return [
        (str(part["filename"]), int(part["file"]))
        for part in found.payload.get("parts", [])
        if part.get("t") == "doc"
    ]


def delivery_of(session: Session, key: str) -> repo.Delivery | None:
    """Where the row `key` stands: its state and, once sent, its message ids."""
    return repo.delivery_of(session, key)


def _normalise(part: Part | str) -> Part:
    """Keyboards given as rows of Buttons or Bot API JSON become the stored form."""
    if isinstance(part, str):
        return Text(part)
    if isinstance(part, Pin):
        return part
    board: Keyboard | None = keyboard(part.keyboard)  # type: ignore[arg-type]
    if board is part.keyboard:
        return part
    if isinstance(part, Text):
        return Text(part.html, board, part.silent, part.reply_to)
    if isinstance(part, Document):
        return Document(
            part.filename,
            part.data,
            part.file_id,
            part.caption,
            board,
            part.silent,
            part.mime_type,
        )
    return Edit(part.html, board, part.target, part.part, part.message_id)


def _store_documents(session: Session, parts: Sequence[Part], now: datetime) -> list[Part]:
    out: list[Part] = []
    for part in parts:
        if isinstance(part, Document) and part.file_id is None:
            if part.data is None:
                raise ValueError(f"document {part.filename!r} has neither data nor a file id")
            file_id = store_file(
                session, part.filename, part.data, now=now, mime_type=part.mime_type
            )
            part = Document(
                part.filename,
                None,
                file_id,
                part.caption,
                part.keyboard,
                part.silent,
                part.mime_type,
            )
        out.append(part)
    return out


def _queue(
    session: Session,
    spec: repo.ReminderSpec,
    now: datetime,
) -> str:
    if spec.coalesce_key is not None:
        repo.cancel_coalesced(session, spec.coalesce_key, now=now)
    repo.schedule(session, [spec], now=now)
    if spec.due_at <= now:
        _wake_after_commit(session)
    return spec.dedupe_key


def send(
    session: Session,
    *,
    key: str,
    chat_id: int,
    parts: Sequence[Part | str],
    now: datetime,
    thread_id: int | None = None,
    partnership_id: int | None = None,
    person_id: int | None = None,
    source: str | None = None,
    priority: int = NOW,
    due_at: datetime | None = None,
    on_sent: str | None = None,
    hook: Mapping[str, Any] | None = None,
    coalesce: str | None = None,
    on_timeout: str = "resend",
    max_attempts: int | None = FACT_MAX_ATTEMPTS,
) -> str:
    """Queue `parts` (sent in order, in one chat) under `key`, rendered now. A key already
    queued is left as it is: a fact's message is queued once, whoever asks twice. `source`
    defaults to "outbox:<key>", apart from the reminders' sources (which `replace_for_source`
    recomputes and would otherwise cancel).

    Keyboards: rows of `Button`, or a markup's Bot API JSON (`markup.to_dict()`). Refused here
    with ValueError, never at Telegram: empty texts, over-long callback data, too many buttons.
    Returns the key."""
    if len(key) > 255:
        raise ValueError("an outbox key is at most 255 characters")
    given = [_normalise(p) for p in parts]
    if not given:
        raise ValueError("nothing to send")
    expand(given)  # validates before anything is stored
    existing = repo.delivery_of(session, key)
    if existing is not None and existing.state != repo.ReminderState.CANCELLED:
        return key
    stored = _store_documents(session, given, now)
    messages = expand(stored)
    payload: dict[str, Any] = {"parts": [message_to_json(m) for m in messages]}
    if hook:
        payload["hook"] = dict(hook)
    spec = repo.ReminderSpec(
        kind=STATIC_KIND,
        source=(source or f"outbox:{key}")[:200],
        dedupe_key=key,
        chat_id=chat_id,
        due_at=due_at or now,
        thread_id=thread_id,
        person_id=person_id,
        partnership_id=partnership_id,
        payload=payload,
        priority=priority,
        coalesce_key=coalesce,
        on_timeout=on_timeout,
        max_attempts=max_attempts,
        on_sent=on_sent,
    )
    return _queue(session, spec, now)


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    chat_id: int,
    payload: Mapping[str, Any],
    now: datetime,
    language: str | None = None,
    thread_id: int | None = None,
    partnership_id: int | None = None,
    person_id: int | None = None,
    source: str | None = None,
    priority: int = NOW,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    on_sent: str | None = None,
    hook: Mapping[str, Any] | None = None,
    coalesce: str | None = None,
    on_timeout: str = "resend",
    max_attempts: int | None = FACT_MAX_ATTEMPTS,
) -> str:
    """Queue a row rendered at send time by the renderer registered for `kind` (in `language`,
    or the bot's). The payload must be JSON; everything the renderer needs goes in it."""
    data = dict(payload)
    if hook:
        data["hook"] = dict(hook)
    spec = repo.ReminderSpec(
        kind=kind,
        source=(source or f"outbox:{key}")[:200],
        dedupe_key=key,
        chat_id=chat_id,
        due_at=due_at or now,
        thread_id=thread_id,
        person_id=person_id,
        partnership_id=partnership_id,
        expires_at=expires_at,
        payload=data,
        language=language,
        priority=priority,
        coalesce_key=coalesce,
        on_timeout=on_timeout,
        max_attempts=max_attempts,
        on_sent=on_sent,
    )
    return _queue(session, spec, now)


def edit(
    session: Session,
    *,
    chat_id: int,
    html: str,
    now: datetime,
    target: str | None = None,
    part: int = -1,
    message_id: int | None = None,
    keyboard: KeyboardLike = None,
    thread_id: int | None = None,
    partnership_id: int | None = None,
    priority: int = NOW,
) -> str:
    """Queue an edit of an earlier message (the outbox row `target`'s part `part`, or
    `message_id`), superseding any edit of it still waiting. Returns the edit row's key."""
    addressed = f"{target}#{part}" if target is not None else f"id:{chat_id}:{message_id}"
    change = _normalise(Edit(html, keyboard, target, part, message_id))  # type: ignore[arg-type]
    return send(
        session,
        key=f"edit:{addressed}:{uuid.uuid4().hex[:12]}",
        chat_id=chat_id,
        parts=[change],
        now=now,
        thread_id=thread_id,
        partnership_id=partnership_id,
        source=f"outbox:edit:{addressed}",
        priority=priority,
        coalesce=f"edit:{addressed}"[:255],
    )


def pin(
    session: Session,
    *,
    chat_id: int,
    now: datetime,
    target: str | None = None,
    part: int = -1,
    message_id: int | None = None,
    unpin: bool = False,
    partnership_id: int | None = None,
) -> str:
    """Queue pinning (or unpinning) an earlier message – the outbox row `target`'s part `part`,
    or `message_id` – quietly. It waits for its message like an edit; where the bot may not pin,
    nothing happens (see `delivery.parts.Pin`). Returns the row's key."""
    addressed = f"{target}#{part}" if target is not None else f"id:{chat_id}:{message_id}"
    verb = "unpin" if unpin else "pin"
    return send(
        session,
        key=f"{verb}:{addressed}:{uuid.uuid4().hex[:12]}",
        chat_id=chat_id,
        parts=[Pin(target, part, message_id, unpin)],
        now=now,
        partnership_id=partnership_id,
        source=f"{verb}:{addressed}"[:200],
        coalesce=f"pin:{addressed}"[:255],
    )


__all__ += ["Pin", "pin"]
