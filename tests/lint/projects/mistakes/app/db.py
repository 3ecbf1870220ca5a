from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("postgresql://shop:Sh0pPass@db.internal/shop", echo=True)
SessionLocal = sessionmaker(bind=engine, autoflush=False)

async_engine = create_async_engine("postgresql://shop@db.internal/shop")
AsyncSessionLocal = sessionmaker(async_engine, class_=AsyncSession)
