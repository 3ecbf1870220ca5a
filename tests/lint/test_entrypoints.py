"""What counts as a script's own event loop (dbctl.lint.entrypoints)."""

from __future__ import annotations

import ast

from dbctl.lint.entrypoints import cli_coroutines, under_main_guard

CLI = '''
import asyncio

async def helper():
    pass

async def run():
    await helper()

async def other():
    pass

def main():
    asyncio.run(run())

if "__main__" == __name__:
    main()
'''


def test_coroutines_run_by_the_command_line_and_what_they_await() -> None:
    assert cli_coroutines(ast.parse(CLI)) == {"run", "helper"}


def test_no_main_guard_no_cli() -> None:  # a library module: its main() may be anybody's
    assert cli_coroutines(ast.parse(CLI.split("if ", maxsplit=1)[0])) == frozenset()


def test_a_web_module_is_never_a_cli() -> None:
    assert cli_coroutines(ast.parse("from fastapi import FastAPI\n" + CLI)) == frozenset()
    assert cli_coroutines(ast.parse("import starlette.routing\n" + CLI)) == frozenset()


def test_decorated_coroutines_are_not_cli() -> None:
    source = CLI.replace("async def run", "@app.task\nasync def run")
    assert cli_coroutines(ast.parse(source)) == frozenset()


def test_under_main_guard() -> None:
    tree = ast.parse("x = f(1)\nif __name__ == '__main__':\n    y = f(2)\n")
    first, second = (n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert not under_main_guard(tree, first)
    assert under_main_guard(tree, second)


WORKER = '''
import asyncio

async def execute():
    await helper()

async def helper():
    pass

async def task():
    pass

def worker():
    async def bounded():
        asyncio.create_task(task())
        return await asyncio.wait_for(execute(), 60)
    return asyncio.run(bounded())

if __name__ == "__main__":
    worker()
'''


def test_a_coroutine_a_worker_defines_and_what_it_hands_on() -> None:
    assert cli_coroutines(ast.parse(WORKER)) == {"worker.bounded", "execute", "helper", "task"}


def test_a_coroutine_something_else_uses_is_not_cli() -> None:
    route = WORKER + "\n@router.get('/')\nasync def index():\n    return await execute()\n"
    assert cli_coroutines(ast.parse(route)) == {"worker.bounded", "task"}
    registered = WORKER + "\nrouter.add_api_route('/', execute)\n"
    assert cli_coroutines(ast.parse(registered)) == {"worker.bounded", "task"}
    method = WORKER + "\nclass Job:\n    async def run(self):\n        await helper()\n"
    assert cli_coroutines(ast.parse(method)) == {"worker.bounded", "execute", "task"}
