import os

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str = "postgresql+asyncpg://shop:Sh0pPass@db.internal/shop"
    db_password: str = "Sh0pPass"
    debug: bool = False


REPLICA_URL = os.getenv("REPLICA_URL", "postgresql://reader:R3ader@replica/shop")
settings = Settings()
