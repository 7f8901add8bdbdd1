/**
 * Test-only: a tiny SessionManager/Session that returns fixed rows, so the protocol can
 * be exercised without the real engine. Never exported from the package.
 *
 * Statements (one per `;`-separated piece, case-insensitive):
 *   rows N        N rows of (n integer, s varchar), tag `SELECT N`
 *   big N         N rows of one 1 KiB varchar column
 *   echo $1 $2 …  one row with each parameter (text params as strings, binary int4 decoded)
 *   insert        no rows, tag `INSERT 0 1`
 *   notice        raises a NOTICE, tag `DO`
 *   set tz X      ParameterStatus TimeZone=X, tag `SET`
 *   begin/commit  transaction status T / I
 *   error         fails at execution with 42601 (position, detail, hint)
 *   parse error   fails when parsed
 *   crash         throws a plain Error at execution (must become XX000)
 *   fatal         fails with a FATAL 57P01
 *   sleep         runs until cancelled (57014)
 *   (empty)       empty query
 */
import { type DataType, type Datum, type Row, SqlError, T } from '@freshet/common';
import type {
  AuthRequirement,
  BindParams,
  FieldInfo,
  Notice,
  Portal,
  PortalResult,
  PreparedStatement,
  Session,
  SessionManager,
  StartupParams,
  StatementDescription,
} from '../session';

const ROW_FIELDS: FieldInfo[] = [
  { name: 'n', type: T.Int32 },
  { name: 's', type: T.Varchar },
];
const KIB = 'x'.repeat(1024);

export class FakeManager implements SessionManager {
  readonly sessions = new Map<number, FakeSession>();
  closedSessions = 0;
  cancels = 0;
  private nextPid = 1000;

  constructor(public users: Record<string, AuthRequirement> = { test: { method: 'trust' } }) {}

  authRequirement(user: string): AuthRequirement {
    const r = this.users[user];
    if (!r) throw new SqlError('28000', `role "${user}" does not exist`, { severity: 'FATAL' });
    return r;
  }

  connect(startup: StartupParams): Session {
    if (startup.database === 'nodb') throw new SqlError('3D000', `database "nodb" does not exist`, { severity: 'FATAL' });
    const s = new FakeSession(this, this.nextPid++, startup);
    this.sessions.set(s.processId, s);
    return s;
  }

  cancel(processId: number, secretKey: number): void {
    this.cancels++;
    const s = this.sessions.get(processId);
    if (s && s.secretKey === secretKey) s.cancelRequested = true;
  }
}

export class FakeSession implements Session {
  readonly secretKey: number;
  tx: 'I' | 'T' | 'E' = 'I';
  cancelRequested = false;
  errors: SqlError[] = [];
  private notices: Notice[] = [];
  private changes: [string, string][] = [];
  private tz = 'UTC';

  constructor(
    private readonly manager: FakeManager,
    readonly processId: number,
    readonly startup: StartupParams,
  ) {
    this.secretKey = (processId * 7919) | 0;
  }

  initialParameters(): [string, string][] {
    return [
      ['server_version', '13.14.0'],
      ['TimeZone', this.tz],
      ['client_encoding', 'UTF8'],
    ];
  }
  takeParameterChanges(): [string, string][] {
    const c = this.changes;
    this.changes = [];
    return c;
  }
  takeNotices(): Notice[] {
    const n = this.notices;
    this.notices = [];
    return n;
  }
  timeZone(): string {
    return this.tz;
  }
  transactionStatus(): 'I' | 'T' | 'E' {
    return this.tx;
  }

  simpleQuery(sql: string): Portal[] {
    const stmts = sql
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return stmts.map((s) => this.prepare(s, []).bindValues([]));
  }

  prepare(sql: string, paramTypes: (DataType | null)[]): FakeStatement {
    const text = sql.trim().toLowerCase();
    if (text === 'parse error') throw new SqlError('42601', 'syntax error at end of input', { position: 7 });
    const nParams = (text.match(/\$\d+/g) ?? []).length;
    const types: DataType[] = [];
    for (let i = 0; i < nParams; i++) types.push(paramTypes[i] ?? T.Varchar);
    return new FakeStatement(this, text, types);
  }

  bind(stmt: PreparedStatement, params: BindParams): Portal {
    const s = stmt as FakeStatement;
    if (params.values.length !== s.paramTypes.length) {
      throw new SqlError('08P01', `bind message supplies ${params.values.length} parameters, but prepared statement requires ${s.paramTypes.length}`);
    }
    const values: Datum[] = params.values.map((v, i) => {
      if (v === null) return null;
      if (params.formats[i] === 1) return s.paramTypes[i].kind === 'int32' ? v.readInt32BE(0) : v.toString('utf8');
      return s.paramTypes[i].kind === 'int32' ? Number(v.toString()) : v.toString('utf8');
    });
    return s.bindValues(values);
  }

