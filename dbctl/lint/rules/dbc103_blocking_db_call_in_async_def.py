"""DBC103 blocking-db-call-in-async-def."""

from __future__ import annotations

import ast
from typing import ClassVar

from dbctl.lint.entrypoints import cli_coroutines
from dbctl.lint.model import Severity
from dbctl.lint.rule import Rule
from dbctl.lint.semantic.conditions import Args, SyncIO, SyncIOMethod, SyncIOValue
from dbctl.lint.semantic.kinds import Res
from dbctl.lint.semantic.model import FileContext
from dbctl.lint.semantic.nodes import arg_or_keyword
from dbctl.lint.semantic.vocabulary import (
    DDL_METHODS,
    DDL_SYNC_BINDS,
    INSPECT,
    INSPECT_BLOCKS_ON,
    SYNC_IO_KINDS_BY_METHOD,
    is_library,
    sqla_last,
)


class BlockingDbCallInAsyncDef(Rule):
    """
    ## What it does
    Flags synchronous database I/O inside `async def`: calls on a sync `Session`,
    `Connection`, engine or DB-API cursor, and calls to project functions that do such
    I/O themselves or through other project functions (across modules).

    It follows a session, connection, cursor, pool or engine wherever its kind shows:
    a constructor or factory call (also called on the spot, `sessionmaker(bind=e)()`),
    a parameter annotated with SQLAlchemy's `Session`, `Connection`, `Engine`,
    `scoped_session` or a sync driver's class (`psycopg.Connection`,
    `psycopg2.extensions.cursor`, `psycopg_pool.ConnectionPool`, …), a helper's return
    annotation (`def get_session() -> Session`, `Iterator[Session]`), a FastAPI
    dependency, an attribute assigned elsewhere (`self.session`, `request.state.db` set
    in middleware, `app.state.pool` set in the lifespan), methods of project classes
    (`repo.list_users()` whose `__init__` opened a sync pool; what any method assigns
    to `self` counts, e.g. a store without `__init__` whose `init_db()` opens the engine
    and session factory, and a member assigned in two branches may hold either value),
    a callable chosen by a conditional expression (`(read if ro else write)()`) or
    looked up in a module-level dict (`HANDLERS[key](…)`, `HANDLERS.get(key)`, a loop
    over `HANDLERS.values()`, `next(h for k, h in HANDLERS.items() if …)`, also when a
    dict comprehension over literal pairs builds it), class
    attributes declared
    in the class body (`session_maker: ClassVar[sessionmaker]`, also through a type alias),
    reflection (`sqlalchemy.inspect(engine)`, `.get_table_names()`) and DDL
    (`metadata.create_all(engine)`), across modules. Functions passed around as values
    count too: a sync closure a factory returns and async code calls
    (`requires_access(...)(request)`), a function or bound method passed as a callback
    and called through the parameter, and an unannotated parameter is whatever the
    application's callers pass (tests and migrations do not count); a parameter's
    annotation keeps its kind when the function reassigns it. A value checked with
    `if not isinstance(x, C): raise`, `assert isinstance(x, C)` or a validating helper
    called first (`validate_store(store)`) is a `C` afterwards, and a mixin's methods see
    what the class that mixes it in sets on `self`. Reading a property runs its getter
    (`Config().store` that builds and migrates a store on first read, also read as a
    call's argument, `str(config.deployment_id)`), and a property that returns a handle
    (`self.engine`) is that handle. The properties read while a getter runs (in its body
    or in a function it calls) are taken as values built already: their getters are not
    followed, but the methods the getter calls on their values are
    (`Config().store.get_deployment_id()` inside a `deployment_id` getter). A member of
    `self` built lazily (`if self._store is None: self._store = Store(url)`, also
    `if not self._ready:` and the guard's later conditions, `if self._t is None and url:`)
    is built by the object's construction when its `__init__`, or a method of its own
    that `__init__` calls, may build or assign it: later calls only hand it out and are
    not followed into the build (a store built at start-up, fetched by request handlers),
    while constructing the object in async code is reported. A member the construction
    leaves unset (`None`, `False`, an empty container, a parameter that defaults to
    `None`) is built by its first caller, which is reported. Not followed: a build the
    construction skips at run time (its condition does not hold) that a later call then
    does, and a construction step called again later (`obj._bind()` from outside). A project
    class derived from a database class (`class TimedSession(sqlmodel.Session)`) is that
    class. A call of an abstract method (`@abstractmethod`,
    or a body that is only a docstring, `pass`, `...` or `raise NotImplementedError`) on
    `self` or a base-typed value may run any override in the project's subclasses, and
    blocks if one of them does. A class chosen at run time (`cls = get_store_class(t)`, a
    `-> type[Store]` annotation, a class passed as an argument) runs its `__init__` when
    called. Containers on an instance count: `self.registry[key] = builder` (also a dict
    assigned to the attribute) makes `builder` one of its elements, `self.registry[key]`
    and `.get(key)` give any of them, and a builder passed to the method that stores it is
    whatever the callers of that method on that registry class pass; calling a value, or
    a method on it, may run any function it may be. A helper that queries only when its
    caller hands it a handle does no I/O for a call that leaves that parameter out:
    `def get_item(item_id, items=None, db=None)` whose query runs under `if db:`,
    `if db is not None:` (also `if db and …`), in the `else` of `if not db:` or after
    `if db is None: return` is not reported for `get_item(item_id, items)`, and is for
    `get_item(item_id, items, session)`, `get_item(item_id, db=session)` and a call that
    may pass it through `*args` or `**kwargs`; `get_item(item_id, db=None)` is not. The
    default must be `None` (or `False`, `0`, `""` for a plain truth test), the helper must
    not rebind the parameter nor be decorated (a decorator may pass it). This holds
    down the call chain, for calls made anywhere on the way: a sync function that calls
    `respond(messages)` without `store`, where `respond` hands its `store=None` on
    (`run_calls(messages, store=store)`, positionally too) to a function that only saves
    under `if store is not None:`, does no I/O through that call; a `**kwargs` passed on,
    a rebound or decorated function on the way makes it count all it may do, and so
    does a function more than eight such calls deep. An awaited
    call is never reported, nor are the `Async*` classes; when the only evidence is a
    name (`db.query()` with `db` unannotated), nothing is.

    Annotations are read as a type checker reads them: `Union[A, B]` and `Optional[A]`
    (from `typing`, a module alias or `typing_extensions`) like `A | B`, and forward
    references as strings, also inside a union (`Union["BaseDb", "AsyncBaseDb", None]`).
    A value of a union type may be any member: a call on it is reported when it blocks
    for one of them (with `Union[Session, AsyncSession]`, `db.commit()` not awaited blocks
    when `db` is the `Session`; the usual shape is the sync branch of an `isinstance`
    dispatch). Tuple unpacking of a call whose return annotation names the elements
    (`db, uid = await resolve(...)` with `-> tuple[Db, str | None]`) gives each target
    its element's kind, kept like a parameter's annotation when the name is reassigned
    (`db = cast(AsyncDb, db)` in the async branch). A call used as an `async with`
    context manager (`async with engine.begin()`) is awaited: its receiver is async.

    Containers whose elements are known are followed where they are stored: a local or
    a member declared `dict[str, list[Db]]` (or `List`, `Sequence`, `Mapping`, `tuple[T,
    ...]`, … from `typing`, `collections.abc` or the builtins), a list, set or dict
    display, a comprehension, `list(x)` / `sorted(x)` / `set(x)`, `itertools.chain(a, b)`
    and `chain.from_iterable(x)`. Iterating one (`for db in …`, `.values()`, the value of
    `.items()`, `enumerate(…)`, in a loop or a comprehension), `.get(key)` or a subscript
    gives any of its elements, also through an instance member assigned in another
    method (`unique = list({id(db): db for db in chain(chain.from_iterable(
    self.dbs.values()), …)}.values())` then `for db in unique: db._create_all_tables()`).
    A mapping iterated as it is gives its keys, a tuple of mixed kinds (`(store, name)`)
    is not a container of either, and a container whose elements are not known gives
    nothing; a parameter's or a return value's container annotation is not read.

    ## Why is this bad?
    The call blocks the event loop until PostgreSQL answers; under load every other
    request stalls behind it. Passing the function to `run_in_threadpool` /
    `asyncio.to_thread` (not calling it) is the escape hatch and is not flagged. An
    `async def` that only the module's own command line runs (`asyncio.run(...)` from an
    argparse `main()` or the `__main__` block, no FastAPI/Starlette import; see DBC101)
    is not flagged either, nor one that such a coroutine awaits or hands on
    (`asyncio.wait_for(execute(...))`, `create_task`) or that a worker function defines
    and runs with `asyncio.run`. A coroutine that anything else in the module also uses
    (a route, a method, a registration) is flagged.

    ## Example
    ```python
    from sqlalchemy.orm import Session

    async def get_user(db: Session, user_id: int):
        return db.get(User, user_id)
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession

    async def get_user(db: AsyncSession, user_id: int):
        return await db.get(User, user_id)
    ```
    """

    code: ClassVar[str] = "DBC103"
    name: ClassVar[str] = "blocking-db-call-in-async-def"
    category: ClassVar[str] = "correctness"
    severity: ClassVar[Severity] = Severity.error
    node_types: ClassVar[tuple[type[ast.AST], ...]] = (ast.Call,)
    triggers: ClassVar[tuple[bytes, ...]] = (b"async",)

    @classmethod
    def check(cls, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.Call)
        fn = ctx.function
        if fn is None or not fn.is_async or ctx.is_alembic:
            return
        if fn.qualname in cli_coroutines(ctx.tree):
            return  # a script's own event loop (asyncio.run from its main)
        if id(node) in ctx.awaited:  # an awaited call is never a blocking sync call
            return
        where = f"inside `async def {fn.qualname}`"
        func = node.func
        canon = ctx.canonical(func)
        if isinstance(func, ast.Attribute):
            if func.attr in DDL_METHODS:
                kind = ctx.kind_of(arg_or_keyword(node, 0, "bind"))
                ctx.check_kind(
                    cls, node, f"`{func.attr}()` on a sync engine blocks the event loop {where}",
                    kind, DDL_SYNC_BINDS, any_member=True,
                )
                return
            base = ctx.kind_of(func.value)
            kinds = SYNC_IO_KINDS_BY_METHOD.get(func.attr)
            if kinds and base is not None:
                ctx.check_kind(
                    cls, node, f"blocking database call `.{func.attr}()` on a sync "
                    f"{_what(func.attr)} {where}", base, kinds, any_member=True,
                )
            if canon is None and base is not None and not isinstance(base, Res):
                ctx.defer(  # a method of a project class that does the I/O
                    cls, node, f"`.{func.attr}()` does blocking database I/O and is called "
                    f"{where}", [SyncIOMethod(base, func.attr, Args.of(node))],
                )
        elif canon is None:  # a value called: a closure a factory returned, a callback
            value = ctx.kind_of(func)
            if value is not None and not isinstance(value, Res):
                ctx.defer(
                    cls, node, f"`{_callee_text(func)}` runs a sync function that does "
                    f"blocking database I/O {where}", [SyncIOValue(value, Args.of(node))],
                )
            return
        if canon is None or is_library(canon):
            if sqla_last(canon) == INSPECT:  # sqlalchemy.inspect(engine) connects
                ctx.check_kind(
                    cls, node, f"`inspect()` of a sync engine connects and blocks the event "
                    f"loop {where}", ctx.kind_of(arg_or_keyword(node, 0, "subject")),
                    INSPECT_BLOCKS_ON, any_member=True,
                )
            return
        short = canon.rsplit(".", 1)[-1]
        ctx.defer(
            cls, node, f"`{short}()` does blocking database I/O and is called {where}",
            [SyncIO(canon, Args.of(node))],
        )


def _callee_text(func: ast.expr) -> str:
    """``name(…)`` / ``factory(…)(…)`` for a message."""
    if isinstance(func, ast.Name):
        return f"{func.id}(…)"
    if isinstance(func, ast.Call):
        return f"{_callee_text(func.func)}(…)"
    if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name):
        return f"{func.value.id}[…](…)"
    return "(…)(…)"


def _what(method: str) -> str:
    """What the receiver of a blocking method is, as far as the method name tells."""
    kinds = SYNC_IO_KINDS_BY_METHOD[method]
    if kinds <= {Res.DRIVER_POOL}:
        return "connection pool"
    if kinds <= {Res.SYNC_INSPECTOR}:
        return "inspector"
    return "session/connection"
