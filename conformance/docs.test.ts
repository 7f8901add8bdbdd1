/**
 * The documentation's examples are part of the test suite: every ```sql block in the user
 * docs runs, in order, against a fresh Freshet, and every row of an error table (a table
 * whose columns are `example | SQLSTATE | message`) must fail with that SQLSTATE and message.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreshet, type FreshetServer } from '@freshet/testkit';

const DOCS = ['sql.md', 'introspection.md'];

function sqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
}

interface ErrorRow {
  example: string;
  sqlstate: string;
  message: string;
}

/** Rows of `| \`sql\` | SQLSTATE | \`message\` … |` tables. */
function errorRows(markdown: string): ErrorRow[] {
  const rows: ErrorRow[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\| `([^`]+)`[^|]*\| ([0-9A-Z]{5}) \| `([^`]+)`/.exec(line);
    if (m) rows.push({ example: m[1], sqlstate: m[2], message: m[3] });
  }
  return rows;
}

describe.each(DOCS)('docs/%s', (doc) => {
  const markdown = readFileSync(fileURLToPath(new URL(`../docs/${doc}`, import.meta.url)), 'utf8');
  let server: FreshetServer;
  let client: pg.Client;

  beforeAll(async () => {
    server = await startFreshet({ playground: true });
    client = new pg.Client({ connectionString: server.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  it('has examples to check', () => {
    expect(sqlBlocks(markdown).length).toBeGreaterThan(0);
  });

  it('runs every sql block without an error', async () => {
    for (const block of sqlBlocks(markdown)) {
      await expect(client.query(block), block).resolves.toBeDefined();
    }
  });

  it.each(errorRows(markdown))('`$example` fails with $sqlstate', async ({ example, sqlstate, message }) => {
    const err = await client.query(example).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(err, example).toBeDefined();
    expect(err!.code).toBe(sqlstate);
    expect(err!.message).toContain(message.replace(/ \(with position\)$/, ''));
  });
});
