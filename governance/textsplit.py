"""Telegram message lengths and safe splitting of Telegram-HTML text.

Telegram counts message length in UTF-16 code units of the text after entity parsing (tags
removed, entities unescaped), at most 4096 for a message and 1024 for a caption.

`split_html` cuts a long message into chunks whose RAW length (tags and entities included) is at
most the limit; the visible length is never larger than the raw length, so both limits hold.
Cuts prefer, in this order, a blank line, a newline, a space (only when that leaves a chunk at
least half full), else the last possible place. A cut never falls inside a tag, an entity or a
character (Python strings hold whole code points, so a surrogate pair is never halved) and,
where possible, not before a combining mark or around a zero-width joiner. Tags open at a cut are
closed at the end of the chunk and reopened, with the same attributes, at the start of the next.

Whitespace rule (what "nothing lost" means precisely): when the cut is at whitespace, that
separator is dropped: one space, one newline, or the two newlines of a blank line. No other
visible character is dropped, duplicated or reordered, and no chunk is empty or only whitespace:
a chunk that would be only whitespace is dropped, which happens only to trailing whitespace after
the last cut (Telegram strips it anyway) or inside a whitespace run about as long as the limit.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "escape",
    "split_html",
    "truncate_plain",
    "utf16_len",
    "visible_len",
    "visible_text",
]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_TOKEN = re.compile(
    r"(?P<tag><(?P<close>/)?(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>[^<>]*)>)"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{0,31});)",
)


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (an emoji outside the BMP counts 2)."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def escape(text: str) -> str:
    """User text made safe for Telegram HTML: only ``&``, ``<`` and ``>`` are escaped."""
    return _html.escape(text, quote=False)


@dataclass(frozen=True, slots=True)
class _Atom:
    raw: str
    visible: str = ""  # text atoms only
    kind: str = "text"  # "text", "open" or "close"
    name: str = ""  # tag name, lower case

    @property
    def cost(self) -> int:
        return utf16_len(self.raw)


def _tokenize(html: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    position = 0
    for match in _TOKEN.finditer(html):
        atoms.extend(_Atom(ch, ch) for ch in html[position : match.start()])
        position = match.end()
        if match["tag"]:
            name = match["name"].lower()
            kind = "close" if match["close"] else "open"
            atoms.append(_Atom(match["tag"], kind=kind, name=name))
        else:
            entity = match["entity"]
            atoms.append(_Atom(entity, _html.unescape(entity)))
    atoms.extend(_Atom(ch, ch) for ch in html[position:])
    return atoms


def visible_text(html: str) -> str:
    """The text Telegram shows for `html`: tags removed, entities unescaped."""
    return "".join(atom.visible for atom in _tokenize(html))


def visible_len(html: str) -> int:
    """Length of `html` as Telegram counts it: UTF-16 units of the visible text."""
    return utf16_len(visible_text(html))


def _closing(stack: tuple[_Atom, ...]) -> str:
    return "".join(f"</{tag.name}>" for tag in reversed(stack))


def _closing_cost(stack: tuple[_Atom, ...]) -> int:
    return sum(len(tag.name) + 3 for tag in stack)


_JOINERS = frozenset("\u200d")


def _clings_to_previous(ch: str) -> bool:
    """True if a cut right before `ch` would tear a visible character apart."""
    if not ch:
        return False
    code = ord(ch[0])
    return (
        unicodedata.category(ch[0]) in ("Mn", "Me", "Mc")
        or ch[0] in _JOINERS
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
    )


def _bad_hard_cut(atoms: list[_Atom], k: int) -> bool:
    before, after = atoms[k - 1], atoms[k]
    if after.kind == "text" and _clings_to_previous(after.visible):
        return True
    return before.kind == "text" and before.visible in _JOINERS


@dataclass(slots=True)
class _Step:
    cost: int  # raw length of the chunk if it ended after this atom
    stack: tuple[_Atom, ...]  # open tags after this atom
    has_text: bool  # the chunk so far holds a non-whitespace character


def split_html(html: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram-HTML into chunks of raw UTF-16 length at most `limit` (see module doc).

    The input must be well-formed (tags properly nested; user text passed through `escape`).
    A chunk exceeds `limit` only if the markup needed around a single character does (a tag
    nest whose opening and closing tags alone are longer than `limit`).
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if utf16_len(html) <= limit:
        # Fits as it is (most messages): the one chunk the full walk below would give, after
        # the same check, without taking the text apart character by character.
        _check_nesting(
            [
                _Atom(m["tag"], kind="close" if m["close"] else "open", name=m["name"].lower())
                for m in _TOKEN.finditer(html)
                if m["tag"]
            ]
        )
        visible = _TOKEN.sub(lambda m: "" if m["tag"] else _html.unescape(m["entity"]), html)
        return [html] if visible.strip() else []
    return _walk(html, limit)


def _walk(html: str, limit: int) -> list[str]:
    """`split_html` atom by atom (what the short cut for a text that fits stands in for)."""
    atoms = _tokenize(html)
    _check_nesting(atoms)
    chunks: list[str] = []
    start_stack: tuple[_Atom, ...] = ()
    i = 0
    n = len(atoms)
    while i < n:
        prefix_cost = sum(tag.cost for tag in start_stack)
        steps: list[_Step] = []
        stack = start_stack
        cost = prefix_cost + _closing_cost(stack)
        has_text = False  # a non-whitespace character so far
        any_text = False
        j = i
        while j < n:
            atom = atoms[j]
            if atom.kind == "open":
                stack = (*stack, atom)
                cost += atom.cost + len(atom.name) + 3
            elif atom.kind == "close":
                stack = stack[:-1]
                cost += atom.cost - len(atom.name) - 3
            else:
                cost += atom.cost
            if cost > limit and any_text:
                break
            if atom.kind == "text":
                any_text = True
                has_text = has_text or not atom.visible.isspace()
            steps.append(_Step(cost, stack, has_text))
            j += 1
            if cost > limit and atom.kind == "text":
                break  # degenerate: markup alone exceeds the limit; emit this one character
        if j == n:
            end, resume = n, n
        else:
            end, resume = _choose_cut(atoms, i, j, steps, limit)
        body = "".join(atom.raw for atom in atoms[i:end])
        end_stack = steps[end - i - 1].stack if end > i else start_stack
        chunk = "".join(tag.raw for tag in start_stack) + body + _closing(end_stack)
        if visible_text(chunk).strip():
            chunks.append(chunk)
        start_stack = end_stack
        i = resume
    return chunks


def _choose_cut(
    atoms: list[_Atom], i: int, j: int, steps: list[_Step], limit: int
) -> tuple[int, int]:
    """Where the chunk atoms[i:j] (which cannot take atoms[j]) ends, and where the next begins.

    Returns (end, resume): the chunk is atoms[i:end]; atoms[end:resume] are dropped whitespace.
    """
    threshold = limit // 2
    for separator in ("\n\n", "\n", " "):
        width = len(separator)
        for k in range(j, i, -1):
            step = steps[k - i - 1]
            if step.cost < threshold or not step.has_text:
                break
            window = atoms[k : k + width]
            if len(window) == width and all(
                atom.kind == "text" and atom.visible == ch
                for atom, ch in zip(window, separator, strict=True)
            ):
                return k, k + width
    # Hard cut: as late as possible, but not inside a grapheme, and leave opening tags that
    # would end the chunk to the next one.
    end = j
    for k in range(j, max(i, j - 16), -1):
        if not _bad_hard_cut(atoms, k):
            end = k
            break
    while end - 1 > i and atoms[end - 1].kind == "open" and steps[end - i - 2].has_text:
        end -= 1
    if not steps[end - i - 1].has_text:
        end = j
    return end, end


def _check_nesting(atoms: list[_Atom]) -> None:
    stack: list[str] = []
    for atom in atoms:
        if atom.kind == "open":
            stack.append(atom.name)
        elif atom.kind == "close":
            if not stack or stack[-1] != atom.name:
                raise ValueError(f"malformed HTML: unexpected </{atom.name}>")
            stack.pop()
    if stack:
        raise ValueError(f"malformed HTML: <{stack[-1]}> is not closed")


def truncate_plain(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` on one line (whitespace runs become one space) and at most `limit` UTF-16 units,
    ending with `ellipsis` when shortened. For button labels, titles and the like; the result
    is plain text (escape it before putting it into HTML)."""
    if limit < utf16_len(ellipsis):
        raise ValueError("limit is shorter than the ellipsis")
    line = " ".join(text.split())
    if utf16_len(line) <= limit:
        return line
    budget = limit - utf16_len(ellipsis)
    cut = 0
    used = 0
    for index, ch in enumerate(line):
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > budget:
            break
        used += width
        cut = index + 1
    # Do not leave a combining mark or joiner orphaned at the end.
    while (
        cut > 0
        and cut < len(line)
        and (_clings_to_previous(line[cut]) or line[cut - 1] in _JOINERS)
    ):
        cut -= 1
    return line[:cut].rstrip() + ellipsis
