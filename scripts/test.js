#!/usr/bin/env node
// `npm test`: provision the Debian packages the tests use, typecheck, then run every vitest
// test (packages and conformance). Extra arguments go to vitest (`npm test -- packages/sql`).
// Exits non-zero if the typecheck or any test fails, or if no test ran; the last line is
// `N passed, N failed, N skipped`, where a failed typecheck counts as one failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);

function run(label, cmd, cmdArgs) {
  process.stdout.write(`\n== ${label}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: process.env });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.error) process.stdout.write(`${label}: could not start ${cmd}: ${r.error.message}\n`);
  process.stdout.write(`== ${label}: ${r.status === 0 ? 'ok' : `exit ${r.status ?? r.signal}`} (${secs}s)\n`);
  return r.status ?? 1;
}

// 1. Provisioning never fails the run by itself: tests that need a missing package fail
// (or skip loudly) with a precise message instead.
if (process.platform === 'linux') run('provision', 'bash', [join(root, 'scripts/provision.sh')]);

// 2. Typecheck the whole tree.
const typecheck = run('typecheck', bin('tsc'), ['--noEmit', '-p', join(root, 'tsconfig.json')]);

// 3. Tests, with a JSON report alongside the normal output for the closing counts.
const outDir = mkdtempSync(join(tmpdir(), 'freshet-test-'));
const jsonFile = join(outDir, 'vitest.json');
const vitest = run('vitest', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`, ...args]);

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(jsonFile)) {
  const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that fails to load has no tests but still is a failure.
  const brokenFiles = (report.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  failed += brokenFiles;
} else if (vitest !== 0) {
  failed += 1;
}
rmSync(outDir, { recursive: true, force: true });
if (typecheck !== 0) failed += 1;

const ranNothing = passed + failed === 0;
if (ranNothing) process.stdout.write('\nno test ran\n');
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(typecheck !== 0 || vitest !== 0 || failed > 0 || ranNothing ? 1 : 0);
