from sqlalchemy.orm import Session

from app.db import engine
from app.models import User


def test_create_user():
    with Session(engine) as session:
        session.add(User(email="t@example.com"))
        session.flush()
        assert session.get(User, 1) is not None
        session.rollback()
