/**
 * The dependency rules between packages (docs/architecture.md, each package's README),
 * checked on the source: an import that crosses a forbidden boundary fails the suite
 * instead of eroding the layering one convenience at a time.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@freshet/testkit';

/** What each package may import from the workspace (anything else @freshet/* is forbidden). */
const ALLOWED: Record<string, string[]> = {
  common: [],
  sql: ['common'],
  pgwire: ['common'],
  expr: ['common'],
  storage: ['common'],
  batch: ['common', 'expr', 'storage'],
  stream: ['common', 'expr', 'storage'],
  connectors: ['common', 'stream'],
  // As in RisingWave (the frontend validates connector options and plans source executors).
  frontend: ['common', 'sql', 'expr', 'batch', 'stream', 'storage', 'pgwire', 'connectors'],
  server: ['common', 'sql', 'expr', 'batch', 'stream', 'storage', 'pgwire', 'frontend', 'connectors'],
  testkit: ['common'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out; // a package reserved for later has no src yet
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function workspaceImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'@freshet\/([a-z-]+)/g)].map((m) => m[1]);
}

describe('package dependency rules', () => {
  const packages = readdirSync(join(repoRoot, 'packages')).filter((p) => statSync(join(repoRoot, 'packages', p)).isDirectory());

  it('every package has a rule', () => {
    expect(packages.filter((p) => !(p in ALLOWED))).toEqual([]);
  });

  it.each(packages.filter((p) => p in ALLOWED))('%s imports only what it may', (pkg) => {
    const violations: string[] = [];
    const src = join(repoRoot, 'packages', pkg, 'src');
    for (const file of sourceFiles(src)) {
      for (const dep of workspaceImports(file)) {
        if (dep !== pkg && !ALLOWED[pkg].includes(dep)) violations.push(`${file.slice(repoRoot.length + 1)} imports @freshet/${dep}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('pgwire never reaches into the engine through relative paths', () => {
    const src = join(repoRoot, 'packages', 'pgwire', 'src');
    const escapes = sourceFiles(src).filter((f) => /from '\.\.\/\.\.\/\.\.\//.test(readFileSync(f, 'utf8')));
    expect(escapes).toEqual([]);
  });
});
