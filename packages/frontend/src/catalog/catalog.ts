/**
 * The in-memory catalog: databases, schemas, relations and users, indexed for name
 * resolution. It is the only writer of catalog meta records: every mutation takes the
 * statement's WriteBatch and puts its records there, so a DDL statement's catalog change
 * and its data change (e.g. a dropped table's rows) commit atomically. The in-memory
 * state changes immediately; the caller commits the batch before acknowledging.
 *
 * Meta keys (values are the model.ts records as JSON):
 *   catalog/version, catalog/next_id, catalog/db/<id>, catalog/schema/<id>,
 *   catalog/rel/<id>, catalog/user/<id>, catalog/func/<id>
 *
 * Built-ins are created on first start (when `catalog/version` is absent) with fixed ids
 * below FIRST_ID, so re-creating them after a crash before their first commit is harmless.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { StorageEngine, WriteBatch } from '@freshet/storage';
import type { DatabaseCatalog, FunctionCatalog, RelationCatalog, RelationKind, SchemaCatalog, UserCatalog } from './model';
import { reviveFunction, reviveRelation } from './revive';

export const CATALOG_VERSION = 1;
/** First id handed out by nextId(); ids double as OIDs and stay clear of pg_catalog's. */
export const FIRST_ID = 100_000;

export const DEFAULT_DATABASE = 'dev';
export const DEFAULT_SCHEMA = 'public';
export const PG_CATALOG = 'pg_catalog';
export const RW_CATALOG = 'rw_catalog';
/** Schemas every database has. The last three hold system relations and reject user DDL. */
export const BUILTIN_SCHEMAS = [DEFAULT_SCHEMA, PG_CATALOG, 'information_schema', 'rw_catalog'] as const;
export const SYSTEM_SCHEMAS: ReadonlySet<string> = new Set([PG_CATALOG, 'information_schema', 'rw_catalog']);

const BUILTIN_USERS: UserCatalog[] = [
  { id: 1, name: 'root', superuser: true, canLogin: true, createDb: true },
  { id: 2, name: 'postgres', superuser: true, canLogin: true, createDb: true },
];
const BUILTIN_DB_ID = 10;

const K = {
  version: 'catalog/version',
  nextId: 'catalog/next_id',
  db: (id: number) => `catalog/db/${id}`,
  schema: (id: number) => `catalog/schema/${id}`,
  rel: (id: number) => `catalog/rel/${id}`,
  user: (id: number) => `catalog/user/${id}`,
  func: (id: number) => `catalog/func/${id}`,
};

const relKey = (db: string, schema: string, name: string) => `${db}\0${schema}\0${name}`;
const schemaKey = (db: string, schema: string) => `${db}\0${schema}`;

export class Catalog {
  private readonly databases = new Map<string, DatabaseCatalog>();
  private readonly schemas = new Map<string, SchemaCatalog>();
  private readonly relations = new Map<string, RelationCatalog>();
  private readonly relationsById = new Map<number, RelationCatalog>();
  private readonly users = new Map<string, UserCatalog>();
  /** User-defined functions by id; `functionsByName` indexes them by db/schema/name (overloads). */
  private readonly functions = new Map<number, FunctionCatalog>();
  private readonly functionsByName = new Map<string, FunctionCatalog[]>();
  /** System relations (pg_catalog.pg_class, …): in every database, never persisted. */
  private readonly systemRelations = new Map<string, RelationCatalog>();
  private next = FIRST_ID;
  /** Counts changes to the catalog's contents (see `generation`). */
  private changes = 0;
  /** Resolves when the first-start bootstrap records are durable (immediately otherwise). */
  ready: Promise<void> = Promise.resolve();

  constructor(private readonly storage: StorageEngine) {}

  /**
   * Changes with every change to what the catalog holds (databases, schemas, relations,
   * functions, users): while it stays the same, every lookup gives the same answer, so a
   * cache of answers (the session plan cache) need not ask again.
   */
  get generation(): number {
    return this.changes;
  }

  // ---------------------------------------------------------------------------------------
  // Startup

