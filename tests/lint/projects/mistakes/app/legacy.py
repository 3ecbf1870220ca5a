import psycopg2


def fetch_flags():
    conn = psycopg2.connect(host="db.internal", user="shop", password="Sh0pPass")
    cur = conn.cursor()
    cur.execute("select name from flags")
    return cur.fetchall()
