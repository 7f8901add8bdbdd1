"""What the Python client scenarios share: the long query, assertions, and the entry point.

Each client module passes its own `execute(sql, params)` callable and error type, so the
steps read the same for psycopg2 (client-side binding) and psycopg 3 (server-side binding).
"""
import sys

LONG_QUERY = "SELECT count(*) FROM generate_series(1, 100000000)"


def expect(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def expect_sqlstate(execute, error_type, sqlstate_of, sql, code, what, params=None):
    """Runs `sql` and asserts it fails with SQLSTATE `code`."""
    try:
        execute(sql, params)
    except error_type as e:
        expect(sqlstate_of(e), code, f"{what} SQLSTATE")
        return
    raise AssertionError(f"{what}: expected SQLSTATE {code}, got success")


def run(main):
    """Runs a scenario; a deviation is one line on stderr and exit status 1."""
    try:
        main()
    except Exception as e:
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
