"""Script entry points: code of a module that only runs when someone executes it by hand.

Two shapes count:

- the body of a top-level ``if __name__ == "__main__":`` block;
- a *CLI coroutine*: an undecorated ``async def`` (top-level, or nested in a function or
  in the guard; not a method) of a module that is run as a program (it has a
  ``__main__`` guard) and does not import FastAPI or Starlette, which the module starts
  with ``asyncio.run(f(...))`` (or ``anyio.run(f)`` / ``trio.run``) from the guard or
  from a sync top-level function (an argparse ``main()``, a worker it calls), and the
  ``async def`` functions a CLI coroutine uses in turn: awaited, or handed on
  (``asyncio.wait_for(g(...))``, ``create_task``, ``gather``, ``start_soon(g)``). Its
  event loop serves nobody else.

A coroutine that anything else in the module also names (another ``async def`` that is
not a CLI coroutine, such as a decorated route, a method, module-level code that
registers it, a sync function that does not just start it) is not a CLI coroutine, nor
is what only it reaches. Only this module is read: an ``async def`` another module
imports and awaits from a route is not seen (when the evidence is only a script's own
wiring, the linter says nothing).
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


def _started_name(call: ast.Call) -> ast.Name | None:
    """The name ``f`` of ``asyncio.run(f(...))`` / ``anyio.run(f, ...)``, else ``None``."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "run"
            and isinstance(func.value, ast.Name) and func.value.id in _RUNNERS and call.args):
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Call):
        arg = arg.func
    return arg if isinstance(arg, ast.Name) else None


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
    """Local qualnames (``worker.bounded``) of the module's ``async def`` functions that
    only a script runs."""
    if _memo and _memo[0][0] is tree:
        return _memo[0][1]
    result = _cli_coroutines(tree)
    _memo[:] = [(tree, result)]
    return result


def _cli_coroutines(tree: ast.Module) -> frozenset[str]:
    guards = main_guards(tree)
    if not guards or _imports_web(tree):
        return frozenset()
    scan = _Scan(tree, guards)
    banned: set[str] = set()
    while True:  # the closure over what the script's coroutines run, minus any other use
        found = {q for q in scan.started if q not in banned}
        todo = list(found)
        while todo:  # a coroutine a script's coroutine awaits or hands on runs on its loop
            owner = todo.pop()
            for target, chain, _ in scan.refs:
                if owner in chain and target not in found and target not in banned:
                    found.add(target)
                    todo.append(target)
        elsewhere = {
            target for target, chain, starts in scan.refs
            if target in found and not starts and not found.intersection(chain)
        }
        if not elsewhere:
            return frozenset(found)
        banned |= elsewhere


class _Scan:
    """The module's undecorated coroutine functions (not methods) by local qualname, and
    every name that refers to one: which coroutine, the qualnames of the functions the
    reference lies in (innermost last), and whether it is what a starter runs."""

    def __init__(self, tree: ast.Module, guards: list[ast.If]) -> None:
        self.refs: list[tuple[str, tuple[str, ...], bool]] = []
        self.started: set[str] = set()
        self._guards = guards
        self._starts: set[int] = set()  # ids of the names a runner call in a starter runs
        self._visit_body(tree, (), [_local_coroutines(tree, "")], starter=False)

    def _visit_body(self, node: ast.AST, chain: tuple[str, ...],
                    scopes: list[dict[str, str]], starter: bool) -> None:
        for child in ast.iter_child_nodes(node):
            self._visit(child, chain, scopes, starter)

    def _visit(self, node: ast.AST, chain: tuple[str, ...],
               scopes: list[dict[str, str]], starter: bool) -> None:
        if isinstance(node, ast.ClassDef):  # a method's references count, its names not
            for part in (*node.decorator_list, *node.bases, *node.keywords):
                self._visit(part, chain, scopes, starter)
            inside = (*chain, f"{chain[-1]}.{node.name}" if chain else node.name)
            for stmt in node.body:
                self._visit(stmt, inside, scopes, False)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            name = getattr(node, "name", "<lambda>")
            qualname = f"{chain[-1]}.{name}" if chain else name
            inner = (*chain, qualname)
            for part in (*getattr(node, "decorator_list", ()), *_defaults(node.args)):
                self._visit(part, chain, scopes, starter)
            if isinstance(node, ast.Lambda):
                self._visit(node.body, inner, scopes, starter)
                return
            # a top-level sync function (an argparse main) may start the script's loop
            starts = (starter or not chain) and isinstance(node, ast.FunctionDef)
            for stmt in node.body:
                self._visit(stmt, inner, [*scopes, _local_coroutines(node, qualname)], starts)
            return
        if isinstance(node, ast.If) and any(node is g for g in self._guards):
            starter = True
        if isinstance(node, ast.Call) and starter:
            name = _started_name(node)
            if name is not None:
                self._starts.add(id(name))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            target = _resolve(node.id, scopes)
            if target is not None:
                runs = id(node) in self._starts
                self.refs.append((target, chain, runs))
                if runs:
                    self.started.add(target)
        self._visit_body(node, chain, scopes, starter)


def _defaults(args: ast.arguments) -> list[ast.expr]:
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None)]


def _local_coroutines(scope: ast.AST, qualname: str) -> dict[str, str]:
    """Undecorated ``async def`` statements of ``scope`` itself (not of nested functions
    or classes): name -> local qualname."""
    found: dict[str, str] = {}
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.AsyncFunctionDef) and not node.decorator_list:
            found[node.name] = f"{qualname}.{node.name}" if qualname else node.name
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                 ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return found


def _resolve(name: str, scopes: list[dict[str, str]]) -> str | None:
    for scope in reversed(scopes):
        if name in scope:
            return scope[name]
    return None