  /**
   * Rebuilds the catalog from the meta records `StorageEngine.open()` returned and attaches
   * table schemas to storage. On first start creates and persists the built-ins.
   */
  load(meta: Map<string, unknown>): void {
    for (const [key, value] of meta) {
      if (!key.startsWith('catalog/')) continue;
      const [, kind] = key.split('/');
      switch (kind) {
        case 'db':
          this.indexDatabase(value as DatabaseCatalog);
          break;
        case 'schema':
          this.indexSchema(value as SchemaCatalog);
          break;
        case 'rel':
          this.indexRelation(reviveRelation(value as RelationCatalog));
          break;
        case 'user':
          this.changes++;
          this.users.set((value as UserCatalog).name, value as UserCatalog);
          break;
        case 'func':
          this.indexFunction(reviveFunction(value as FunctionCatalog));
          break;
        case 'next_id':
          this.next = Math.max(this.next, value as number);
          break;
      }
    }
    for (const rel of this.relationsById.values()) {
      this.next = Math.max(this.next, rel.id + 1);
      if (rel.kind === 'table') this.attachStorage(rel);
    }
    for (const s of this.schemas.values()) this.next = Math.max(this.next, s.id + 1);
    for (const d of this.databases.values()) this.next = Math.max(this.next, d.id + 1);
    for (const u of this.users.values()) this.next = Math.max(this.next, u.id + 1);
    for (const f of this.functions.values()) this.next = Math.max(this.next, f.id + 1);
    if (!meta.has(K.version)) this.bootstrap();
  }

  private bootstrap(): void {
    const batch = this.storage.newBatch();
    batch.putMeta(K.version, CATALOG_VERSION);
    for (const u of BUILTIN_USERS) {
      if (this.users.has(u.name)) continue;
      this.changes++;
      this.users.set(u.name, { ...u });
      batch.putMeta(K.user(u.id), u);
    }
    if (!this.databases.has(DEFAULT_DATABASE)) {
      const db: DatabaseCatalog = { id: BUILTIN_DB_ID, name: DEFAULT_DATABASE, owner: 'root' };
      this.indexDatabase(db);
      batch.putMeta(K.db(db.id), db);
      BUILTIN_SCHEMAS.forEach((name, i) => {
        const s: SchemaCatalog = { id: BUILTIN_DB_ID + 1 + i, database: db.name, name, owner: 'root' };
        this.indexSchema(s);
        batch.putMeta(K.schema(s.id), s);
      });
    }
    const committed = this.storage.commit(batch);
    committed.catch(() => {}); // awaiting `ready` reports it; never an unhandled rejection
    this.ready = committed;
  }

  /** Allocates a catalog id (also used as the storage table id and the PostgreSQL OID). */
  nextId(): number {
    return this.next++;
  }

  private persistNextId(batch: WriteBatch): void {
    batch.putMeta(K.nextId, this.next);
  }

  // ---------------------------------------------------------------------------------------
  // Databases

  getDatabase(name: string): DatabaseCatalog | undefined {
    return this.databases.get(name);
  }

  listDatabases(): DatabaseCatalog[] {
    return [...this.databases.values()];
  }

  /** Creates a database with the built-in schemas. Throws 42P04 if it exists. */
  createDatabase(name: string, owner: string, batch: WriteBatch): DatabaseCatalog {
    if (this.databases.has(name)) throw duplicateName('database', name);
    const db: DatabaseCatalog = { id: this.nextId(), name, owner };
    this.indexDatabase(db);
    batch.putMeta(K.db(db.id), db);
    for (const s of BUILTIN_SCHEMAS) this.createSchema(name, s, owner, batch);
    this.persistNextId(batch);
    return db;
  }

  /** Drops a database and everything in it (tables' rows included). */
  dropDatabase(name: string, batch: WriteBatch): void {
    const db = this.databases.get(name);
    if (!db) throw new SqlError(SqlState.UndefinedDatabase, `database not found: ${name}`);
    this.changes++;
    for (const rel of this.listRelations(name)) this.dropRelation(rel.id, batch);
    for (const f of this.listFunctions(name)) this.dropFunction(f.id, batch);
    for (const s of this.listSchemas(name)) {
      this.schemas.delete(schemaKey(name, s.name));
      batch.putMeta(K.schema(s.id), undefined);
    }
    this.databases.delete(name);
    batch.putMeta(K.db(db.id), undefined);
  }

  private indexDatabase(db: DatabaseCatalog): void {
    this.changes++;
    this.databases.set(db.name, db);
  }

  // ---------------------------------------------------------------------------------------
  // Schemas

  getSchema(database: string, name: string): SchemaCatalog | undefined {
    return this.schemas.get(schemaKey(database, name));
  }

  listSchemas(database: string): SchemaCatalog[] {
    return [...this.schemas.values()].filter((s) => s.database === database);
  }

