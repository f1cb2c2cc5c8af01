"""The rule that says which party a typed name means (/jag): whole words and aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.partnership_file import PartnershipFileError, load_partnership_file
from governance.party_match import Candidate, match_party, words

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CITY = Candidate(
    "stockholms-stad",
    "Stockholms stad, Socialförvaltningen",
    ("staden", "socialförvaltningen", "förvaltningen"),
)
SSM = Candidate("stockholms-stadsmission", "Stockholms Stadsmission")
CONVICTUS = Candidate("convictus", "Convictus")
FA = Candidate("fralsningsarmen", "Frälsningsarmén")
NG = Candidate("ny-gemenskap", "Ny Gemenskap")
SOF_2025_144 = [CITY, CONVICTUS, FA, NG, SSM]


def keys(query: str) -> list[str]:
    return [c.key for c in match_party(SOF_2025_144, query)]


def test_words_fold_case_punctuation_and_marks() -> None:
    assert words("Stockholms stad, Socialförvaltningen") == (
        "stockholms",
        "stad",
        "socialforvaltningen",
    )
    assert words("ny-gemenskap") == ("ny", "gemenskap")
    assert words("  ") == ()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A whole word: the city, not the Stadsmission.
        ("Stockholms stad", ["stockholms-stad"]),
        ("stockholms STAD", ["stockholms-stad"]),
        ("Stockholms stadsmission", ["stockholms-stadsmission"]),
        # Aliases from the partnership file.
        ("staden", ["stockholms-stad"]),
        ("Socialförvaltningen", ["stockholms-stad"]),
        ("förvaltningen", ["stockholms-stad"]),
        # Keys, names, without the marks, and the beginnings of words.
        ("convictus", ["convictus"]),
        ("fralsningsarmen", ["fralsningsarmen"]),
        ("Frälsnings", ["fralsningsarmen"]),
        ("ny gemenskap", ["ny-gemenskap"]),
        ("Stadsm", ["stockholms-stadsmission"]),
        # Ambiguous: both begin with "Stockholms".
        ("Stockholms", ["stockholms-stad", "stockholms-stadsmission"]),
        # Nothing.
        ("Röda korset", []),
        ("", []),
    ],
)
def test_match(query: str, expected: list[str]) -> None:
    assert keys(query) == expected


def test_a_whole_word_beats_the_beginning_of_one() -> None:
    # "stad" is a word of the city's name and only the beginning of "Stadsmission".
    assert keys("stad") == ["stockholms-stad"]
    # An exact alias wins even where the words are also found elsewhere.
    other = Candidate("x", "Staden i staden")
    assert [c.key for c in match_party([CITY, other], "staden")] == ["stockholms-stad"]


def test_examples_carry_aliases() -> None:
    for name in ("sof-2025-144.toml", "sof-2023-202.toml"):
        spec = load_partnership_file(EXAMPLES / name)
        city = spec.party("stockholms-stad")
        assert "staden" in city.aliases and "socialförvaltningen" in city.aliases


def test_an_alias_naming_another_party_is_refused(tmp_path: Path) -> None:
    text = (EXAMPLES / "sof-2025-144.toml").read_text(encoding="utf-8")
    text = text.replace(
        'aliases = ["staden", "socialförvaltningen", "förvaltningen"]',
        'aliases = ["staden", "Convictus"]',
    )
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PartnershipFileError) as error:
        load_partnership_file(path)
    assert "alias 'Convictus' also names the party 'convictus'" in str(error.value)
