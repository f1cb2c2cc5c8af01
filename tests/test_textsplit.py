"""Splitting Telegram-HTML under the message limit (fault catalogue 1, 11, 23)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.textsplit import (
    _walk,
    escape,
    split_html,
    truncate_plain,
    utf16_len,
    visible_len,
    visible_text,
)

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote",
}  # fmt: skip


class _Checker(HTMLParser):
    """Independent oracle: well-formedness (allowed tags, proper nesting) and visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.errors: list[str] = []
        self.opened: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag {tag}")
        self.stack.append((tag, attrs))
        self.opened.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"unexpected </{tag}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker


def assert_well_formed(html: str) -> None:
    checker = check(html)
    assert not checker.errors, (checker.errors, html)
    assert not checker.stack, ("unclosed", checker.stack, html)
    # A cut entity or tag would leave a bare "&", "<" or ">" in the markup.
    stripped = re.sub(r"<[^<>]*>|&(#[0-9]+|#x[0-9a-fA-F]+|[a-z]+);", "", html)
    assert not set("<>&") & set(stripped), html


def checker_text(html: str) -> str:
    return "".join(check(html).text)


def assert_same_text_modulo_cuts(original: str, chunks: list[str]) -> None:
    """Each chunk's visible text follows the previous one in `original`, with at most one
    separator (" ", "\\n" or "\\n\\n") dropped between them; trailing whitespace may go."""
    parts = [checker_text(chunk) for chunk in chunks]
    positions = {0}  # where in `original` the text matched so far may end
    for index, part in enumerate(parts):
        skips = ("",) if index == 0 else ("", "\n\n", "\n", " ")
        positions = {
            position + len(skip) + len(part)
            for position in positions
            for skip in skips
            if original.startswith(skip + part, position)
        }
        assert positions, (original, parts[: index + 1])
    assert any(original[position:].strip() == "" for position in positions), (original, parts)


# --- generators ---------------------------------------------------------------------------

WORD_CHARS = st.sampled_from(
    [
        *"abcdefghijklmnopqrstuvwxyzåäöÅÄÖ0123456789",
        "😀",
        "👍🏽",
        "🇸🇪",
        "e\u0301",
        "&amp;",
        "&lt;",
        "&gt;",
        "&quot;",
        "&#128512;",
        "&#x1F600;",
    ]
)
words = st.lists(WORD_CHARS, min_size=1, max_size=12).map("".join)
long_words = st.lists(WORD_CHARS, min_size=30, max_size=120).map("".join)
separators = st.sampled_from([" ", " ", " ", "\n", "\n\n"])


@st.composite
def text_runs(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.one_of(words, words, words, long_words), min_size=1, max_size=8))
    seps = draw(st.lists(separators, min_size=len(items), max_size=len(items)))
    return "".join(w + s for w, s in zip(items, seps, strict=True)).rstrip(" \n") or "x"


OPENERS = st.sampled_from(
    [
        ("b", ""),
        ("strong", ""),
        ("i", ""),
        ("em", ""),
        ("u", ""),
        ("ins", ""),
        ("s", ""),
        ("strike", ""),
        ("del", ""),
        ("span", ' class="tg-spoiler"'),
        ("tg-spoiler", ""),
        ("a", ' href="https://x.se/?a=1&amp;b=2"'),
        ("code", ""),
        ("pre", ""),
        ("blockquote", ""),
    ]
)


def _wrap(children: list[str], opener: tuple[str, str]) -> str:
    name, attrs = opener
    return f"<{name}{attrs}>{''.join(children)}</{name}>"


html_docs = st.recursive(
    text_runs(),
    lambda inner: st.one_of(
        st.builds(_wrap, st.lists(inner, min_size=1, max_size=3), OPENERS),
        st.lists(st.tuples(inner, separators), min_size=1, max_size=4).map(
            lambda pairs: "".join(a + b for a, b in pairs).rstrip(" \n") or "y"
        ),
    ),
    max_leaves=12,
)


# --- basic functions ----------------------------------------------------------------------


def test_utf16_len() -> None:
    assert utf16_len("") == 0
    assert utf16_len("abc") == 3
    assert utf16_len("åäö") == 3
    assert utf16_len("😀") == 2
    assert utf16_len("👍🏽") == 4
    assert utf16_len("🇸🇪") == 4


