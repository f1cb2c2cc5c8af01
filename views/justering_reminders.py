"""How the justering reminder is worded (Telegram HTML): the chair and each justerare who has not
approved the protokoll yet, before the file's deadline and daily after it. Importing this module
registers the renderer of "justering.due"."""

from __future__ import annotations

from typing import Any

from delivery.renderers import escape, register, with_late_note
from i18n import N_, t
from views.decision_reminders import long_date

KIND_JUSTERING = "justering.due"  # the same name as services.justering

ROLES = {"chair": N_("chair"), "justerare": N_("justerare")}


def render_justering(payload: dict[str, Any], language: str, late: bool) -> str:
    due = long_date(str(payload["due"]), language)
    title = t(language, "Justering overdue") if payload.get("overdue") else t(language, "Justering")
    parts = [escape(payload.get("diarienummer", "")), escape(payload.get("body_name", ""))]
    lines = [f"🖋 <b>{escape(title)}</b> · " + " · ".join(p for p in parts if p)]
    name = escape(payload.get("person", ""))
    user_id = payload.get("person_user_id")
    if not payload.get("private") and isinstance(user_id, int) and user_id > 0:
        name = f'<a href="tg://user?id={user_id}">{name}</a>'
    text = (
        N_(
            "{name}, the minutes of {meeting} were to be approved by {due}. Approve them (or ask "
            "for a change) with the buttons under the draft, as {role}."
        )
        if payload.get("overdue")
        else N_(
            "{name}, approve the minutes of {meeting} by {due} with the buttons under the draft, "
            "as {role}."
        )
    )
    lines.append(
        t(language, text).format(
            name=name,
            meeting=escape(payload.get("meeting", "")),
            due=escape(due),
            role=escape(t(language, ROLES.get(str(payload.get("role")), N_("justerare")))),
        )
    )
    return with_late_note("\n".join(lines), language, late)


register(KIND_JUSTERING, render_justering)
