/**
 * Our own sqllogictest suites (conformance/suites/*.slt) against Freshet; every record must
 * pass. With FRESHET_TEST_TARGET=postgres they run against PostgreSQL to check the suites.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTarget, targetKind, type TestTarget } from '@freshet/testkit';
import { runFile } from './runner/runner';
import { failureDetails } from './runner/report';

const suitesDir = fileURLToPath(new URL('./suites/', import.meta.url));
const files = readdirSync(suitesDir)
  .filter((f) => f.endsWith('.slt'))
  .sort();
const labels = targetKind() === 'postgres' ? ['postgres'] : ['freshet', 'risingwave'];

describe('conformance suites', () => {
  let target: TestTarget;
  beforeAll(async () => {
    target = await startTestTarget();
  });
  afterAll(async () => {
    await target?.stop();
  });

  it.each(files)('%s', { timeout: 300_000 }, async (file) => {
    const result = await runFile(join(suitesDir, file), {
      url: target.url,
      labels,
      recordTimeoutMs: 30_000,
      baseDir: suitesDir,
      newServer: () => startTestTarget(),
    });
    const details = result.failed ? `${failureDetails(result, 15)}\nserver log tail:\n${target.logs().split('\n').slice(-20).join('\n')}` : '';
    expect(result.error, details).toBeUndefined();
    expect(result.failed, details).toBe(0);
    expect(result.passed).toBeGreaterThan(0);
  });
});
