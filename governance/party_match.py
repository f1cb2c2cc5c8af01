"""Which party a typed name means (/jag, and party names in decision tags): a pure rule.

Words, not substrings: "Stockholms stad" is the city ("Stockholms stad, socialförvaltningen"),
not Stockholms Stadsmission, since "stad" is a whole word only in the first. Tried in order, and
the first step that finds anything decides (one match: that party; several: ambiguous):

1. the whole text is a party's key, name or one of its aliases from the partnership file
   ("staden", "socialförvaltningen");
2. the text's words appear, whole and in order, in a name or an alias (or the key's words);
3. the text's words begin words of a name, an alias or the key, in order ("frälsnings",
   "stadsm").

Case, punctuation and the marks on å, ä, ö and é do not matter ("fralsningsarmen").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Candidate", "match_party", "words"]

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Candidate:
    """A party as matching sees it: its key, its name and its aliases."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()

    def phrases(self) -> list[tuple[str, ...]]:
        return [words(self.name), words(self.key)] + [words(a) for a in self.aliases]


def words(text: str) -> tuple[str, ...]:
    """Lower-case words without diacritics: "Stockholms stad, Socialförvaltningen" →
    ("stockholms", "stad", "socialforvaltningen"); a key's hyphens separate words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return tuple(w for w in _WORD.findall(plain.replace("_", " ")))


def _contains(phrase: tuple[str, ...], wanted: tuple[str, ...], *, prefix: bool) -> bool:
    n = len(wanted)
    for start in range(len(phrase) - n + 1):
        window = phrase[start : start + n]
        if prefix:
            if all(have.startswith(want) for have, want in zip(window, wanted, strict=True)):
                return True
        elif window == wanted:
            return True
    return False


def match_party(candidates: Sequence[Candidate], query: str) -> list[Candidate]:
    """The parties `query` names, by the first step that finds any (see the module's doc):
    one element when it is clear, several when it is ambiguous, none when nothing matches."""
    wanted = words(query)
    if not wanted:
        return []
    exact = [c for c in candidates if any(p == wanted for p in c.phrases())]
    if exact:
        return exact
    for prefix in (False, True):
        found = [
            c for c in candidates if any(_contains(p, wanted, prefix=prefix) for p in c.phrases())
        ]
        if found:
            return found
    return []
