"""Resolves handles at run time from a plugin registry: nothing here says their type."""

_REGISTRY: dict[str, object] = {}


def lookup_session():
    return _REGISTRY["session"]


def lookup_connection(name: str):
    return _REGISTRY[name]
