// Runs the CLI (bin/cli.ts and the workspace packages it imports) from one JavaScript file
// that esbuild compiles from the TypeScript sources into dist/freshet/, rebuilt whenever a
// source it was built from changes. Why: loading the sources through tsx costs ~1 s of CPU
// at every start (its module hooks run on a separate thread, per module, for ~400 modules),
// against ~0.3 s for the bundle; the build itself takes ~0.5 s once. npm packages stay
// external: they are loaded from node_modules as before.
//
// Plain JS (not TypeScript): it is what runs before any TypeScript can be loaded.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Bump when the build options below change, so existing bundles are rebuilt. */
const BUILD_FORMAT = 2;
/** Bundles replaced longer ago than this are deleted (a process may be reading one just now). */
const STALE_BUNDLE_MS = 10 * 60_000;
let builds = 0;

/**
 * The URL of an up-to-date bundle of `entry` (a path relative to `root`), building it if
 * there is none or a source changed. Throws if esbuild is missing or the build fails.
 */
export async function bundledEntry(root, entry) {
  const outDir = join(root, 'dist', 'freshet');
  const currentPath = join(outDir, 'current.json');
  const current = readJson(currentPath);
  if (current && current.format === BUILD_FORMAT && current.entry === entry && unchanged(root, current.inputs)) {
    return pathToFileURL(join(outDir, current.file)).href;
  }
  const { build, version } = await import('esbuild');
  // A unique name per build: servers started concurrently (tests) may build at once, and a
  // running server keeps reading its own bundle's source map.
  const file = `cli-${Date.now().toString(36)}-${process.pid}-${++builds}.mjs`;
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: join(outDir, file),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // What the server holds for its own code stays small (docs/durability.md, "Bounded
    // memory": the idle heap counts against a memory limit with the collector's headroom).
    // Node keeps a bundle's source and its parsed source map for its whole life: with the
    // sources' text in the map (2.2 MB) and the bundle's comments (some non-ASCII, which
    // makes V8 store the whole 1.7 MB source as UTF-16), ~8 MiB of the idle server's ~18
    // MiB heap. Stack traces still name the .ts sources, read from disk when needed.
    sourcesContent: false,
    minifyWhitespace: true,
    keepNames: true, // error and class names in messages and stack traces stay as written
    metafile: true,
    logLevel: 'silent',
    plugins: [externalPackages],
  });
  const inputs = {};
  const files = [...Object.keys(result.metafile.inputs), 'package.json', ...workspacePackageJsons(root)];
  for (const f of files) inputs[f] = fingerprint(join(root, f));
  const tmp = `${currentPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ format: BUILD_FORMAT, esbuild: version, entry, file, inputs }));
  renameSync(tmp, currentPath); // atomic: readers see the old bundle or the new one
  removeOldBundles(outDir, file);
  return pathToFileURL(join(outDir, file)).href;
}

/** npm packages (anything but relative paths and the workspace's own @freshet/*) stay imports. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@freshet/') ? undefined : { path: args.path, external: true }));
  },
};

/**
 * True when every input still has the size and mtime it had at build time. A source the
 * bundle does not include yet can only join through an edit to one that it does, and the
 * package.json files cover changes of workspace exports.
 */
function unchanged(root, inputs) {
  if (!inputs || typeof inputs !== 'object') return false;
  for (const [f, fp] of Object.entries(inputs)) {
    if (fingerprint(join(root, f)) !== fp) return false;
  }
  return true;
}

function fingerprint(path) {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function workspacePackageJsons(root) {
  const out = [];
  let names = [];
  try {
    names = readdirSync(join(root, 'packages'));
  } catch {
    // no workspace packages
  }
  for (const name of names) {
    const f = join('packages', name, 'package.json');
    if (fingerprint(join(root, f)) !== 'missing') out.push(f);
  }
  return out;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function removeOldBundles(outDir, keep) {
  const now = Date.now();
  for (const name of readdirSync(outDir)) {
    if (!name.startsWith('cli-') || name.startsWith(keep)) continue;
    try {
      const p = join(outDir, name);
      if (now - statSync(p).mtimeMs > STALE_BUNDLE_MS) rmSync(p, { force: true });
    } catch {
      // another process removed it first
    }
  }
}