  /** Throws 42P06 if it exists, 3D000 if the database does not. */
  createSchema(database: string, name: string, owner: string, batch: WriteBatch): SchemaCatalog {
    if (!this.databases.has(database)) throw new SqlError(SqlState.UndefinedDatabase, `database not found: ${database}`);
    if (this.getSchema(database, name)) throw duplicateName('schema', name);
    const s: SchemaCatalog = { id: this.nextId(), database, name, owner };
    this.indexSchema(s);
    batch.putMeta(K.schema(s.id), s);
    this.persistNextId(batch);
    return s;
  }

  /** Drops an empty schema; the caller drops its relations first (CASCADE) or reports them. */
  dropSchema(database: string, name: string, batch: WriteBatch): void {
    const s = this.getSchema(database, name);
    if (!s) throw new SqlError(SqlState.UndefinedSchema, `schema not found: ${name}`);
    const left = this.listRelations(database, name);
    if (left.length > 0) {
      throw new SqlError(SqlState.DependentObjectsStillExist, `schema "${name}" is not empty: it contains ${describeRelations(left)}`);
    }
    // Functions have no dependents tracked here: they go with their schema.
    for (const f of this.listFunctions(database, name)) this.dropFunction(f.id, batch);
    this.changes++;
    this.schemas.delete(schemaKey(database, name));
    batch.putMeta(K.schema(s.id), undefined);
  }

  private indexSchema(s: SchemaCatalog): void {
    this.changes++;
    this.schemas.set(schemaKey(s.database, s.name), s);
  }

  // ---------------------------------------------------------------------------------------
  // Relations

  /**
   * PostgreSQL name resolution. With an explicit schema only that schema is searched.
   * Otherwise pg_catalog and then rw_catalog first (as RisingWave; each unless the path
   * names it explicitly), then `searchPath` in order; `$user` stands for `user`, and
   * schemas that do not exist are skipped.
   */
  resolveRelation(database: string, searchPath: readonly string[], schema: string | null, name: string, user?: string): RelationCatalog | undefined {
    if (schema !== null) return this.getRelation(database, schema, name);
    for (const s of this.effectiveSearchPath(searchPath, user)) {
      const rel = this.getRelation(database, s, name);
      if (rel) return rel;
    }
    return undefined;
  }

  /** The schemas an unqualified name is looked up in, in order (PostgreSQL's rules). */
  effectiveSearchPath(searchPath: readonly string[], user?: string): string[] {
    const out: string[] = [];
    if (!searchPath.includes(PG_CATALOG)) out.push(PG_CATALOG);
    if (!searchPath.includes(RW_CATALOG)) out.push(RW_CATALOG);
    for (const entry of searchPath) {
      if (entry === '$user') {
        if (user !== undefined) out.push(user);
      } else out.push(entry);
    }
    return out;
  }

  /**
   * The schema an unqualified CREATE goes into: the first existing schema of the search
   * path (pg_catalog only if named explicitly), as PostgreSQL does.
   */
  creationSchema(database: string, searchPath: readonly string[], user?: string): string | undefined {
    for (const entry of searchPath) {
      const s = entry === '$user' ? user : entry;
      if (s !== undefined && this.getSchema(database, s)) return s;
    }
    return undefined;
  }

  getRelation(database: string, schema: string, name: string): RelationCatalog | undefined {
    return this.systemRelations.get(relKey('', schema, name)) ?? this.relations.get(relKey(database, schema, name));
  }

  getRelationById(id: number): RelationCatalog | undefined {
    return this.relationsById.get(id);
  }

