"""CLI entry points: sync code is fine here."""

import typer
from sqlalchemy import text

from app.db import SessionLocal, engine
from app.models import Base

cli = typer.Typer()


@cli.command()
def create_tables():
    Base.metadata.create_all(engine)


@cli.command()
def purge_sessions():
    with SessionLocal() as db:
        db.execute(text("delete from sessions"))
        db.commit()


if __name__ == "__main__":
    cli()
