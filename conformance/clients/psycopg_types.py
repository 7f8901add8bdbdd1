# psycopg 3's type introspection (TypeInfo.fetch runs its pg_type query with to_regtype),
# which drivers and ORMs use to register adapters: one `name: typname oid array_oid` line
# per type name, `name: None` for an unknown type. Connection from PG* environment variables.
import os
import sys

import psycopg
from psycopg.types import TypeInfo

NAMES = ["int4", "integer", "int8", "varchar", "character varying", "text", "numeric",
         "float8", "bool", "timestamptz", "interval", "jsonb", "bytea", "integer[]", "no_such_type"]

try:
    with psycopg.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], user=os.environ["PGUSER"],
                         dbname=os.environ["PGDATABASE"], autocommit=True) as conn:
        for name in NAMES:
            t = TypeInfo.fetch(conn, name)
            print(f"{name}: {None if t is None else f'{t.name} {t.oid} {t.array_oid}'}")
except Exception as e:  # noqa: BLE001 - report any failure as the test's message
    print(f"FAILED: {e!r}", file=sys.stderr)
    sys.exit(1)
