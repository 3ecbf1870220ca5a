"""A repository holding a sync psycopg 3 pool."""

import psycopg_pool

from app.models import User


class BaseRepository:
    def __init__(self, dsn: str) -> None:
        self.pool = psycopg_pool.ConnectionPool(dsn, min_size=1)

    def close(self) -> None:
        self.pool.close()


class UserRepository(BaseRepository):
    def list_users(self) -> list[User]:
        with self.pool.connection() as conn:
            rows = conn.execute("select id, email from users").fetchall()
        return [User(id=r[0], email=r[1]) for r in rows]

    def get(self, user_id: int) -> User | None:
        with self.pool.connection() as conn:
            row = conn.execute("select id, email from users where id = %s", (user_id,)).fetchone()
        return User(id=row[0], email=row[1]) if row else None
