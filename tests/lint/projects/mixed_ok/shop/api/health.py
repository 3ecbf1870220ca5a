import psycopg2
import psycopg
from fastapi import APIRouter
from psycopg_pool import AsyncConnectionPool

from shop.config import DATABASE_URL

router = APIRouter()
pool = AsyncConnectionPool(DATABASE_URL.replace("+asyncpg", ""), open=False)


@router.get("/health")
async def health():
    try:
        async with pool.connection() as conn:
            await conn.execute("select 1")
    except psycopg2.OperationalError:  # imported for its exception class only
        return {"db": "down"}
    except psycopg.OperationalError:
        return {"db": "down"}
    return {"db": "up"}


@router.get("/health/direct")
async def health_direct():
    conn = await psycopg.AsyncConnection.connect(DATABASE_URL.replace("+asyncpg", ""))
    async with conn:
        await conn.execute("select 1")
    return {"db": "up"}
