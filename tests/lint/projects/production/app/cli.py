"""CLI entry points: sync code is fine here."""

import typer
from sqlalchemy import text

from app.auth import store
from app.db import SessionLocal, engine
from app.models import Base
from app.settings import DATABASE_URL

cli = typer.Typer()


@cli.command()
def create_tables():
    Base.metadata.create_all(engine)


@cli.command()
def purge_sessions():
    with SessionLocal() as db:
        db.execute(text("delete from sessions"))
        db.commit()


@cli.command()
def check_user(email: str):
    store.init_db(DATABASE_URL)
    print(store.get_user(email))


if __name__ == "__main__":
    cli()