  /** User relations of a database, optionally of one schema and kind, in creation (id) order. */
  listRelations(database: string, schema?: string, kind?: RelationKind): RelationCatalog[] {
    const out: RelationCatalog[] = [];
    for (const r of this.relationsById.values()) {
      if (r.database !== database) continue;
      if (schema !== undefined && r.schema !== schema) continue;
      if (kind !== undefined && r.kind !== kind) continue;
      out.push(r);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** Registers a relation; tables also get their storage. Throws 42P07 on a name clash. */
  addRelation(rec: RelationCatalog, batch: WriteBatch): void {
    if (!this.getSchema(rec.database, rec.schema)) throw new SqlError(SqlState.UndefinedSchema, `schema not found: ${rec.schema}`);
    const existing = this.getRelation(rec.database, rec.schema, rec.name);
    if (existing) throw relationExists(existing.kind, rec.name);
    if (this.relationsById.has(rec.id)) throw new SqlError(SqlState.InternalError, `catalog id ${rec.id} is already used`);
    this.indexRelation(rec);
    if (rec.kind === 'table') this.attachStorage(rec);
    batch.putMeta(K.rel(rec.id), rec);
    this.next = Math.max(this.next, rec.id + 1);
    this.persistNextId(batch);
  }

  /**
   * Replaces a relation's record (ALTER TABLE, RENAME). Same id; the name may change.
   * A table's storage schema is updated when its columns change.
   */
  updateRelation(rec: RelationCatalog, batch: WriteBatch): void {
    const old = this.relationsById.get(rec.id);
    if (!old) throw new SqlError(SqlState.UndefinedTable, `relation id ${rec.id} not found`);
    if (old.name !== rec.name || old.schema !== rec.schema) {
      const clash = this.getRelation(rec.database, rec.schema, rec.name);
      if (clash) throw relationExists(clash.kind, rec.name);
      this.changes++;
      this.relations.delete(relKey(old.database, old.schema, old.name));
    }
    this.indexRelation(rec);
    if (rec.kind === 'table') this.attachStorage(rec);
    batch.putMeta(K.rel(rec.id), rec);
  }

  /** Removes one relation (not its dependents) and, for tables, its rows in the same batch. */
  dropRelation(id: number, batch: WriteBatch): void {
    const rel = this.relationsById.get(id);
    if (!rel) throw new SqlError(SqlState.UndefinedTable, `relation id ${id} not found`);
    this.changes++;
    this.relationsById.delete(id);
    this.relations.delete(relKey(rel.database, rel.schema, rel.name));
    batch.putMeta(K.rel(id), undefined);
    if (rel.kind === 'table' && this.storage.hasTable(id)) batch.dropTable(id);
  }

  /** Relations that read from `id` directly (views, indexes, …), in id order. */
  dependents(id: number): RelationCatalog[] {
    const out: RelationCatalog[] = [];
    for (const r of this.relationsById.values()) {
      if (r.dependsOn.includes(id) || r.index?.on === id) out.push(r);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** `id`'s dependents, their dependents, …: the set DROP … CASCADE removes, deepest first. */
  dependentsTransitive(id: number): RelationCatalog[] {
    const seen = new Set<number>();
    const order: RelationCatalog[] = [];
    const visit = (rid: number) => {
      for (const d of this.dependents(rid)) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        visit(d.id);
        order.push(d);
      }
    };
    visit(id);
    return order;
  }

  /**
   * Adds a system relation (pg_catalog, information_schema, rw_catalog) visible in every
   * database. In memory only: system relations are defined by code at startup.
   */
  registerSystemRelation(rec: RelationCatalog): void {
    this.changes++;
    this.systemRelations.set(relKey('', rec.schema, rec.name), rec);
    this.relationsById.set(rec.id, rec);
  }

  listSystemRelations(schema?: string): RelationCatalog[] {
    return [...this.systemRelations.values()].filter((r) => schema === undefined || r.schema === schema);
  }

  private indexRelation(rec: RelationCatalog): void {
    this.changes++;
    this.relations.set(relKey(rec.database, rec.schema, rec.name), rec);
    this.relationsById.set(rec.id, rec);
  }

  private attachStorage(rel: RelationCatalog): void {
    this.storage.createTable(rel.id, { types: rel.columns.map((c) => c.type), pk: rel.pk });
  }

  // ---------------------------------------------------------------------------------------
  // User-defined functions

  /** The overloads named `name` in one schema. */
  getFunctions(database: string, schema: string, name: string): readonly FunctionCatalog[] {
    return this.functionsByName.get(relKey(database, schema, name)) ?? [];
  }

  /**
   * The overloads a call of `name` sees: those of the explicit schema, else of the first
   * schema on the search path that has any (PostgreSQL looks at all of them; one schema's
   * set is what RisingWave resolves against).
   */
  resolveFunctions(database: string, searchPath: readonly string[], schema: string | null, name: string, user?: string): readonly FunctionCatalog[] {
    if (this.functionsByName.size === 0) return [];
    if (schema !== null) return this.getFunctions(database, schema, name);
    for (const s of this.effectiveSearchPath(searchPath, user)) {
      const found = this.getFunctions(database, s, name);
      if (found.length > 0) return found;
    }
    return [];
  }

  getFunctionById(id: number): FunctionCatalog | undefined {
    return this.functions.get(id);
  }

  /** User functions of a database (optionally one schema), in creation order. */
  listFunctions(database: string, schema?: string): FunctionCatalog[] {
    return [...this.functions.values()].filter((f) => f.database === database && (schema === undefined || f.schema === schema)).sort((a, b) => a.id - b.id);
  }

  /** Registers a function; the caller has checked that no overload with its argument types exists. */
  addFunction(rec: FunctionCatalog, batch: WriteBatch): void {
    if (!this.getSchema(rec.database, rec.schema)) throw new SqlError(SqlState.UndefinedSchema, `schema not found: ${rec.schema}`);
    this.indexFunction(rec);
    batch.putMeta(K.func(rec.id), rec);
    this.next = Math.max(this.next, rec.id + 1);
    this.persistNextId(batch);
  }

  dropFunction(id: number, batch: WriteBatch): void {
    const f = this.functions.get(id);
    if (!f) throw new SqlError(SqlState.UndefinedFunction, `function id ${id} not found`);
    this.changes++;
    this.functions.delete(id);
    const key = relKey(f.database, f.schema, f.name);
    const rest = (this.functionsByName.get(key) ?? []).filter((g) => g.id !== id);
    if (rest.length > 0) this.functionsByName.set(key, rest);
    else this.functionsByName.delete(key);
    batch.putMeta(K.func(id), undefined);
  }

  private indexFunction(f: FunctionCatalog): void {
    this.changes++;
    this.functions.set(f.id, f);
    const key = relKey(f.database, f.schema, f.name);
    this.functionsByName.set(key, [...(this.functionsByName.get(key) ?? []), f]);
  }

  // ---------------------------------------------------------------------------------------
  // Users

  getUser(name: string): UserCatalog | undefined {
    return this.users.get(name);
  }

  listUsers(): UserCatalog[] {
    return [...this.users.values()].sort((a, b) => a.id - b.id);
  }

  /** Throws 42710 if the user exists. `rec.id` is assigned here. */
  createUser(rec: Omit<UserCatalog, 'id'>, batch: WriteBatch): UserCatalog {
    if (this.users.has(rec.name)) throw duplicateName('user', rec.name);
    const u: UserCatalog = { ...rec, id: this.nextId() };
    this.changes++;
    this.users.set(u.name, u);
    batch.putMeta(K.user(u.id), u);
    this.persistNextId(batch);
    return u;
  }

  /** Replaces a user record (matched by id, so renames work). */
  alterUser(rec: UserCatalog, batch: WriteBatch): void {
    const old = [...this.users.values()].find((u) => u.id === rec.id);
    if (!old) throw new SqlError(SqlState.UndefinedObject, `user not found: ${rec.name}`);
    if (old.name !== rec.name) {
      if (this.users.has(rec.name)) throw duplicateName('user', rec.name);
      this.users.delete(old.name);
    }
    this.changes++;
    this.users.set(rec.name, rec);
    batch.putMeta(K.user(rec.id), rec);
  }

  dropUser(name: string, batch: WriteBatch): void {
    const u = this.users.get(name);
    if (!u) throw new SqlError(SqlState.UndefinedObject, `user not found: ${name}`);
    this.changes++;
    this.users.delete(name);
    batch.putMeta(K.user(u.id), undefined);
  }
}

const DUPLICATE_STATE = {
  database: SqlState.DuplicateDatabase,
  schema: SqlState.DuplicateSchema,
  user: SqlState.DuplicateObject,
} as const;

/**
 * A name clash: RisingWave's "<kind> with name <n> exists" wording, plus PostgreSQL's
 * "already exists" so that both communities' error matchers recognise it, and PG's SQLSTATE.
 */
export function duplicateName(kind: keyof typeof DUPLICATE_STATE, name: string): SqlError {
  return new SqlError(DUPLICATE_STATE[kind], `${kind} with name ${name} already exists`);
}

/** {@link duplicateName} for relations (42P07). */
export function relationExists(kind: RelationKind, name: string): SqlError {
  return new SqlError(SqlState.DuplicateTable, `${kindName(kind)} with name ${name} already exists`);
}

export function kindName(kind: RelationKind): string {
  return kind === 'materialized_view' ? 'materialized view' : kind;
}

/** `view v1, view v2` — for error messages that name objects. */
export function describeRelations(rels: RelationCatalog[]): string {
  return rels.map((r) => `${kindName(r.kind)} ${r.name}`).join(', ');
}
