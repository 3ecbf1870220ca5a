from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shop import reports
from shop.database import SyncSessionLocal, get_async_db, get_sync_db

router = APIRouter()


@router.get("/orders")
async def list_orders(session: AsyncSession = Depends(get_async_db)):
    result = await session.execute(text("select id from orders"))
    return result.scalars().all()


@router.get("/reports/sales")
def sales(db: Session = Depends(get_sync_db)):  # plain def: FastAPI runs it in a threadpool
    return {"total": reports.sales_total(db)}


def _top_report(limit: int):
    with SyncSessionLocal() as db:
        return reports.top_products(db, limit)


@router.get("/reports/top")
async def top():
    # the sync work is handed to a thread, not run on the event loop
    rows = await run_in_threadpool(_top_report, 5)
    return [r.name for r in rows]
