from fastapi import APIRouter, HTTPException

from app import crud
from app.deps import SessionDep

router = APIRouter(prefix="/users")


@router.get("/")
async def list_users(session: SessionDep):
    return await crud.list_users(session)


@router.get("/{user_id}")
async def read_user(user_id: int, session: SessionDep):
    user = await crud.get_user(session, user_id)
    if user is None:
        raise HTTPException(status_code=404)
    return user


@router.post("/")
async def create_user(email: str, session: SessionDep):
    return await crud.create_user(session, email)
