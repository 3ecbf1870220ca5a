"""dbctl: operations and diagnostics for FastAPI apps on PostgreSQL."""

__version__ = "0.1.0"
