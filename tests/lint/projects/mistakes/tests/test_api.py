from sqlalchemy.ext.asyncio import create_async_engine

TEST_URL = "postgresql+asyncpg://test:T3stPass@localhost/test"


def test_engine():
    assert create_async_engine(TEST_URL)
