import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T, listOf, structOf } from '@freshet/common';
import { openStorage } from '@freshet/storage';
import { Catalog, FIRST_ID } from './catalog';
import type { RelationCatalog } from './model';

function table(c: Catalog, schema: string, name: string, extra: Partial<RelationCatalog> = {}): RelationCatalog {
  return {
    id: c.nextId(),
    kind: 'table',
    database: 'dev',
    schema,
    name,
    owner: 'root',
    columns: [
      { name: 'a', type: T.Int32, hidden: false, notNull: false },
      { name: 'l', type: listOf(structOf([{ name: 'x', type: T.Decimal }])), hidden: false, notNull: false },
    ],
    pk: [0],
    appendOnly: false,
    onConflict: 'overwrite',
    definition: `CREATE TABLE ${name} (…)`,
    withOptions: {},
    dependsOn: [],
    createdAt: 0,
    ...extra,
  };
}

async function memoryCatalog() {
  const storage = openStorage();
  const catalog = new Catalog(storage);
  catalog.load(await storage.open());
  await catalog.ready;
  return { storage, catalog };
}

describe('Catalog', () => {
  it('has the built-in database, schemas and superusers', async () => {
    const { catalog } = await memoryCatalog();
    expect(catalog.listDatabases().map((d) => d.name)).toEqual(['dev']);
    expect(catalog.listSchemas('dev').map((s) => s.name).sort()).toEqual(['information_schema', 'pg_catalog', 'public', 'rw_catalog']);
    for (const name of ['root', 'postgres']) {
      const u = catalog.getUser(name)!;
      expect(u.superuser).toBe(true);
      expect(u.canLogin).toBe(true);
      expect(u.scramVerifier).toBeUndefined();
    }
    expect(catalog.nextId()).toBe(FIRST_ID);
  });

  it('resolves names like PostgreSQL: explicit schema, search_path order, $user, pg_catalog first', async () => {
    const { storage, catalog } = await memoryCatalog();
    const b = storage.newBatch();
    catalog.createSchema('dev', 's1', 'root', b);
    catalog.createSchema('dev', 'alice', 'root', b);
    const inPublic = table(catalog, 'public', 't');
    const inS1 = table(catalog, 's1', 't');
    const inAlice = table(catalog, 'alice', 'only_alice');
    const shadow = table(catalog, 'public', 'pg_class');
    for (const r of [inPublic, inS1, inAlice, shadow]) catalog.addRelation(r, b);
    await storage.commit(b);
    const sys = { ...table(catalog, 'pg_catalog', 'pg_class'), database: '' };
    catalog.registerSystemRelation(sys);

    expect(catalog.resolveRelation('dev', ['public'], null, 't')?.id).toBe(inPublic.id);
    expect(catalog.resolveRelation('dev', ['s1', 'public'], null, 't')?.id).toBe(inS1.id);
    expect(catalog.resolveRelation('dev', ['public'], 's1', 't')?.id).toBe(inS1.id);
    expect(catalog.resolveRelation('dev', ['missing', 'public'], null, 't')?.id).toBe(inPublic.id);
    expect(catalog.resolveRelation('dev', ['$user', 'public'], null, 'only_alice', 'alice')?.id).toBe(inAlice.id);
    expect(catalog.resolveRelation('dev', ['$user', 'public'], null, 'only_alice', 'bob')).toBeUndefined();
    // pg_catalog is searched first unless the path places it explicitly.
    expect(catalog.resolveRelation('dev', ['public'], null, 'pg_class')?.id).toBe(sys.id);
    expect(catalog.resolveRelation('dev', ['public', 'pg_catalog'], null, 'pg_class')?.id).toBe(shadow.id);
    expect(catalog.resolveRelation('dev', ['public'], 'public', 'pg_class')?.id).toBe(shadow.id);
    expect(catalog.resolveRelation('dev', ['public'], 'nope', 't')).toBeUndefined();
    expect(catalog.resolveRelation('other', ['public'], null, 't')).toBeUndefined();
    expect(catalog.creationSchema('dev', ['$user', 'public'], 'alice')).toBe('alice');
    expect(catalog.creationSchema('dev', ['$user', 'public'], 'bob')).toBe('public');
  });

  it('rejects duplicate relation names with 42P07', async () => {
    const { storage, catalog } = await memoryCatalog();
    const b = storage.newBatch();
    catalog.addRelation(table(catalog, 'public', 't'), b);
    expect(() => catalog.addRelation(table(catalog, 'public', 't'), b)).toThrow(expect.objectContaining({ code: '42P07', message: 'table with name t already exists' }));
  });

  it('tracks dependents and drops table rows with the relation', async () => {
    const { storage, catalog } = await memoryCatalog();
    const b = storage.newBatch();
    const t = table(catalog, 'public', 't');
    catalog.addRelation(t, b);
    const v1 = { ...table(catalog, 'public', 'v1'), kind: 'view' as const, pk: [], dependsOn: [t.id] };
    catalog.addRelation(v1, b);
    const v2 = { ...table(catalog, 'public', 'v2'), kind: 'view' as const, pk: [], dependsOn: [v1.id] };
    catalog.addRelation(v2, b);
    await storage.commit(b);
    expect(catalog.dependents(t.id).map((r) => r.name)).toEqual(['v1']);
    expect(catalog.dependentsTransitive(t.id).map((r) => r.name)).toEqual(['v2', 'v1']);
    const ins = storage.newBatch();
    ins.put(t.id, [1, null]);
    await storage.commit(ins);
    const d = storage.newBatch();
    catalog.dropRelation(t.id, d);
    await storage.commit(d);
    expect(storage.hasTable(t.id)).toBe(false);
    expect(catalog.listRelations('dev', 'public', 'table')).toEqual([]);
  });

  it('persists through storage and reloads with canonical types', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-catalog-'));
    try {
      const s1 = openStorage({ dataDir: dir });
      const c1 = new Catalog(s1);
      c1.load(await s1.open());
      await c1.ready;
      const b = s1.newBatch();
      c1.createDatabase('db2', 'root', b);
      const u = c1.createUser({ name: 'alice', superuser: false, canLogin: true, createDb: false, md5Hash: 'md5x' }, b);
      const t = table(c1, 'public', 't');
      c1.addRelation(t, b);
      b.put(t.id, [7, [null]]);
      await s1.commit(b);
      const idAfter = c1.nextId();
      await s1.close();

      const s2 = openStorage({ dataDir: dir });
      const c2 = new Catalog(s2);
      c2.load(await s2.open());
      await c2.ready;
      expect(c2.listDatabases().map((d) => d.name).sort()).toEqual(['db2', 'dev']);
      expect(c2.listSchemas('db2')).toHaveLength(4);
      expect(c2.getUser('alice')).toEqual(u);
      const t2 = c2.resolveRelation('dev', ['public'], null, 't')!;
      expect(t2.columns[0].type).toBe(T.Int32);
      expect(t2.columns[1].type.kind).toBe('list');
      expect(s2.table(t.id).get([7])).toEqual([7, [null]]);
      expect(c2.nextId()).toBeGreaterThanOrEqual(idAfter);
      await s2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
