import os

from sqlalchemy import create_engine, text

from shop import reports


def test_sales_total():
    engine = create_engine(os.environ["SYNC_DATABASE_URL"])
    with engine.connect() as conn:
        conn.execute(text("select 1"))
    assert reports
