"""The client scenario (see scenario.ts) with psycopg 3 (server-side parameter binding).
Run with /usr/bin/python3.

Connection from PG* environment variables; FRESHET_TARGET=freshet enables implicit flush.
Prints `ok <step>` per step; exits non-zero on the first deviation.
"""
import os
import threading
import time

import psycopg
import psycopg.errors

from scenario_common import LONG_QUERY, expect, expect_sqlstate, run

T = "client_psycopg3"


def main():
    conn = psycopg.connect("", autocommit=True)
    if os.environ.get("FRESHET_TARGET") == "freshet":
        conn.execute("SET RW_IMPLICIT_FLUSH TO true")
    conn.execute(f"DROP TABLE IF EXISTS {T}")
    conn.execute(f"CREATE TABLE {T} (id int PRIMARY KEY, name varchar, score double precision)")
    print("ok ddl")

    cur = conn.execute(f"INSERT INTO {T} VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', NULL)")
    expect(cur.rowcount, 3, "insert rowcount")
    cur = conn.execute(f"UPDATE {T} SET score = 9 WHERE id = 3")
    expect(cur.rowcount, 1, "update rowcount")
    print("ok dml")

    # psycopg 3 sends these as bound parameters (extended protocol).
    rows = conn.execute(f"SELECT name, score FROM {T} WHERE id = %s", (2,)).fetchall()
    expect(rows, [("b", 2.5)], "parameterised select")
    n = conn.execute(f"SELECT count(*) FROM {T} WHERE score > %s AND name <> %s", (2.0, "zzz")).fetchone()[0]
    expect(n, 2, "two parameters")
    # Binary results exercise the server's binary encoders.
    with conn.cursor(binary=True) as bcur:
        bcur.execute(f"SELECT id, name, score FROM {T} WHERE id = %s", (3,))
        expect(bcur.fetchone(), (3, "c", 9.0), "binary-format row")
    print("ok param")

    expect_sqlstate(conn.execute, psycopg.Error, lambda e: e.sqlstate, "SELECT * FROM no_such_table_psycopg3", "42P01", "undefined table")
    expect(conn.execute("SELECT 1").fetchone(), (1,), "query after error")
    print("ok error")

    timer = threading.Timer(0.5, conn.cancel)
    timer.start()
    started = time.monotonic()
    expect_sqlstate(conn.execute, psycopg.Error, lambda e: e.sqlstate, LONG_QUERY, "57014", "cancelled query")
    timer.join()
    expect(conn.execute("SELECT 42").fetchone(), (42,), "query after cancel")
    print(f"ok cancel ({time.monotonic() - started:.2f}s)")

    conn.execute(f"DROP TABLE {T}")
    print("ok cleanup")
    conn.close()


if __name__ == "__main__":
    run(main)
