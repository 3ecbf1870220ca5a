"""Entry points, version, help, start-up cost and the error edge."""

from __future__ import annotations

import subprocess
import sys

from dbctl import __version__


def _run(*code_or_args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *code_or_args], capture_output=True, text=True, timeout=60, check=False
    )


def test_version_via_python_m() -> None:
    for flag in ("--version", "-V"):
        res = _run("-m", "dbctl", flag)
        assert res.returncode == 0
        assert res.stdout.strip() == f"dbctl {__version__}"


def test_no_args_shows_help() -> None:
    res = _run("-m", "dbctl")
    assert "Usage" in res.stdout + res.stderr
    assert res.returncode in (0, 2)


HEAVY = ("sqlalchemy", "asyncpg", "asyncio")
PROBE = """
import sys
sys.argv = ["dbctl", *{args!r}]
from dbctl.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


def _heavy_modules(*args: str) -> str:
    res = _run("-c", PROBE.format(args=list(args), heavy=set(HEAVY)))
    line = [ln for ln in res.stderr.splitlines() if ln.startswith("HEAVY:")]
    assert line, res.stderr
    return line[-1].removeprefix("HEAVY:")


def test_help_and_version_do_not_import_sqlalchemy_or_asyncpg() -> None:
    assert _heavy_modules("--help") == ""
    assert _heavy_modules("--version") == ""
    assert _heavy_modules("config", "--help") == ""


def test_unexpected_error_is_one_line_and_debug_shows_traceback(monkeypatch, cli) -> None:  # type: ignore[no-untyped-def]
    import dbctl.cli.config as config_cli

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(config_cli, "load", boom)
    res = cli("config")
    assert res.exit_code == 2
    assert "internal error: RuntimeError: kaboom" in res.stderr
    assert "--debug" in res.stderr and "Traceback" not in res.stderr
    res = cli("--debug", "config")
    assert "Traceback" in res.stderr and "kaboom" in res.stderr
