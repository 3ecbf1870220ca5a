"""Two engines on purpose: async for the API, sync for reports and the scheduler."""

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from shop.config import DATABASE_URL, SYNC_DATABASE_URL

# the async engine, built by wrapping (valid: AsyncEngine(create_engine(...)))
async_engine = AsyncEngine(create_engine(DATABASE_URL, pool_size=5))
AsyncSessionLocal = async_sessionmaker(async_engine, expire_on_commit=False)

# the sync engine: only plain-def routes, reports and jobs use it
sync_engine = create_engine(SYNC_DATABASE_URL, pool_pre_ping=True)
SyncSessionLocal = sessionmaker(bind=sync_engine)


def get_sync_db():
    db: Session = SyncSessionLocal()
    try:
        yield db
    finally:
        db.close()


async def get_async_db():
    async with AsyncSessionLocal() as session:
        yield session
