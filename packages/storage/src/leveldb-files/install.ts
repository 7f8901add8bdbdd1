/**
 * Turns a directory of copied table files and logs into a LevelDB that opens: a MANIFEST
 * holding the copied version as one edit, and CURRENT naming it. LevelDB then replays the
 * logs and carries on as after a crash.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type LevelVersion, manifestFileName, writeManifest } from './manifest';

function writeSynced(path: string, bytes: Buffer): void {
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the MANIFEST and CURRENT for `version` into `dir`, which holds its tables and logs.
 * The MANIFEST takes a file number past every file in `dir`; the version's next file number
 * moves past it (a log begun after the version was read may carry a higher number).
 */
export function installVersion(dir: string, version: LevelVersion): void {
  let next = version.nextFileNumber;
  for (const name of readdirSync(dir)) {
    const m = /^(\d+)\.(?:log|ldb|sst)$/.exec(name);
    if (m) next = Math.max(next, Number(m[1]) + 1);
  }
  const manifest = manifestFileName(next);
  writeSynced(join(dir, manifest), writeManifest({ ...version, nextFileNumber: next + 1 }));
  writeSynced(join(dir, 'CURRENT.tmp'), Buffer.from(`${manifest}\n`, 'latin1'));
  renameSync(join(dir, 'CURRENT.tmp'), join(dir, 'CURRENT'));
}
