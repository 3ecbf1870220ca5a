"""Scheduled jobs run in the scheduler's threads: sync code is fine here."""

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text

from app.db import engine

scheduler = BackgroundScheduler()


@scheduler.scheduled_job("interval", minutes=10)
def expire_tokens():
    with engine.begin() as conn:
        conn.execute(text("delete from tokens where expires_at < now()"))
