"""The progress bar appears only when stderr is a terminal."""

from __future__ import annotations

import io

import pytest

from dbctl import output
from dbctl.output import data


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    output.reset()
    assert data.progress_sink() is None


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console  # noqa: TID251 - a terminal console for the test

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=80)
    monkeypatch.setattr(data, "stderr", lambda: console)
    sink = data.progress_sink()
    assert sink is not None
    sink.start("users.csv → users", 100)
    sink.advance(60)
    sink.stop()
    sink.stop()  # idempotent
    assert "users.csv" in buffer.getvalue()
