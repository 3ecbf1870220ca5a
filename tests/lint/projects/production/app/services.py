from sqlalchemy.ext.asyncio import AsyncSession

from app.models import User


class AuditService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, email: str) -> None:
        self.session.add(User(email=email))
        self.session.commit()

    async def flush(self) -> None:
        await self.session.flush()
