"""Seed the database (run by hand: python scripts/seed.py). Sync on purpose."""

import os

import psycopg2
from sqlalchemy import create_engine, text

SYNC_URL = os.environ.get("DATABASE_URL_SYNC", "postgresql+psycopg2://app@localhost/app")


def seed() -> None:
    engine = create_engine(SYNC_URL)
    with engine.begin() as conn:
        conn.execute(text("insert into users (email) values ('a@example.com')"))
    raw = psycopg2.connect(os.environ["DSN"])
    with raw.cursor() as cur:
        cur.execute("select count(*) from users")
    raw.close()


if __name__ == "__main__":
    seed()