  onError(err: SqlError): void {
    this.errors.push(err);
    if (this.tx === 'T') this.tx = 'E';
  }

  close(): void {
    this.manager.sessions.delete(this.processId);
    this.manager.closedSessions++;
  }

  /** Executes one statement (all at once; FakePortal pages through the rows). */
  async run(text: string, params: Datum[]): Promise<{ rows: Row[]; tag: string }> {
    const [word, arg, arg2] = text.split(/\s+/);
    switch (word) {
      case 'rows': {
        const n = Number(arg);
        const rows: Row[] = [];
        for (let i = 1; i <= n; i++) rows.push([i, `row ${i}`]);
        return { rows, tag: `SELECT ${n}` };
      }
      case 'big': {
        const n = Number(arg);
        const rows: Row[] = [];
        for (let i = 0; i < n; i++) rows.push([KIB]);
        return { rows, tag: `SELECT ${n}` };
      }
      case 'echo':
        return { rows: [params], tag: 'SELECT 1' };
      case 'insert':
        return { rows: [], tag: 'INSERT 0 1' };
      case 'notice':
        this.notices.push({ severity: 'NOTICE', code: '00000', message: 'hello from notice' });
        return { rows: [], tag: 'DO' };
      case 'set':
        this.tz = arg2 ?? 'UTC';
        this.changes.push(['TimeZone', this.tz]);
        return { rows: [], tag: 'SET' };
      case 'begin':
        this.tx = 'T';
        return { rows: [], tag: 'BEGIN' };
      case 'commit':
        this.tx = 'I';
        return { rows: [], tag: 'COMMIT' };
      case 'error':
        throw new SqlError('42601', 'syntax error at or near "error"', { position: 1, detail: 'some detail', hint: 'some hint' });
      case 'crash':
        throw new Error('boom');
      case 'fatal':
        throw new SqlError('57P01', 'terminating connection', { severity: 'FATAL' });
      case 'sleep':
        this.cancelRequested = false;
        while (!this.cancelRequested) await new Promise((r) => setTimeout(r, 2));
        throw new SqlError('57014', 'canceling statement due to user request');
      case '':
        return { rows: [], tag: '' };
      default:
        throw new SqlError('42601', `unknown fake statement "${text}"`);
    }
  }
}

export class FakeStatement implements PreparedStatement {
  constructor(
    readonly session: FakeSession,
    readonly text: string,
    readonly paramTypes: DataType[],
  ) {}

  fields(): FieldInfo[] | null {
    const word = this.text.replace(/^sync\s+/, '').split(/\s+/)[0];
    if (word === 'rows') return ROW_FIELDS;
    if (word === 'big') return [{ name: 'payload', type: T.Varchar }];
    if (word === 'echo') return this.paramTypes.map((t, i) => ({ name: `p${i + 1}`, type: t }));
    return null;
  }

  describe(): StatementDescription {
    return { paramTypes: this.paramTypes, fields: this.fields() };
  }

  bindValues(params: Datum[]): FakePortal {
    return new FakePortal(this, params);
  }
}

export class FakePortal implements Portal {
  private result: { rows: Row[]; tag: string } | null = null;
  private offset = 0;
  closed = false;

  constructor(
    private readonly stmt: FakeStatement,
    private readonly params: Datum[],
  ) {}

  fields(): FieldInfo[] | null {
    return this.stmt.fields();
  }

  /**
   * `sync <statement>` answers without a promise (as the frontend's cached point lookups
   * do), for the pgwire paths that skip the await; only `rows` and `error` are supported.
   */
  execute(maxRows: number): PortalResult | Promise<PortalResult> {
    if (!this.stmt.text.startsWith('sync ')) return this.executeAsync(maxRows);
    const [word, arg] = this.stmt.text.split(/\s+/).slice(1);
    if (word === 'error') throw new SqlError('22012', 'division by zero');
    this.result ??= { rows: Array.from({ length: Number(arg) }, (_, i): Row => [i + 1, `row ${i + 1}`]), tag: `SELECT ${arg}` };
    return this.page(maxRows);
  }

  private async executeAsync(maxRows: number): Promise<PortalResult> {
    this.result ??= await this.stmt.session.run(this.stmt.text, this.params);
    return this.page(maxRows);
  }

  private page(maxRows: number): PortalResult {
    const all = this.result!.rows;
    const end = maxRows > 0 ? Math.min(all.length, this.offset + maxRows) : all.length;
    const rows = all.slice(this.offset, end);
    this.offset = end;
    const done = end >= all.length;
    return { rows, done, tag: this.result!.tag };
  }

  close(): void {
    this.closed = true;
  }
}
