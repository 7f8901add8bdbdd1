/** Types of bin/bundle.js (plain JS: it runs before TypeScript can be loaded). */
/**
 * The file URL of an up-to-date esbuild bundle of `entry` (relative to `root`), built into
 * `<root>/dist/freshet/` if there is none or a source it was built from changed.
 */
export function bundledEntry(root: string, entry: string): Promise<string>;
