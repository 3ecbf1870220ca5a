"""Awkward input through the whole CLI: every format stays valid, no traceback, no secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from tests.conftest import CANARY

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text()
)


def make_awkward_tree(root: Path) -> None:
    (root / "nul.py").write_bytes(b"x = 1\x00\n")
    (root / "undecodable.py").write_bytes(b"x = '\xff\xfe'\n")
    (root / "latin1.py").write_bytes(
        b"# -*- coding: latin-1 -*-\n"
        b"from sqlalchemy.ext.asyncio import create_async_engine\n"
        b"# caf\xe9\n"
        b'engine = create_async_engine("postgresql+asyncpg://app:'
        + CANARY.encode()
        + b'@db/app")\n'
    )
    (root / "syntax.py").write_text("def f(:\n")
    (root / "deep.py").write_text("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    (root / "unicode dir ü").mkdir()
    (root / "unicode dir ü" / "m,o:d.py").write_text(
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        f'e = create_async_engine("postgresql+asyncpg://ü:{CANARY}@db/app")  # ünïcode\n'
    )
    (root / "alembic.ini").write_bytes(
        b"[alembic]\nsqlalchemy.url = postgresql://app:" + CANARY.encode() + b"@db/app\n\xff\n"
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_awkward_tree_every_format(cli: Any, tmp_path: Path, fmt: str) -> None:
    make_awkward_tree(tmp_path)
    res = cli("lint", "--no-cache", "--format", fmt)
    assert res.exit_code in (1, 2), res.all
    assert "Traceback" not in res.all and "internal error" not in res.all
    assert CANARY not in res.all
    if fmt == "json":
        data = json.loads(res.stdout)
        paths = {f["path"] for f in data["findings"]}
        assert {"nul.py", "syntax.py", "latin1.py", "unicode dir ü/m,o:d.py"} <= paths
        latin = [f for f in data["findings"] if f["path"] == "latin1.py"]
        assert [f["code"] for f in latin] == ["DBC201"]
    if fmt == "sarif":
        errors = list(Draft7Validator(SCHEMA).iter_errors(json.loads(res.stdout)))
        assert not errors, errors[0].message
    if fmt == "github":
        for line in res.stdout.splitlines():
            assert line.startswith(("::error ", "::warning ", "::notice ")), line
        assert "file=unicode dir ü/m%2Co%3Ad.py," in res.stdout
