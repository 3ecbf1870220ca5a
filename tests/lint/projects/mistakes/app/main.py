from fastapi import FastAPI

from app.api.users import router
from app.db import async_engine
from app.models import Base

app = FastAPI()
app.include_router(router)


@app.on_event("startup")
async def startup():
    Base.metadata.create_all(async_engine)


@app.on_event("shutdown")
async def shutdown():
    async_engine.dispose()
