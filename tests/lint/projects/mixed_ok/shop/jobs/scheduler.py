"""Nightly jobs (APScheduler, sync, in their own process)."""

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import text

from shop.database import SyncSessionLocal, sync_engine

scheduler = BlockingScheduler()


@scheduler.scheduled_job("cron", hour=3)
def vacuum_orders() -> None:
    with sync_engine.connect() as conn:
        conn.execute(text("delete from carts where updated_at < now() - interval '30 days'"))
        conn.commit()


@scheduler.scheduled_job("cron", hour=4)
def refresh_stats() -> None:
    with SyncSessionLocal() as db:
        db.execute(text("refresh materialized view sales_stats"))
        db.commit()


if __name__ == "__main__":
    scheduler.start()
