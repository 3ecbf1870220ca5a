import os

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg2://app@db/app")
ASYNC_DATABASE_URL = os.environ.get("ASYNC_DATABASE_URL", "postgresql+asyncpg://app@db/app")
REPORTS_DSN = os.environ.get("REPORTS_DSN", "dbname=reports")
