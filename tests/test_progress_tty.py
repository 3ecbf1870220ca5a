"""Progress covers the whole operation: on a terminal, the bar of seed / init-db is followed
by what the server is still doing (inserting, committing) until the command is done —
never with -q, never in a machine format, never when stderr is not a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.db

SHOW_CURSOR = "\x1b[?25h"  # rich hides the cursor while it draws and shows it when it stops


def on_a_terminal(args: list[str], cwd: Path, timeout: float = 120) -> tuple[int, str, str]:
    """Run dbctl with stderr on a pseudo-terminal, stdout piped: (exit code, stdout, what the
    terminal received)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    env.update(TERM="xterm-256color", COLUMNS="160")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbctl", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, cwd=cwd, env=env,
    )  # fmt: skip
    os.close(slave)
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            received += data
        else:
            proc.kill()
            pytest.fail(f"dbctl {' '.join(args)} did not end within {timeout} s")
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        code = proc.wait(timeout=30)
    finally:
        os.close(master)
    return code, out, received.decode(errors="replace")


def _init(pg: Any, tmp_path: Path) -> None:
    code, out, _ = on_a_terminal(["init-db", "--url", pg.url, "-q"], tmp_path)
    assert code == 0 and out.startswith("1 created"), out


def test_fake_rows_bar_then_writing_then_committing_then_gone(pg: Any, tmp_path: Path) -> None:
    _init(pg, tmp_path)
    args = ["seed", "--fake", "20000", "--table", "users", "--url", pg.url]
    code, out, tty = on_a_terminal(args, tmp_path)
    assert code == 0, tty
    assert out.startswith("public.users: 20000 inserted, 0 skipped"), out
    bar = tty.find("fake rows → users")
    writing = tty.find("writing 20000 rows into users (updating indexes)")
    committing = tty.find("committing")
    assert -1 < bar < writing < committing, tty
    assert tty.rstrip("\r\n").endswith(SHOW_CURSOR) or tty.rfind(SHOW_CURSOR) > committing
    # the display is gone once the command is: nothing is drawn after the cursor comes back
    tail = tty[tty.rfind(SHOW_CURSOR) :]
    assert "committing" not in tail and "rows" not in tail, repr(tail)
    assert pg.sql("SELECT count(*) FROM users")[0][0] == 20000


def test_init_db_seed_shows_inserting_and_committing(pg: Any, tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text(
        "id,name\n" + "".join(f"{i},user {i}\n" for i in range(1, 2001))
    )
    code, out, tty = on_a_terminal(
        ["init-db", "--url", pg.url, "--seed", "users.csv"], tmp_path
    )
    assert code == 0, tty
    assert "public.users: 2000 inserted" in out
    inserting = tty.find("inserting 2000 rows into users (checking keys, updating indexes)")
    assert -1 < tty.find("users.csv → users") < inserting < tty.find("committing"), tty
    assert tty.rfind(SHOW_CURSOR) > tty.find("committing")


@pytest.mark.parametrize("flags", [["-q"], ["--format", "json"]])
def test_no_progress_with_quiet_or_a_machine_format(
    pg: Any, tmp_path: Path, flags: list[str]
) -> None:
    _init(pg, tmp_path)
    code, out, tty = on_a_terminal(
        ["seed", "--fake", "5000", "--table", "users", "--url", pg.url, *flags], tmp_path
    )
    assert code == 0 and out
    assert tty == "", repr(tty)
