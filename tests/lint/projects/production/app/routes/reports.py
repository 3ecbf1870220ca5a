from fastapi import APIRouter

from app.helpers import open_reports_connection

router = APIRouter(prefix="/reports")


@router.get("/count")
def count_sync():
    with open_reports_connection() as conn:
        return conn.execute("select count(*) from events").fetchone()[0]


@router.get("/latest")
async def latest():
    conn = open_reports_connection()
    return conn.execute("select max(ts) from events").fetchone()[0]
