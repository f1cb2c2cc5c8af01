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


def test_no_message_hides_where_the_extraction_cannot_see_it() -> None:
    """Babel does not look inside f-strings (nor at a marked message nested in another marked
    call's argument): such a message never reaches the catalogue and is shown in English to
    Swedish users. Every literal handed to _, N_, t, ngettext or nt must be extracted."""
    import ast

    extracted = {key if isinstance(key, str) else key[0] for key in catalogue.extract()}
    position = {"_": 0, "N_": 0, "t": 1, "ngettext": 0, "nt": 1}
    hidden = []
    for folder in catalogue.SOURCE_DIRS:
        for path in sorted((catalogue.ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                index = position.get(node.func.id)
                if index is None or len(node.args) <= index:
                    continue
                arg = node.args[index]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if arg.value not in extracted:
                        where = path.relative_to(catalogue.ROOT)
                        hidden.append(f"{where}:{node.lineno}: {arg.value!r}")
    assert not hidden, "take these out of the f-string or nested call:\n" + "\n".join(hidden)
