/**
 * Start-up cost: what a `freshet start` loads before it accepts connections.
 * - No connector client library (kafkajs, pg, the AWS SDK, apache-arrow, …) is loaded by
 *   starting a server: connectors require theirs when first used (connectors/libraries.ts).
 * - bin/freshet.js runs the CLI from an esbuild bundle that is rebuilt when a source changes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledEntry } from '../../../bin/bundle.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const temp = mkdtempSync(join(tmpdir(), 'freshet-startup-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Runs `script` (ESM, top-level await) in a fresh Node process with tsx; returns its stdout. */
function runNode(script: string): string {
  const file = join(repoRoot, 'packages/server/src', `.startup-probe-${process.pid}.mts`);
  writeFileSync(file, script);
  try {
    return execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(file, { force: true });
  }
}

const LOADED_LIBRARIES = `
import { createRequire } from 'node:module';
const libraries = ['kafkajs', 'pg', 'pg-logical-replication', '@aws-sdk/client-s3', 'apache-arrow', 'parquet-wasm', 'snappyjs', 'fzstd'];
function loaded() {
  const cache = Object.keys(createRequire(import.meta.url).cache);
  return libraries.filter((l) => cache.some((f) => f.includes('/node_modules/' + l + '/')));
}
`;

describe('server start-up', () => {
  it('loads no connector client library until a connector uses it', () => {
    const dataDir = join(temp, 'data');
    const out = runNode(`${LOADED_LIBRARIES}
const { startServer } = await import('@freshet/server');
const { createLogger } = await import('@freshet/server');
const server = await startServer({ host: '127.0.0.1', port: 0, dataDir: ${JSON.stringify(dataDir)}, logger: createLogger('error') });
const atStart = loaded();
await server.close();
const { kafkajs, awsS3 } = await import('../../connectors/src/libraries');
kafkajs();
awsS3();
console.log(JSON.stringify({ atStart, afterUse: loaded() }));
`);
    const { atStart, afterUse } = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(atStart).toEqual([]);
    expect(afterUse).toEqual(['kafkajs', '@aws-sdk/client-s3']);
  });
});

describe('bin/bundle.js', () => {
  it('builds a bundle once, reuses it, and rebuilds it when a source changes', async () => {
    const root = join(temp, 'bundle-root');
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    writeFileSync(join(root, 'bin/entry.ts'), "import { value } from './dep';\nexport const seen: number = value;\n");
    writeFileSync(join(root, 'bin/dep.ts'), 'export const value: number = 1;\n');
    const first = await bundledEntry(root, 'bin/entry.ts');
    expect((await import(first)).seen).toBe(1);
    expect(await bundledEntry(root, 'bin/entry.ts')).toBe(first);
    writeFileSync(join(root, 'bin/dep.ts'), 'export const value: number = 22;\n');
    const second = await bundledEntry(root, 'bin/entry.ts');
    expect(second).not.toBe(first);
    expect((await import(second)).seen).toBe(22);
  });
});