def test_visible_len_counts_like_telegram() -> None:
    assert visible_len("<b>hej</b>") == 3
    assert visible_len('<a href="https://example.org">länk</a>') == 4
    assert visible_len("&lt;b&gt; &amp;") == 5
    assert visible_len("&#128512;") == 2
    assert visible_len("<tg-spoiler>😀</tg-spoiler>") == 2
    assert visible_text("<i>a&amp;b</i>") == "a&b"


def test_escape_leaves_quotes_alone() -> None:
    assert escape("<script>\"x\" & 'y'</script>") == "&lt;script&gt;\"x\" &amp; 'y'&lt;/script&gt;"
    injected = '<a href="javascript:alert(1)">x</a>'
    assert visible_text(escape(injected)) == injected


# --- split_html examples ------------------------------------------------------------------


def test_short_message_is_one_chunk_unchanged() -> None:
    html = "<b>Kallelse</b>\n\nStyrgruppen &amp; samverkansgruppen"
    assert split_html(html) == [html]


def test_empty_input_gives_no_chunks() -> None:
    assert split_html("") == []
    assert split_html("   \n ") == []
    assert split_html("<b></b>") == []


def test_prefers_blank_line_then_newline_then_space() -> None:
    para = "ord " * 10  # 40 chars
    html = para.strip() + "\n\n" + para.strip() + "\n" + para.strip()
    p = para.strip()  # 39 chars
    assert split_html(html, limit=70) == [p, p, p]
    # A blank line that would leave the chunk less than half full loses to a later newline.
    assert split_html(html, limit=100) == [p + "\n\n" + p, p]
    # A space is taken when there is no usable newline.
    assert split_html(p + " " + p, limit=60) == [("ord " * 15).strip(), ("ord " * 5).strip()]


def test_does_not_take_a_tiny_chunk_for_a_nicer_cut() -> None:
    html = "a\n\n" + "b" * 200
    chunks = split_html(html, limit=100)
    # Cutting at the blank line would leave a one-letter chunk and still need a hard cut.
    assert all(utf16_len(c) <= 100 for c in chunks)
    assert chunks[0].startswith("a\n\nb")


def test_tags_are_closed_and_reopened_with_attributes() -> None:
    html = '<a href="https://e.se/?q=1&amp;r=2"><b>' + "ord " * 30 + "</b></a>"
    chunks = split_html(html, limit=80)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.startswith('<a href="https://e.se/?q=1&amp;r=2"><b>')
        assert chunk.endswith("</b></a>")
        assert utf16_len(chunk) <= 80


def test_never_cuts_an_entity() -> None:
    html = "&amp;" * 100
    for limit in range(5, 40):
        chunks = split_html(html, limit=limit)
        assert "".join(chunks) == html
        assert all(len(c) % 5 == 0 and utf16_len(c) <= limit for c in chunks)


def test_emoji_near_the_limit() -> None:
    # 4095 units of text followed by an emoji: the emoji must move whole to the next chunk.
    html = "a" * 4095 + "😀" + "b"
    chunks = split_html(html)
    assert chunks == ["a" * 4095, "😀b"]
    html = "a" * 4094 + "😀" + "b"
    assert split_html(html) == ["a" * 4094 + "😀", "b"]


def test_combining_marks_and_skin_tones_stay_with_their_base() -> None:
    html = "e\u0301" * 60
    for chunk in split_html(html, limit=25):
        assert not chunk.startswith("\u0301")
    html = "👍🏽" * 30
    for chunk in split_html(html, limit=25):
        assert not chunk.startswith("🏽")


def test_no_chunk_ends_with_an_opening_tag() -> None:
    html = "x" * 20 + "<b>" + "y" * 20 + "</b>"
    chunks = split_html(html, limit=24)
    assert chunks[0] == "x" * 20
    assert "<b></b>" not in "".join(chunks)


def test_rejects_malformed_input() -> None:
    with pytest.raises(ValueError):
        split_html("<b>x</i>")
    with pytest.raises(ValueError):
        split_html("<b>x")
    with pytest.raises(ValueError):
        split_html("x", limit=0)


