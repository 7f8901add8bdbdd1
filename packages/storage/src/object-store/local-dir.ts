/**
 * An object store in a local directory: the default, under the data dir. A put writes a
 * temporary file, fsyncs it and renames it into place, so a crash never leaves a partial
 * object under its real name. A file put is a hard link where the directory is on the
 * same file system as the file (LevelDB's table files, which never change once written:
 * the default store costs no second copy of them), and a copy elsewhere.
 */
import { copyFile, link, mkdir, open, readFile, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ObjectStore } from './api';

export class LocalDirObjectStore implements ObjectStore {
  private tmpCounter = 0;

  constructor(readonly root: string) {}

  get description(): string {
    return this.root;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}-${this.tmpCounter++}`;
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(body);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, path);
  }

  async putFile(key: string, from: string): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}-${this.tmpCounter++}`;
    try {
      await link(from, tmp);
    } catch (e) {
      // Another file system (EXDEV), or one without hard links: a copy, made durable.
      if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      await copyFile(from, tmp);
      const f = await open(tmp, 'r+');
      try {
        await f.sync();
      } finally {
        await f.close();
      }
    }
    await rename(tmp, path);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(join(this.root, key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!e.name.includes('.tmp-')) {
          const key = relative(this.root, p).split(sep).join('/');
          if (key.startsWith(prefix)) out.push(key);
        }
      }
    };
    await walk(this.root);
    return out.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const k of keys) {
      await rm(join(this.root, k), { force: true });
      dirs.add(dirname(join(this.root, k)));
    }
    // A directory the deletes emptied goes too (each uploading process has one: data/<run>/).
    for (const d of dirs) if (d !== this.root) await rmdir(d).catch(() => {});
  }
}
