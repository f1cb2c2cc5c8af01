"""The fonts every document embeds: DejaVu Sans, as shipped inside matplotlib.

Why this font and this package: the protokoll and the activity report must render every name
exactly (Ştefan, Łódź, Nguyễn, Ålund) and be archivable as PDF/A, which needs embedded fonts.
fpdf2's core fonts are Latin-1 only. DejaVu Sans covers Latin Extended-A/B and Vietnamese, has
regular, bold, oblique and bold-oblique faces, and matplotlib (already the project's plotting
library for the report's charts) ships the TrueType files in its wheel, so no system package and
no extra download is needed. Charts drawn with matplotlib use the same face.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

FAMILY = "DejaVuSans"
_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}


@cache
def font_dir() -> Path:
    # Located without importing matplotlib itself (which costs a noticeable start-up time).
    spec = find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: it provides the documents' fonts")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def font_files() -> dict[str, Path]:
    """Style ("", "B", "I", "BI") → the TrueType file of that face."""
    return {style: font_dir() / name for style, name in _FILES.items()}
