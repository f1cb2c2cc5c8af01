"""Both catalogues are complete: every message in the code has a Swedish and an English text."""

from __future__ import annotations

from i18n import LANGUAGES, _, catalogue, language, pick_language, t


def test_every_message_is_translated_in_both_languages() -> None:
    messages = catalogue.extract()
    assert messages, "no messages were extracted: the extraction itself is broken"
    problems = []
    for lang in LANGUAGES:
        cat = catalogue.load(lang)
        for msgid, where in messages.items():
            entry = cat.get(msgid)
            if (
                entry is None
                or not entry.string
                or (isinstance(entry.string, tuple) and not all(entry.string))
            ):
                problems.append(f"{lang}: missing {msgid!r} ({where[0]})")
                continue
            text = entry.string if isinstance(entry.string, str) else entry.string[0]
            source = msgid if isinstance(msgid, str) else msgid[0]
            if catalogue.placeholders(text) != catalogue.placeholders(source):
                problems.append(f"{lang}: placeholders differ in {msgid!r}")
    assert not problems, "run `python -m i18n.catalogue` and translate:\n" + "\n".join(problems)


def test_swedish_is_the_default_and_english_is_picked_from_the_user() -> None:
    assert pick_language(None, "sv", ("sv", "en")) == "sv"
    assert pick_language("en-GB", "sv", ("sv", "en")) == "en"
    assert pick_language("en", "sv", ("sv",)) == "sv"
    assert pick_language("de", "sv", ("sv", "en")) == "sv"
    with language("sv"):
        assert _("Members by party") != "Members by party"
    assert t("en", "Members by party") == "Members by party"
