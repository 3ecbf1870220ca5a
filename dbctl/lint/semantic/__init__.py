"""The semantic model of `dbctl lint`, in the spirit of ruff's semantic model and
flake8-async's type tracker: what the linted code binds, and what kind of database
handle each value is.

- :mod:`~dbctl.lint.semantic.kinds`: the kinds of values, a closed set of small frozen
  classes (concrete resources such as a sync engine; symbolic ones such as "module-level
  name X" or "attribute y of a value of kind K") and their one codec for the cache.
- :mod:`~dbctl.lint.semantic.vocabulary`: the library vocabulary in tables: which
  qualified names are sync engines, sessions, drivers, pools and cursors, their
  blocking and coroutine methods, what calls and attributes return.
- :mod:`~dbctl.lint.semantic.model`: one file's scopes and bindings while it is walked,
  qualified names with import aliases resolved, the kind of an expression; attribute
  targets (``self.pool``, ``request.state.db``) are bound as members of their owner.
- :mod:`~dbctl.lint.semantic.facts`: what a file tells the project (its module-level
  bindings, classes and members, and per function: role, calls, blocking calls, what it
  returns and its return annotation), cached as JSON.
- :mod:`~dbctl.lint.semantic.conditions`: the typed conditions of findings whose truth
  depends on other modules.
- :mod:`~dbctl.lint.semantic.walker`: the one pass over a file's tree.
- :mod:`~dbctl.lint.semantic.project`: the project index over every file's facts, which
  resolves kinds across modules and evaluates the conditions in one place; rules'
  ``check_project`` halves query it.
"""
