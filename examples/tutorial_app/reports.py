# A "quick" reporting helper copied from a sync script into the async app.


def count_users():
    import psycopg2  # pitfall DBC101: a sync driver in an async app

    # pitfall DBC201: a DSN with its password in the source
    conn = psycopg2.connect("postgresql://postgres:password123@localhost:5432/tutorial")
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM users")
        return cur.fetchone()[0]
    finally:
        conn.close()
