"""`python -m bot demo`, driven through standard input as a new administrator would type it
(issue 15 item 1): a meeting called and published, a button pressed, the .ics file saved where
it says, reminders shown when the clock moves."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from icalendar import Calendar

from fakeapi.schema import SCHEMA_PATH

ROOT = Path(__file__).resolve().parent.parent
SHARED_SCHEMA = Path("/work/shared/telegram-bot-api/api.min.json")

SCRIPT = """\
help
anna@styrgrupp: /kallelse tisdag 13 Stadshuset
press 7
press 1 as bertil
bertil@styrgrupp: hej
files
clock +6d
nobody@nowhere: /hjalp
quit
"""


@pytest.mark.slow
def test_the_demo_runs_from_standard_input(tmp_path: Path) -> None:
    result = subprocess.run(
        # Thursday 3 December 2026, 09:00: "tisdag 13" is the 8th, whatever day the test runs.
        [sys.executable, "-m", "bot", "demo", "--at", "2026-12-03T09:00"],
        cwd=tmp_path,  # no .env, no token: the demo needs neither
        input=SCRIPT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Traceback" not in out + result.stderr, out + result.stderr
    assert "Telegram would refuse" not in out
    # The draft kallelse with numbered buttons, then the published one.
    assert "> anna@styrgrupp: /kallelse tisdag 13 Stadshuset" in out
    assert "Utkast till kallelse" in out
    assert "[7] Publicera" in out
    assert "Kallelse: Styrgrupp, möte 1/2026" in out
    assert "[1] Kommer   [2] Kommer inte   [3] Kanske" in out
    # Bertil pressed Kommer: the count is edited in place.
    assert "Kommer (1): Bertil" in out
    assert "privacy mode" in out  # a plain group message is not seen by the bot
    # The invitation was saved where the demo says, and is a real calendar file.
    saved = re.findall(r"📎 \S+\.ics → (\S+)", out)
    assert len(saved) == 1, out
    assert f"  {saved[0]}  (" in out  # `files` lists it
    calendar = Calendar.from_ical(Path(saved[0]).read_bytes())
    assert str(calendar.walk("VEVENT")[0]["LOCATION"]) == "Stadshuset"
    # Moving the clock shows the reminders at their times, not marked late.
    assert "tisdag 8 december 2026 kl. 13.00" in out
    assert "Styrgrupp sammanträder i morgon" in out
    assert "Styrgrupp sammanträder om en timme" in out
    assert "Skickad sent" not in out
    assert "? no chat 'nowhere'" in out
    assert re.search(r"Stopped\. The database and the files are in /\S+", out)


def test_the_shipped_schema_is_the_official_one() -> None:
    if not SHARED_SCHEMA.exists():
        pytest.skip(f"{SHARED_SCHEMA} is not on this machine")
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads(SHARED_SCHEMA.read_text())
