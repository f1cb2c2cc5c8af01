"""Importing partnership files: idempotent, a readable diff, nothing half-imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from bot.app import make_services
from governance.partnership_file import load_partnership_file, parse_partnership_toml
from services.partnerships import import_partnership
from storage.db import transaction
from storage.models import Administrator, Body, Partnership, Party
from tests.conftest import EXAMPLES, make_settings

ROOT = Path(__file__).resolve().parent.parent


def test_import_is_idempotent_and_reports_changes(database_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(make_settings(database_url), clock=clock)
    spec = load_partnership_file(EXAMPLES / "sof-2025-144.toml")
    with transaction(svc.session_factory) as s:
        first = import_partnership(s, spec, now=svc.now())
    assert any("new partnership SOF 2025/144" in line for line in first)
    with transaction(svc.session_factory) as s:
        assert import_partnership(s, spec, now=svc.now()) == []
        parties = s.exec(select(Party)).all()
        assert {p.org_number for p in parties} == {
            "212000-0142",
            "802012-1581",
            "802006-1688",
            "802006-1019",
            "802003-1954",
        }
        assert {b.kind: b.decision_prefix for b in s.exec(select(Body)).all()} == {
            "styrgrupp": "SG",
            "samverkansgrupp": "SVG",
        }
    text = (EXAMPLES / "sof-2025-144.toml").read_text(encoding="utf-8")
    edited = text.replace('name = "Ny Gemenskap"', 'name = "Föreningen Ny Gemenskap"').replace(
        "administrators = []", "administrators = [4242]"
    )
    changed = parse_partnership_toml(edited, "edited.toml")
    with transaction(svc.session_factory) as s:
        dry = import_partnership(s, changed, now=svc.now(), dry_run=True)
        s.rollback()
    assert any("Föreningen Ny Gemenskap" in line for line in dry)
    assert any("administrator 4242 added" in line for line in dry)
    with transaction(svc.session_factory) as s:
        assert s.exec(select(Administrator)).all() == []  # the dry run changed nothing
        import_partnership(s, changed, now=svc.now())
    with transaction(svc.session_factory) as s:
        assert s.exec(select(Administrator)).one().telegram_user_id == 4242
        assert s.exec(select(Party).where(Party.key == "ny-gemenskap")).one().name == (
            "Föreningen Ny Gemenskap"
        )
        assert len(s.exec(select(Partnership)).all()) == 1
    svc.engine.dispose()


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_import_dry_run_then_real_then_nothing(tmp_path: Path) -> None:
    example = str(EXAMPLES / "sof-2023-202.toml")
    dry = _cli(tmp_path, "import", example, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would change" in dry.stdout and "Street Minds" in dry.stdout
    real = _cli(tmp_path, "import", example)
    assert real.returncode == 0 and "changed" in real.stdout
    again = _cli(tmp_path, "import", example)
    assert again.returncode == 0 and "no changes" in again.stdout


def test_cli_refuses_a_bad_file_whole(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = (EXAMPLES / "sof-2023-202.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("802524-2879", "802524-2878"), encoding="utf-8")
    result = _cli(tmp_path, "import", str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith(f"{bad}:") for line in lines)
    assert any("parties[1].org_number" in line for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    # Nothing was imported: a later good import starts from scratch.
    good = _cli(tmp_path, "import", str(EXAMPLES / "sof-2023-202.toml"), "--dry-run")
    assert "new partnership" in good.stdout
