"""Each benchmark runs once at a tiny size, so the benchmarks keep working. Nothing is timed here:
the figures and their targets live in bench/ and bench/RESULTS.md."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run_bench(script: str, *args: str) -> str:
    env = dict(os.environ)
    env.pop("BENCH_BOT_ROOT", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--tiny", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_interactive_benchmark_runs() -> None:
    out = run_bench("bench_interactive.py")
    assert "echo bot (baseline)" in out
    assert "bot on sqlite" in out
    assert "matched no update" not in out


def test_meeting_benchmark_runs() -> None:
    out = run_bench("bench_meeting.py")
    assert "AIORateLimiter (baseline)" in out
    assert "never (within grace): [0]" in out


def test_reminders_benchmark_runs() -> None:
    out = run_bench("bench_reminders.py")
    for part in ("(a)", "(b)", "(c)", "(d)", "(e)"):
        assert part in out
    assert "lost (target 0)                                           0" in out
