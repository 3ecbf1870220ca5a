"""Settings from the environment: DATABASE_URL is required, never a default in the source."""

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    #: postgresql+asyncpg://user:password@host:5432/db, from the environment or .env
    database_url: SecretStr
    pool_size: int = 5
    max_overflow: int = 10
