"""The protokoll in its three outputs: Telegram HTML (chat chunks), PDF and DOCX.

All three render `governance.protokoll.document_view`, so they say the same thing.
"""

from __future__ import annotations

from dataclasses import replace

from governance.protokoll import DecisionKind, Protokoll, document_view  # noqa: F401
from governance.textsplit import MESSAGE_LIMIT, escape, split_html

# --- renderers ---------------------------------------------------------------------------------


def to_telegram_html(p: Protokoll, language: str = "sv", limit: int = MESSAGE_LIMIT) -> list[str]:
    """The protokoll as Telegram-HTML messages, each at most `limit` long (user text escaped)."""
    v = document_view(p, language)
    e = escape
    lab = v.labels
    blocks: list[str] = []
    title = f"<b>{e(v.title)}</b>"
    if v.draft:
        title += f" – <b>{e(lab['draft'])}</b>"
    head = [title, f"<b>{e(v.body)}</b>", e(v.partnership)]
    if v.amendment_line:
        head.append(f"<i>{e(v.amendment_line)}</i>")
    head += [f"{e(k)}: {e(val)}" for k, val in v.meta]
    blocks.append("\n".join(head))
    for heading, rows in ((lab["present"], v.present), (lab["absent"], v.absent)):
        if rows:
            lines = [f"<b>{e(heading)}</b>"]
            lines += [f"{e(party)}: {e(people)}" for party, people in rows]
            blocks.append("\n".join(lines))
    blocks.append("\n".join(f"{e(role)}: {e(name)}" for role, name in v.roles if name))
    for s in v.sections:
        lines = [f"<b>{e(s.heading)}</b>"]
        lines += [e(note) for note in s.notes]
        for label, text in s.decisions:
            lines.append(f"<b>{e(lab['decision'])} {e(label)}:</b> {e(text)}")
        blocks.append("\n".join(lines))
    if v.actions:
        lines = [f"<b>{e(lab['actions'])}</b>"]
        for (owner, due, task, status), item in zip(v.actions, p.action_items, strict=True):
            when = f" – {e(lab['due'].lower())} {e(due)}" if item.due else ""
            lines.append(f"• {e(owner)}{when}: {e(task)} ({e(status)})")
        blocks.append("\n".join(lines))
    if v.hash_line:
        blocks.append(f"<code>{e(v.hash_line)}</code>")
    return split_html("\n\n".join(blocks), limit)


def to_pdf(p: Protokoll, language: str = "sv") -> bytes:
    """The protokoll as a PDF (A4, fpdf2); see `views.protokoll_pdf`."""
    from views.protokoll_pdf import render_pdf

    return render_pdf(document_view(p, language), p.date)


def to_docx(p: Protokoll, language: str = "sv") -> bytes:
    """The protokoll as a Word document (python-docx); see `views.protokoll_docx`."""
    from views.protokoll_docx import render_docx

    return render_docx(document_view(p, language), p.date)


def to_extract_pdf(p: Protokoll, number: int, language: str = "sv") -> bytes:
    """A protokollsutdrag: § `number` of the locked `p` alone, under the meeting's head and
    attendance, with the whole protokoll's justering block and hash (what it is an extract of)."""
    from views.protokoll_pdf import render_pdf

    item = next(i for i in p.items if i.number == number)
    view = document_view(replace(p, items=(item,), action_items=()), language)
    lab = view.labels
    return render_pdf(
        replace(
            view,
            title=lab["extract"],
            amendment_line=lab["extract_of"].format(meeting=p.meeting_number),
        ),
        p.date,
    )
