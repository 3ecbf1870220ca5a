from contextlib import asynccontextmanager

from fastapi import FastAPI

from shop.api import health, orders
from shop.database import async_engine, sync_engine


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await async_engine.dispose()
    sync_engine.dispose()


app = FastAPI(lifespan=lifespan)
app.include_router(orders.router)
app.include_router(health.router)
