# The database setup most beginner tutorials show. It works on a laptop, and every
# line marked "pitfall" is something `dbctl lint` reports (see README.md).
import os

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import declarative_base, sessionmaker

# pitfall DBC203: the fallback keeps a real password in the source
DATABASE_URL = os.getenv(
    "DATABASE_URL", "postgresql+asyncpg://postgres:password123@localhost:5432/tutorial"
)

# pitfall DBC303: echo=True logs every statement and its parameters in production
engine = create_async_engine(DATABASE_URL, echo=True)

# pitfalls DBC302 + DBC304: sessionmaker with class_=AsyncSession, objects expire on commit
SessionLocal = sessionmaker(engine, class_=AsyncSession)

Base = declarative_base()


def create_tables():
    # pitfall DBC106: create_all on an AsyncEngine fails ("run `python database.py` once")
    Base.metadata.create_all(engine)


if __name__ == "__main__":
    create_tables()
