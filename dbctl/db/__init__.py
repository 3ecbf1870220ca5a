"""Database access: asyncpg connections, catalog queries, error translation, model loading.

Everything talks to PostgreSQL through asyncpg (COPY speed, no SQLAlchemy start-up cost);
SQLAlchemy is used only to load the app's models and render their DDL.

Importing this package is cheap; asyncpg and SQLAlchemy are imported by the
functions that need them.
"""
