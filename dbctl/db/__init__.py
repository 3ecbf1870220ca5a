"""Database access: connections and engines, error translation, model loading.

Importing this package is cheap; asyncpg and SQLAlchemy are imported by the
functions that need them.
"""
