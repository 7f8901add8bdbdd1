#!/usr/bin/env node
// Entry point. Kept in plain JS so `node bin/freshet.js` and `npx freshet` work on a fresh
// clone without a build step: it runs the CLI from a bundle that bin/bundle.js compiles
// from the TypeScript sources on the first run and after any source changes (~3x less CPU
// at every start than compiling on the fly). FRESHET_TSX=1, or a failed build (e.g. a
// read-only checkout), runs the sources through tsx instead.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let entry = null;
if (process.env.FRESHET_TSX !== '1') {
  try {
    const { bundledEntry } = await import('./bundle.js');
    entry = await bundledEntry(root, 'bin/cli.ts');
  } catch {
    entry = null; // tsx reports the same compile errors, with its own messages
  }
}
if (entry) {
  process.setSourceMapsEnabled(true); // stack traces name the .ts sources
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
}