def test_long_user_text_escaped_and_split() -> None:
    user = "<script>alert('x')</script> & " * 300
    html = "<b>Anteckning:</b> " + escape(user)
    chunks = split_html(html)
    assert len(chunks) > 1
    for chunk in chunks:
        assert_well_formed(chunk)
        assert utf16_len(chunk) <= 4096
    assert_same_text_modulo_cuts(visible_text(html), chunks)


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(html=html_docs, limit=st.integers(min_value=120, max_value=600))
def test_split_properties(html: str, limit: int) -> None:
    assert_well_formed(html)  # the generator itself is sound
    chunks = split_html(html, limit=limit)
    assert chunks, html
    for chunk in chunks:
        assert utf16_len(chunk) <= limit
        assert visible_len(chunk) <= limit
        assert_well_formed(chunk)
        assert checker_text(chunk).strip(), "empty chunk"
        chunk.encode("utf-16-le")  # no lone surrogate anywhere
    assert_same_text_modulo_cuts(checker_text(html), chunks)
    if utf16_len(html) <= limit:
        assert chunks == [html]


@settings(deadline=None)
@given(html=html_docs, limit=st.integers(min_value=2, max_value=60))
def test_split_properties_with_tiny_limits(html: str, limit: int) -> None:
    """When the markup around one character exceeds the limit, the raw length may too, but the
    visible length never does and nothing is lost."""
    chunks = split_html(html, limit=limit)
    for chunk in chunks:
        assert visible_len(chunk) <= limit
        assert_well_formed(chunk)
        assert checker_text(chunk).strip()
    assert_same_text_modulo_cuts(checker_text(html), chunks)


@settings(deadline=None)
@given(text=st.text(min_size=1, max_size=3000), limit=st.integers(min_value=2, max_value=500))
def test_escaped_arbitrary_text(text: str, limit: int) -> None:
    html = escape(text)
    chunks = split_html(html, limit=limit)
    for chunk in chunks:
        assert visible_len(chunk) <= limit
        assert utf16_len(chunk) <= max(limit, 5)  # the longest entity escape() makes is "&amp;"
    joined_visible = "".join(visible_text(c) for c in chunks)
    # Without whitespace, nothing is lost, duplicated or reordered.
    assert "".join(joined_visible.split()) == "".join(text.split())


@settings(max_examples=300, deadline=None)
@given(
    html=html_docs | st.text(max_size=200).map(escape) | st.sampled_from(["", " \n ", "<b> </b>"]),
    limit=st.integers(min_value=1, max_value=5000),
)
def test_the_short_cut_for_a_text_that_fits_gives_what_the_walk_gives(
    html: str, limit: int
) -> None:
    """Most messages fit in one: they skip the walk atom by atom, with the same answer."""
    assert split_html(html, limit=limit) == _walk(html, limit)


def test_the_short_cut_still_rejects_malformed_input() -> None:
    for html in ("<b>x", "x</b>", "<b><i>x</b></i>"):
        with pytest.raises(ValueError, match="malformed"):
            split_html(html)


def test_utf16_len_counts_lone_surrogates_once() -> None:
    assert utf16_len("a\ud800b") == 3
    assert utf16_len("😀å") == 3


# --- truncate_plain -----------------------------------------------------------------------


def test_truncate_plain() -> None:
    assert truncate_plain("Kort", 10) == "Kort"
    assert truncate_plain("Hej  där\nvärlden", 100) == "Hej där världen"
    assert truncate_plain("abcdefghij", 5) == "abcd…"
    assert truncate_plain("ab cdefghij", 4) == "ab…"
    assert truncate_plain("😀😀😀", 4) == "😀…"
    assert truncate_plain("e\u0301e\u0301e\u0301", 4) == "e\u0301…"
    with pytest.raises(ValueError):
        truncate_plain("x", 0)


@given(text=st.text(max_size=200), limit=st.integers(min_value=1, max_value=80))
def test_truncate_plain_properties(text: str, limit: int) -> None:
    out = truncate_plain(text, limit)
    assert utf16_len(out) <= limit
    assert "\n" not in out
    out.encode("utf-16-le")
    if out.endswith("…") and out != " ".join(text.split()):
        assert " ".join(text.split()).startswith(out[:-1].rstrip())
