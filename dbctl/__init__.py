"""dbctl: operations and diagnostics for FastAPI apps on PostgreSQL."""

__version__ = "0.2.0"

#: The distribution's name on the package index (the command stays ``dbctl``: the name
#: ``dbctl`` there belongs to an unrelated project).
DISTRIBUTION = "fastapi-dbctl"

#: The source repository, as ``[project.urls]`` in pyproject.toml names it (a test keeps
#: the two equal); SARIF ``helpUri`` links and the docs point into it.
REPOSITORY = "https://github.com/fastapi-dbctl/fastapi-dbctl"
