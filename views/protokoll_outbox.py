"""The protokoll's posts as outbox parts: a version's draft (rendered when sent) and the locked
minutes (rendered when locked, the PDF kept as the archived file).

Importing this module registers the renderer of `DRAFT_KIND` with `delivery.renderers`.
"""

from __future__ import annotations

import json
from typing import Any

from delivery.parts import Document, Part, Text, keyboard
from delivery.renderers import renders
from governance import protokoll as doc
from governance.textsplit import MESSAGE_LIMIT
from i18n import language
from storage.models import ProtokollRecord
from views import justering as view
from views import protokoll as protokoll_view

DRAFT_KIND = "protokoll.post"
EXTRACT_KIND = "protokoll.extract"
PDF, DOCX = (
    "application/pdf",
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
)


def draft_payload(record: ProtokollRecord, p: doc.Protokoll, lang: str) -> dict[str, Any]:
    """What the renderer needs, fixed when the version is recorded: its canonical content (the
    PDF and DOCX are built from it when sent, off the transaction), the files' names, and the
    justering buttons."""
    with language(lang):
        text, markup = view.draft_for_justering(record, p)
        captions = {"pdf": view.caption(record, p, False), "docx": view.caption(record, p, True)}
    return {
        "content": record.content,
        "lang": lang,
        "stem": view.file_stem(record, p),
        "docx": record.status != "final",
        "captions": captions,
        "buttons": {"html": text, "keyboard": markup.to_dict()},
    }


@renders(DRAFT_KIND, heavy=True)
def render_draft(payload: dict[str, Any], _language: str, _late: bool) -> list[Part | str]:
    """The version in chat, its PDF and DOCX, then the justering buttons."""
    p = doc.from_canonical_json(json.dumps(payload["content"], ensure_ascii=False))
    lang, stem = str(payload["lang"]), str(payload["stem"])
    # Short of Telegram's limit: room for the engine's notes.
    parts: list[Part | str] = [
        Text(chunk) for chunk in protokoll_view.to_telegram_html(p, lang, MESSAGE_LIMIT - 200)
    ]
    captions = payload.get("captions") or {}
    pdf = protokoll_view.to_pdf(p, lang)
    parts.append(Document(f"{stem}.pdf", data=pdf, caption=captions.get("pdf"), mime_type=PDF))
    if payload.get("docx"):
        word = protokoll_view.to_docx(p, lang)
        parts.append(
            Document(f"{stem}.docx", data=word, caption=captions.get("docx"), mime_type=DOCX)
        )
    buttons = payload.get("buttons")
    if buttons:
        parts.append(Text(str(buttons["html"]), keyboard=keyboard(buttons["keyboard"])))
    return parts


def final_parts(record: ProtokollRecord, p: doc.Protokoll, lang: str) -> list[Part | str]:
    """The locked minutes: the checksum line and the PDF/A (rendered once, stored, sent and
    archived as the same bytes), each file with a caption naming it."""
    with language(lang):
        checksum = view.final_checksum(record)
        caption = view.caption(record, p, False)
    pdf = protokoll_view.to_pdf(p, lang)
    return [
        Text(checksum),
        Document(view.pdf_name(record, p), data=pdf, caption=caption, mime_type=PDF),
    ]


def final_docx(record: ProtokollRecord, p: doc.Protokoll, lang: str) -> list[Part | str]:
    """The locked minutes as Word, sent after the PDF (not archived: the PDF is the record)."""
    with language(lang):
        caption = view.caption(record, p, True)
    data = protokoll_view.to_docx(p, lang)
    return [Document(view.docx_name(record, p), data=data, caption=caption, mime_type=DOCX)]


def extract_payload(
    record: ProtokollRecord, p: doc.Protokoll, number: int, lang: str, note: str | None = None
) -> dict[str, Any]:
    """An extract of § `number`, rendered when sent (off the transaction)."""
    with language(lang):
        caption = view.extract_caption(p, number)
    return extract_payload_of(record.content, p, number, lang, note, caption)


def extract_payload_of(
    content: dict[str, Any],
    p: doc.Protokoll,
    number: int,
    lang: str,
    note: str | None,
    caption: str,
) -> dict[str, Any]:
    """An extract of § `number` of the locked `content` (a protokoll, or the one paragraph of
    an omedelbar justering)."""
    return {
        "content": content,
        "number": number,
        "lang": lang,
        "name": view.extract_name(p, number),
        "caption": caption,
        "note": note,
    }


@renders(EXTRACT_KIND, heavy=True)
def render_extract(payload: dict[str, Any], _language: str, _late: bool) -> list[Part | str]:
    """A note (when given), then the extract's PDF with its caption."""
    p = doc.from_canonical_json(json.dumps(payload["content"], ensure_ascii=False))
    data = protokoll_view.to_extract_pdf(p, int(payload["number"]), str(payload["lang"]))
    parts: list[Part | str] = []
    if payload.get("note"):
        parts.append(Text(str(payload["note"])))
    parts.append(
        Document(str(payload["name"]), data=data, caption=payload.get("caption"), mime_type=PDF)
    )
    return parts
