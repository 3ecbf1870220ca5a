"""A one-off script: sync database code is fine here."""

from sqlalchemy.orm import Session

from app.db import engine
from app.models import User


def main() -> None:
    with Session(engine) as session:
        session.add(User(email="admin@example.com"))
        session.commit()


if __name__ == "__main__":
    main()
