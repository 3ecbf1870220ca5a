"""The static linter for FastAPI + async SQLAlchemy pitfalls (never imports the code it reads)."""
