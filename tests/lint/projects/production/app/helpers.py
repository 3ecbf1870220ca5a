"""Helpers whose only type information is their return annotation."""

import psycopg
from sqlalchemy.orm import Session

from app.registry import lookup_connection, lookup_session


def get_session() -> Session:
    return lookup_session()


def open_reports_connection() -> psycopg.Connection:
    return lookup_connection("reports")
