"""Database access: asyncpg connections, catalog queries, error translation, model loading.

Everything talks to PostgreSQL through asyncpg (COPY speed, no SQLAlchemy start-up cost),
except ``init-db``, which runs SQLAlchemy's ``create_all`` on an async engine whose
connections come from :func:`dbctl.db.connect.connect` (``dbctl.db.engine``).

Importing this package is cheap; asyncpg and SQLAlchemy are imported by the
functions that need them.
"""
