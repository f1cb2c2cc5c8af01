"""Translations: gettext catalogues for Swedish (default) and English.

The `.po` files are compiled in memory at import, so no build step can leave the bot without its
catalogues. The language of the current update lives in a ContextVar set by a pre-handler, so
handlers, services and jobs simply call `_()`.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick_language(user_language: str | None, default: str, allowed: tuple[str, ...]) -> str:
    """Exact code, then base language, then the partnership's default (as aiogram does)."""
    if user_language:
        code = user_language.replace("_", "-").lower()
        for candidate in (code, code.split("-")[0]):
            if candidate in allowed and candidate in LANGUAGES:
                return candidate
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def language(code: str) -> Iterator[None]:
    token = _current.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def nt(lang: str, singular: str, plural: str, n: int) -> str:
    """`ngettext` into an explicit language (reminders rendered for their reader)."""
    return translations(lang).ngettext(singular, plural, n)


def t(lang: str, message: str) -> str:
    """Translate into an explicit language (command descriptions, broadcasts)."""
    return translations(lang).gettext(message)


def N_(message: str) -> str:
    """Mark a string for extraction; translated later, where the language is known."""
    return message
