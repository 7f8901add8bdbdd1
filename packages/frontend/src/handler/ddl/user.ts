/**
 * CREATE USER / ALTER USER / DROP USER (and the ROLE spellings). Passwords are stored
 * only as PostgreSQL-format secrets: a SCRAM-SHA-256 verifier and an md5 hash, so either
 * authentication method works; a password given already hashed is stored as given.
 * RisingWave tags ALTER USER as UPDATE_USER.
 */
import { SqlError, SqlState } from '@freshet/common';
import { makeScramVerifier, md5PasswordHash } from '@freshet/pgwire';
import type { PgNode, PgStatement } from '@freshet/sql';
import type { UserCatalog } from '../../catalog/model';
import { duplicateName } from '../../catalog/catalog';
import { type DdlContext, DdlState, inBatch } from './context';

/** The users created by the catalog at first start; they cannot be dropped. */
const BUILTIN_USERS = new Set(['root', 'postgres']);

type UserAttrs = Pick<UserCatalog, 'superuser' | 'canLogin' | 'createDb' | 'scramVerifier' | 'md5Hash'>;

export async function createUser(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.CreateRoleStmt as PgNode;
  const name: string = node.role;
  requireSuperuser(ctx, 'permission denied to create user');
  if (ctx.catalog.getUser(name)) throw duplicateName('user', name);
  const attrs: UserAttrs = { superuser: false, canLogin: node.stmt_type !== 'ROLESTMT_ROLE', createDb: false };
  applyOptions(ctx, name, attrs, node.options);
  await inBatch(ctx, (batch) => ctx.catalog.createUser({ name, ...attrs }, batch));
  return 'CREATE_USER';
}

export async function alterUser(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.AlterRoleStmt as PgNode;
  const name = roleName(ctx, node.role);
  const user = ctx.catalog.getUser(name);
  if (!user) throw new SqlError(SqlState.UndefinedObject, `user not found: ${name}`);
  const options = (node.options ?? []) as PgNode[];
  // Anyone may change their own password; everything else needs a superuser.
  const onlyOwnPassword = name === ctx.user && options.every((o) => o.DefElem?.defname === 'password');
  if (!onlyOwnPassword) requireSuperuser(ctx, 'permission denied to alter user');
  const next: UserCatalog = { ...user };
  applyOptions(ctx, name, next, options);
  await inBatch(ctx, (batch) => ctx.catalog.alterUser(next, batch));
  return 'UPDATE_USER';
}

/** ALTER USER a RENAME TO b. A renamed user's md5 hash (salted with the name) is cleared. */
export async function renameUser(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.RenameStmt as PgNode;
  const from: string = node.subname;
  const to: string = node.newname;
  requireSuperuser(ctx, 'permission denied to rename user');
  const user = ctx.catalog.getUser(from);
  if (!user) throw new SqlError(SqlState.UndefinedObject, `user not found: ${from}`);
  if (from === ctx.user) throw new SqlError(SqlState.FeatureNotSupported, 'session user cannot be renamed');
  if (ctx.catalog.getUser(to)) throw duplicateName('user', to);
  const next: UserCatalog = { ...user, name: to };
  if (next.md5Hash) {
    delete next.md5Hash;
    ctx.notice('MD5 password cleared because of role rename');
  }
  await inBatch(ctx, (batch) => ctx.catalog.alterUser(next, batch));
  return 'UPDATE_USER';
}

export async function dropUsers(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.DropRoleStmt as PgNode;
  requireSuperuser(ctx, 'permission denied to drop user');
  const names: string[] = [];
  for (const r of (node.roles ?? []) as PgNode[]) {
    const name = roleName(ctx, r.RoleSpec ?? r);
    if (!ctx.catalog.getUser(name)) {
      if (node.missing_ok) {
        ctx.notice(`user "${name}" does not exist, skipping`);
        continue;
      }
      throw new SqlError(SqlState.UndefinedObject, `user not found: ${name}`);
    }
    if (name === ctx.user) throw new SqlError(DdlState.ObjectInUse, 'current user cannot be dropped');
    if (BUILTIN_USERS.has(name)) throw new SqlError(SqlState.InsufficientPrivilege, `cannot drop the default super user "${name}"`);
    names.push(name);
  }
  if (names.length > 0) await inBatch(ctx, (batch) => names.forEach((n) => ctx.catalog.dropUser(n, batch)));
  return 'DROP_USER';
}

function roleName(ctx: DdlContext, spec: PgNode): string {
  switch (spec.roletype) {
    case 'ROLESPEC_CURRENT_USER':
    case 'ROLESPEC_SESSION_USER':
    case 'ROLESPEC_CURRENT_ROLE':
      return ctx.user;
    default:
      return spec.rolename;
  }
}

function requireSuperuser(ctx: DdlContext, message: string): void {
  if (!ctx.catalog.getUser(ctx.user)?.superuser) throw new SqlError(SqlState.InsufficientPrivilege, message);
}

function applyOptions(ctx: DdlContext, name: string, attrs: UserAttrs, options: PgNode[] | undefined): void {
  for (const o of options ?? []) {
    const d = o.DefElem;
    const flag = (): boolean => d.arg?.Boolean?.boolval ?? false;
    switch (d.defname) {
      case 'superuser':
        attrs.superuser = flag();
        break;
      case 'createdb':
        attrs.createDb = flag();
        break;
      case 'canlogin':
        attrs.canLogin = flag();
        break;
      case 'password':
        setPassword(ctx, name, attrs, d.arg?.String?.sval ?? null);
        break;
      case 'createrole':
      case 'inherit':
      case 'replication':
      case 'bypassrls':
      case 'connectionlimit':
      case 'validUntil':
        // Accepted for compatibility; Freshet has no such privileges to grant yet.
        break;
      default:
        throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: user option ${d.defname}`);
    }
  }
}

function setPassword(ctx: DdlContext, name: string, attrs: UserAttrs, password: string | null): void {
  delete attrs.scramVerifier;
  delete attrs.md5Hash;
  if (password === null) return;
  if (password === '') {
    ctx.notice('empty string is not a valid password, clearing password');
    return;
  }
  if (/^md5[0-9a-f]{32}$/.test(password)) attrs.md5Hash = password;
  else if (password.startsWith('SCRAM-SHA-256$')) attrs.scramVerifier = password;
  else {
    attrs.scramVerifier = makeScramVerifier(password);
    attrs.md5Hash = md5PasswordHash(name, password);
  }
}
