/**
 * End-to-end check of the runner against a real PostgreSQL: the runner itself must be
 * right before its verdicts on Freshet mean anything.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '@freshet/testkit';
import { runFiles } from './runner';
import { markdownReport } from './report';

const script = `
statement ok
create table t (a int, b text)

statement ok
insert into t values (2, 'x  y'), (1, ''), (3, NULL)

query IT rowsort
select a, b from t
----
1 (empty)
2 x y
3 NULL

query I
select count(*) from t where a > 1
----
2

statement error division by zero
select 1/0

statement error
select * from nope
----
db error: ERROR: relation "nope" does not exist


skipif freshet
statement ok
this is not sql

onlyif postgres
statement ok
select 1

connection other
query T
select current_database() = current_database()
----
t

statement count 3
update t set a = a + 1

# the next two records fail on purpose
query I
select 1
----
2

statement ok
select * from nope

halt

statement ok
this never runs
`;

describe('sqllogictest runner on PostgreSQL', () => {
  let pg: PostgresServer;
  let dir: string;
  beforeAll(async () => {
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'slt-run-'));
    writeFileSync(join(dir, 'a.slt'), script);
    writeFileSync(join(dir, 'b.slt.part'), 'statement ok\ncreate table t (a int)\n\nquery I\nselect count(*) from t\n----\n0\n');
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('counts passing, failing and skipped records per file, each file in a fresh database', async () => {
    const summary = await runFiles([join(dir, 'a.slt'), join(dir, 'b.slt.part')], { url: pg.url, baseDir: dir });
    const [a, b] = summary.files;
    expect(a.error).toBeUndefined();
    expect(a.isolation).toBe('database');
    expect(a.skipped).toBe(2);
    expect(a.failed).toBe(2);
    expect(a.passed).toBe(8);
    expect(a.failures.map((f) => f.kind)).toEqual(['result-mismatch', 'unexpected-error']);
    expect(a.failures[0]).toMatchObject({ expected: '2', actual: '1' });
    expect(a.failures[1].actual).toBe('db error: ERROR: relation "nope" does not exist');
    // b.slt.part creates the same table name: it only passes in a fresh database.
    expect(b).toMatchObject({ passed: 2, failed: 0 });
    expect(summary).toMatchObject({ passed: 10, failed: 2, skipped: 2 });
    expect(markdownReport(summary, 'x')).toContain('a.slt:');
  });

  it('times out a hung record and carries on with a new connection', async () => {
    writeFileSync(join(dir, 'slow.slt'), 'statement ok\nselect pg_sleep(2)\n\nquery I\nselect 1\n----\n1\n');
    const summary = await runFiles([join(dir, 'slow.slt')], { url: pg.url, recordTimeoutMs: 300, labels: ['postgres'] });
    expect(summary.files[0].failures[0].actual).toMatch(/timeout/);
    expect(summary).toMatchObject({ passed: 1, failed: 1 });
  });
});
