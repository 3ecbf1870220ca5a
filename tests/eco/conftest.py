"""Fixtures for the ecosystem tests: a tiny real Alembic project written to a tmp dir."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REV_A = "a1f0c0de0001"
REV_B = "b2f0c0de0002"


@dataclass
class AlembicProject:
    """An Alembic project on disk: ``alembic.ini`` + ``migrations/`` with two revisions."""

    root: Path
    ini: Path
    revisions: tuple[str, str] = (REV_A, REV_B)


def write_alembic_project(root: Path, *, script_location: str = "migrations") -> AlembicProject:
    """Write alembic.ini, env.py and two revisions (A creates ``users``, B adds a column)."""
    root.mkdir(parents=True, exist_ok=True)
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    ini = root / "alembic.ini"
    ini.write_text(
        textwrap.dedent(
            f"""\
            [alembic]
            script_location = {script_location}
            sqlalchemy.url = driver://user:pass@localhost/dbname
            """
        )
    )
    # env.py would connect with the URL above: dbctl must never run it.
    (root / "migrations" / "env.py").write_text(
        'raise RuntimeError("env.py must not be executed by dbctl")\n'
    )
    (versions / f"{REV_A}_create_users.py").write_text(
        textwrap.dedent(
            f'''\
            """create users"""
            import sqlalchemy as sa
            from alembic import op

            revision = "{REV_A}"
            down_revision = None
            branch_labels = None
            depends_on = None


            def upgrade():
                op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))


            def downgrade():
                op.drop_table("users")
            '''
        )
    )
    (versions / f"{REV_B}_add_name.py").write_text(
        textwrap.dedent(
            f'''\
            """add name"""
            import sqlalchemy as sa
            from alembic import op

            revision = "{REV_B}"
            down_revision = "{REV_A}"
            branch_labels = None
            depends_on = None


            def upgrade():
                op.add_column("users", sa.Column("name", sa.String(100)))


            def downgrade():
                op.drop_column("users", "name")
            '''
        )
    )
    return AlembicProject(root, ini)


@pytest.fixture
def alembic_project(tmp_path: Path) -> AlembicProject:
    return write_alembic_project(tmp_path / "proj")
