"""The client scenario (see scenario.ts) with psycopg2. Run with /usr/bin/python3.

Connection from PG* environment variables; FRESHET_TARGET=freshet enables implicit flush.
Prints `ok <step>` per step; exits non-zero on the first deviation.
"""
import os
import threading
import time

import psycopg2
import psycopg2.errors

from scenario_common import LONG_QUERY, expect, expect_sqlstate, run

T = "client_psycopg2"


def main():
    conn = psycopg2.connect("")  # libpq reads PGHOST/PGPORT/PGUSER/PGDATABASE
    conn.autocommit = True
    cur = conn.cursor()
    if os.environ.get("FRESHET_TARGET") == "freshet":
        cur.execute("SET RW_IMPLICIT_FLUSH TO true")
    cur.execute(f"DROP TABLE IF EXISTS {T}")
    cur.execute(f"CREATE TABLE {T} (id int PRIMARY KEY, name varchar, score double precision)")
    print("ok ddl")

    cur.execute(f"INSERT INTO {T} VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', NULL)")
    expect(cur.rowcount, 3, "insert rowcount")
    cur.execute(f"UPDATE {T} SET score = 9 WHERE id = 3")
    expect(cur.rowcount, 1, "update rowcount")
    print("ok dml")

    cur.execute(f"SELECT name, score FROM {T} WHERE id = %s", (2,))
    expect(cur.fetchall(), [("b", 2.5)], "parameterised select")
    cur.execute(f"SELECT count(*) FROM {T} WHERE score > %(min)s AND name <> %(name)s", {"min": 2.0, "name": "it's"})
    expect(cur.fetchone()[0], 2, "named parameters")
    print("ok param")

    expect_sqlstate(cur.execute, psycopg2.Error, lambda e: e.pgcode, "SELECT * FROM no_such_table_psycopg2", "42P01", "undefined table")
    cur.execute("SELECT 1")
    expect(cur.fetchone(), (1,), "query after error")
    print("ok error")

    timer = threading.Timer(0.5, conn.cancel)
    timer.start()
    started = time.monotonic()
    expect_sqlstate(cur.execute, psycopg2.Error, lambda e: e.pgcode, LONG_QUERY, "57014", "cancelled query")
    timer.join()
    cur.execute("SELECT 42")
    expect(cur.fetchone(), (42,), "query after cancel")
    print(f"ok cancel ({time.monotonic() - started:.2f}s)")

    cur.execute(f"DROP TABLE {T}")
    print("ok cleanup")
    conn.close()


if __name__ == "__main__":
    run(main)
