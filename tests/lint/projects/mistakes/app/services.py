from app import crud


def user_summary(db, user_id):
    user = crud.get_user(db, user_id)
    return {"user": user, "total": crud.count_users(db)}
