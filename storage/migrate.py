"""Apply Alembic migrations programmatically (at bot start and in tests).

At start the database is nearly always at the newest revision already. Asking Alembic would
import it (and Mako, and every dialect's DDL module) and load every migration script, about a
second on a small machine, to do nothing; `at_head` answers that question with one query and the
revision ids read from the scripts' source, and only a database that is not at head (or a
question it cannot answer) goes to Alembic.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def upgrade_unless_at_head(engine: Engine) -> bool:
    """`upgrade(engine)` when the database is not known to be at head; True when it ran."""
    if at_head(engine):
        return False
    upgrade(engine)
    return True


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def at_head(engine: Engine) -> bool:
    """True only when the database's one recorded revision is the scripts' one head. False when
    in doubt (no version table, several rows, a script read differently than expected): the
    caller then asks Alembic, which decides."""
    head = script_head()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except Exception:  # no table yet, or the database is not reachable: Alembic says which
        return False
    return [row[0] for row in rows] == [head]


@cache
def script_head() -> str | None:
    """The one head of the migration scripts, read with `ast` from their `revision` and
    `down_revision` assignments (what Alembic reads them for); None unless every script has
    both as literals and exactly one revision is nobody's down_revision."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found: dict[str, object] = {}
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, SyntaxError, ValueError):
            return None
        for node in tree.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                name, value = node.target.id, node.value
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                name, value = node.targets[0].id, node.value
            else:
                continue
            if name in ("revision", "down_revision") and value is not None:
                try:
                    found[name] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision, down = found.get("revision"), found.get("down_revision", ...)
        if not isinstance(revision, str) or down is ...:
            return None
        revisions.add(revision)
        if isinstance(down, str):
            downs.add(down)
        elif isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
            downs.update(down)  # type: ignore[arg-type]
        elif down is not None:
            return None
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None
