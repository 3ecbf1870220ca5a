"""Faithful reading of seed files: YAML by the YAML 1.2 core schema, bounded.

PyYAML's ``safe_load`` follows YAML 1.1: ``no``/``on`` become booleans, ``0x1F`` and
``1_000`` integers, ``2024-01-01`` a date, and ``!!binary`` bytes. Seed files are data for
typed columns, so dbctl reads them with a ``SafeLoader`` whose implicit resolvers are the
YAML 1.2 core schema's: ``null``/``~``/empty, ``true``/``false`` (any case form the spec
lists), decimal integers, floats (``.inf``, ``.nan``) — everything else stays a string,
which :func:`dbctl.core.seed.coerce` then converts when the column's type says so (an
integer column takes ``0x1F``). No Python tags (SafeLoader refuses them), no ``!!binary``
or other explicit types beyond the core ones. Aliases are expanded lazily by whoever walks
the data, so the expanded size is bounded before anything walks it: a few hundred bytes of
nested aliases cannot become gigabytes.
"""

from __future__ import annotations

import re
from typing import IO, Any

#: expanded YAML nodes allowed per byte of the file (plus a floor): aliases may repeat
#: data, not multiply it
NODES_PER_BYTE = 4
NODES_FLOOR = 100_000

#: the longest CSV header line read before giving up (bytes)
CSV_HEADER_LIMIT = 1 << 20


class InputError(ValueError):
    """A seed file that cannot be read faithfully (one line, no traceback)."""


def _loader() -> Any:
    import yaml

    class Yaml12Loader(yaml.SafeLoader):
        """SafeLoader with the YAML 1.2 core schema's implicit resolvers."""

    Yaml12Loader.yaml_implicit_resolvers = {}
    resolvers: list[tuple[str, str, str]] = [
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
        (
            "tag:yaml.org,2002:float",
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            "-+.0123456789",
        ),
        ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
    ]
    for tag, pattern, first in resolvers:
        Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])

    def construct_int(loader: Any, node: Any) -> int:
        return int(loader.construct_scalar(node))

    def construct_float(loader: Any, node: Any) -> float:
        text = str(loader.construct_scalar(node)).lower()
        if text.endswith(".inf"):
            return float("-inf") if text.startswith("-") else float("inf")
        if text == ".nan":
            return float("nan")
        return float(text)

    def refuse(loader: Any, node: Any) -> Any:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.tag} values are not supported in seed files", node.start_mark
        )

    Yaml12Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    Yaml12Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
    for tag in ("binary", "timestamp", "set", "omap", "pairs"):
        Yaml12Loader.add_constructor(f"tag:yaml.org,2002:{tag}", refuse)
    return Yaml12Loader


def load_yaml(stream: IO[str], size: int) -> Any:
    """The YAML document in ``stream`` (``size`` bytes), by the YAML 1.2 core schema.

    Raises :class:`InputError` when aliases would expand beyond the bound, and
    ``yaml.YAMLError`` for invalid YAML."""
    loader = _loader()(stream)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, NODES_FLOOR + NODES_PER_BYTE * size)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: Any, limit: int) -> None:
    """Count the nodes ``root`` expands to (aliases counted each time they are used, each
    shared node's size computed once) and refuse beyond ``limit``."""
    from yaml.nodes import MappingNode, SequenceNode

    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children: list[Any] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        if not done:
            sizes[key] = -1  # in progress (a recursive alias is refused by PyYAML already)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(max(sizes.get(id(c), 1), 1) for c in children)
        sizes[key] = total
        if total > limit:
            raise InputError(
                f"aliases expand to more than {limit:,} values (a YAML alias bomb?)"
            )
