"""Async logic per command. Returns result dataclasses; never prints, never imports typer/rich."""
