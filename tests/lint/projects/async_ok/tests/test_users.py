async def test_list_users(client):
    response = await client.get("/users/")
    assert response.status_code == 200
