from sqlalchemy import text
from sqlalchemy.orm import Session


def sales_total(db: Session) -> int:
    return db.execute(text("select sum(amount) from orders")).scalar_one()


def top_products(db: Session, limit: int = 10):
    return db.execute(text("select name from products limit :n"), {"n": limit}).all()
