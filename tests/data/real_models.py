"""Models written the way real applications write them (module sources for the tests).

``APP`` is a typed SQLAlchemy 2.0 model with a naming convention, a ``before_create`` DDL
event creating an extension from the server's contrib (citext), an enum, JSONB, ARRAY,
Identity, server defaults, a composite-key association table, a self-referential FK, an FK
cycle closed with ``use_alter``, a schema-qualified table referencing unqualified ones, CHECK
constraints and a partial unique index. ``SQLMODEL`` is a SQLModel app (uuid primary keys
with ``default_factory``) on its own registry (SQLModel's default metadata is global).
"""

from __future__ import annotations

APP = """
import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    DDL, CheckConstraint, Column, ForeignKey, Identity, Index, MetaData, String, Table, Text,
    event, func, text,
)
from sqlalchemy.dialects.postgresql import ARRAY, CITEXT, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=CONVENTION)


event.listen(Base.metadata, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS citext"))


class Status(enum.Enum):
    active = "active"
    banned = "banned"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index(
            "uq_users_handle_live", "handle", unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ),
        CheckConstraint("char_length(handle) <= 40", name="handle_length"),
    )
    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(CITEXT, unique=True)
    handle: Mapped[str] = mapped_column(String(60))
    hashed_password: Mapped[str] = mapped_column(String(200))
    status: Mapped[Status] = mapped_column(default=Status.active, server_default="active")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    profile: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    age: Mapped[int | None] = mapped_column(CheckConstraint("age >= 0", name="age_positive"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    deleted_at: Mapped[datetime | None]


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    captain_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", use_alter=True))


class Member(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = {"schema": "crm"}
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


memberships = Table(
    "memberships",
    Base.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("org_id", ForeignKey("crm.organizations.id"), primary_key=True),
    Column("role", String(20), nullable=False, server_default="member"),
    schema="crm",
)
"""

#: the tables of APP as init-db reports them (schema public)
APP_TABLES = [
    "crm.memberships",
    "crm.organizations",
    "public.members",
    "public.teams",
    "public.users",
]

SQLMODEL = """
import uuid
from datetime import datetime, timezone

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class Base(SQLModel, registry=registry()):
    pass


class Squad(Base, table=True):
    __tablename__ = "squads"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(unique=True, max_length=80)


class Hero(Base, table=True):
    __tablename__ = "heroes"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(index=True, max_length=80)
    secret_name: str
    age: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    squad_id: uuid.UUID | None = Field(default=None, foreign_key="squads.id")
"""
