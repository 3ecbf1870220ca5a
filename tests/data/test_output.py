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


def test_table_on_a_terminal_escapes_database_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console  # noqa: TID251 - a terminal console for the test

    from dbctl.core.users import ListResult

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr(data, "stdout", lambda: console)
    rows = [{"id": 1, "name": "[bold]not markup[/bold]", "tags": ["a"], "ok": True}]
    data.UsersSink().table(ListResult("public.users", ["id", "name", "tags", "ok"], rows, None))
    text = buffer.getvalue()
    assert "[bold]not markup[/bold]" in text
    assert '["a"]' in text and "true" in text and "public.users" in text
