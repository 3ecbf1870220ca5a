from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env")

    database_url: SecretStr
    db_user: str = "app"
    db_password: SecretStr = SecretStr("")
    sql_echo: bool = False
    pool_size: int = 10


@lru_cache
def get_settings() -> Settings:
    return Settings()
