"""Script entry points: code of a module that only runs when someone executes it by hand.

Two shapes count:

- the body of a top-level ``if __name__ == "__main__":`` block;
- a *CLI coroutine*: a top-level, undecorated ``async def`` of a module that is run as a
  program (it has a ``__main__`` guard) and does not import FastAPI or Starlette, which
  the module only starts with ``asyncio.run(f(...))`` (or ``anyio.run(f)`` / ``trio.run``)
  from the guard or from a sync top-level function (an argparse ``main()``), and the
  ``async def`` functions those await in turn. Its event loop serves nobody else.

Only this module is read: an ``async def`` another module imports and awaits from a route
is not seen (when the evidence is only a script's own wiring, the linter says nothing).
"""

from __future__ import annotations

import ast

_RUNNERS = frozenset({"asyncio", "anyio", "trio", "uvloop"})
_WEB = frozenset({"fastapi", "starlette"})


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def main_guards(tree: ast.Module) -> list[ast.If]:
    """The module's top-level ``if __name__ == "__main__":`` statements."""
    return [s for s in tree.body if isinstance(s, ast.If) and _is_main_test(s.test)]


def under_main_guard(tree: ast.Module, node: ast.AST) -> bool:
    """``node`` lies in the body of a top-level ``__main__`` guard."""
    return any(n is node for guard in main_guards(tree) for n in ast.walk(guard))


def _started(call: ast.Call) -> str | None:
    """``f`` of ``asyncio.run(f(...))`` / ``anyio.run(f, ...)``, else ``None``."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "run"
            and isinstance(func.value, ast.Name) and func.value.id in _RUNNERS and call.args):
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Call):
        arg = arg.func
    return arg.id if isinstance(arg, ast.Name) else None


def _imports_web(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name.split(".", 1)[0] in _WEB for a in node.names):
                return True
        elif (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
              and node.module.split(".", 1)[0] in _WEB):
            return True
    return False


#: the last module asked about and its answer (rules ask once per call in ``async def``)
_memo: list[tuple[ast.Module, frozenset[str]]] = []


def cli_coroutines(tree: ast.Module) -> frozenset[str]:
    """Names of the module's top-level ``async def`` functions that only a script runs."""
    if _memo and _memo[0][0] is tree:
        return _memo[0][1]
    result = _cli_coroutines(tree)
    _memo[:] = [(tree, result)]
    return result


def _cli_coroutines(tree: ast.Module) -> frozenset[str]:
    guards = main_guards(tree)
    if not guards or _imports_web(tree):
        return frozenset()
    coroutines = {
        s.name: s for s in tree.body
        if isinstance(s, ast.AsyncFunctionDef) and not s.decorator_list
    }
    starters: list[ast.AST] = [*guards]
    starters += [s for s in tree.body if isinstance(s, ast.FunctionDef)]
    found: set[str] = set()
    for starter in starters:
        for node in ast.walk(starter):
            if isinstance(node, ast.Call):
                name = _started(node)
                if name in coroutines:
                    found.add(name)
    todo = list(found)
    while todo:  # the coroutines a CLI coroutine awaits run on the same private loop
        for node in ast.walk(coroutines[todo.pop()]):
            if (isinstance(node, ast.Await) and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name)
                    and node.value.func.id in coroutines and node.value.func.id not in found):
                found.add(node.value.func.id)
                todo.append(node.value.func.id)
    return frozenset(found)
