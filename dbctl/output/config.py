"""Renderer for ``dbctl config``."""

from __future__ import annotations

from typing import Any

from dbctl.core.result import envelope
from dbctl.output import escape, stdout, write_json, write_text
from dbctl.settings import LoadedSettings, masked
from dbctl.urls import analyze_url


def config_data(loaded: LoadedSettings) -> dict[str, Any]:
    settings = loaded.settings
    rows = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        rows.append(
            {
                "name": name,
                "value": masked(value) if value is not None else None,
                "source": loaded.origins.get(name, "default"),
            }
        )
    problems = []
    if settings.url is not None:
        analysis = analyze_url(settings.url.get_secret_value())
        problems = [
            {"code": p.code, "severity": p.severity, "message": p.message, "hint": p.hint}
            for p in analysis.problems
        ]
    from dbctl.core.check import resolve_targets

    targets = [  # the same reading as `dbctl check`: an unusable URL is exit 2
        {"name": name, "value": masked(t.settings.url), "source": t.origins["url"]}
        for name, t in resolve_targets(loaded) or []
    ]
    return {
        **envelope(),
        "pyproject": str(loaded.pyproject) if loaded.pyproject else None,
        "env_file": str(loaded.env_file) if loaded.env_file else None,
        "settings": rows,
        "targets": targets,
        "url_problems": problems,
    }


def render_config(loaded: LoadedSettings, fmt: str) -> None:
    data = config_data(loaded)
    if fmt == "json":
        write_json(data)
        return
    shown = data["settings"] + [{**t, "name": f"targets.{t['name']}"} for t in data["targets"]]
    console = stdout()
    if console.is_terminal:
        from rich.table import Table

        table = Table(title="dbctl settings", title_justify="left")
        table.add_column("setting")
        table.add_column("value")
        table.add_column("source", style="dim")
        for row in shown:
            table.add_row(escape(row["name"]), escape(row["value"] or "-"), row["source"])
        console.print(table)
    else:
        width = max(len(r["name"]) for r in shown)
        lines = [f"{r['name']:<{width}}  {r['value'] or '-'}  ({r['source']})" for r in shown]
        write_text("\n".join(lines) + "\n")
    for p in data["url_problems"]:
        from dbctl.output import warn

        warn(f"{p['code']}: {p['message']} — {p['hint']}")
