import os

import pytest
from httpx import ASGITransport, AsyncClient

from app.main import app

TEST_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://app@localhost/app_test")


@pytest.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c
