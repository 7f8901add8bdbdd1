/**
 * The contract between the protocol layer and whatever executes SQL. pgwire owns framing,
 * the connection state machine, authentication exchanges, and the maps from statement /
 * portal names to the opaque handles below. The engine (packages/frontend) implements
 * these interfaces; pgwire never imports it.
 *
 * Values cross this boundary as datums (packages/common) with their DataType; pgwire
 * encodes them to text or binary with common's codecs.
 */
import type { DataType, Row, SqlError } from '@freshet/common';

/** One column of a result (RowDescription). */
export interface FieldInfo {
  name: string;
  type: DataType;
  /** OID of the source table and attribute number, or 0 (as RisingWave sends). */
  tableOid?: number;
  columnAttr?: number;
}

/** What the engine said about authentication for a user, before any password exchange. */
export type AuthRequirement =
  | { method: 'trust' }
  /** The stored verifier decides which exchanges are possible. */
  | {
      method: 'password';
      /** PostgreSQL-format SCRAM verifier `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`, if known. */
      scramVerifier?: string;
      /** `md5` + md5(password + user), if known. */
      md5Hash?: string;
      /** Cleartext, if the engine kept it (never required). */
      plaintext?: string;
      /** Which exchange the server asks the client for. Default: SCRAM when a verifier exists. */
      prefer?: 'scram-sha-256' | 'md5' | 'password';
    };

export interface StartupParams {
  user: string;
  database: string;
  /** Every key/value pair from the StartupMessage (application_name, options, …). */
  params: Record<string, string>;
}

export interface Notice {
  severity: 'NOTICE' | 'WARNING' | 'INFO';
  code: string;
  message: string;
}

/** A prepared statement's description (ParameterDescription + RowDescription/NoData). */
export interface StatementDescription {
  /** Parameter types, after inference. Unknown ones come back as varchar. */
  paramTypes: DataType[];
  /** null: the statement returns no rows (NoData). */
  fields: FieldInfo[] | null;
}

/** An opaque prepared statement (result of Parse). */
export interface PreparedStatement {
  describe(): StatementDescription;
}

/**
 * `COPY … FROM STDIN`: the engine's end of the copy-in sub-protocol. pgwire sends
 * CopyInResponse, then hands every CopyData payload to `write` in order until CopyDone
 * (`finish`) or CopyFail / an error / the connection closing (`abort`).
 */
export interface CopyInTarget {
  /** Overall format for CopyInResponse: 0 text (text and CSV), 1 binary. */
  readonly format: 0 | 1;
  /** Number of columns the data carries. */
  readonly columns: number;
  /**
   * One CopyData payload. The bytes are only valid during the call (copy what is kept);
   * rows may span payloads. Throws SqlError for bad input: the COPY then fails whole.
   */
  write(data: Buffer): void;
  /** CopyDone: validates the end of the data, commits, and returns the tag (`COPY n`). */
  finish(): Promise<string>;
  /** The COPY ends without CopyDone: nothing it wrote may become visible. Idempotent. */
  abort(): void;
}

/** `COPY … TO STDOUT`: pgwire sends CopyOutResponse, the pieces as CopyData, then CopyDone. */
export interface CopyOutSource {
  readonly format: 0 | 1;
  readonly columns: number;
  /**
   * The next rows of output, each one row's bytes (sent as its own CopyData, as PostgreSQL
   * does, so clients that read row by row work), or null when there is no more.
   */
  next(): Promise<Buffer[] | null>;
  /** The command tag once `next` returned null (`COPY n`). */
  tag(): string;
  /** Releases the source (also after an error). */
  close(): void;
}

/** What one `Portal.execute` produced. */
export interface PortalResult {
  rows: Row[];
  done: boolean;
  tag: string;
  /**
   * The statement is a COPY: pgwire runs the copy sub-protocol with this target / source,
   * and the CommandComplete tag is the one it returns (`tag` is ignored).
   */
  copyIn?: CopyInTarget;
  copyOut?: CopyOutSource;
}

/**
 * A bound, executable statement. Simple-query statements are turned into portals too, so
 * execution has one code path.
 */
export interface Portal {
  /** Columns this portal returns, or null for commands without rows. */
  fields(): FieldInfo[] | null;
  /**
   * Runs (or continues) the statement, returning at most `maxRows` rows (0 = all).
   * `done: false` means the portal is suspended (PortalSuspended). When `done` is true,
   * `tag` is the CommandComplete tag (e.g. `SELECT 3`, `INSERT 0 1`, `CREATE_TABLE`).
   * An empty query returns tag ''. Throws (or rejects with) SqlError on failure.
   * A portal that finishes without waiting may return the result directly: pgwire then
   * answers without an extra trip through the microtask queue (point lookups).
   */
  execute(maxRows: number): PortalResult | Promise<PortalResult>;
  /** Releases resources (Close, end of transaction, connection close). */
  close(): void;
}

export interface BindParams {
  /**
   * Raw parameter values as sent by the client (null = SQL NULL). Built on first access:
   * hot paths read the bytes through `count` / `data` / `starts` / `lengths` instead.
   */
  readonly values: (Buffer | null)[];
  /** Number of parameters. */
  readonly count: number;
  /** Every parameter's bytes, back to back; parameter i is `data[starts[i] … starts[i] + lengths[i])`. */
  readonly data: Buffer;
  readonly starts: ArrayLike<number>;
  /** Byte length per parameter, -1 for NULL. */
  readonly lengths: ArrayLike<number>;
  /** Per-parameter format codes, already expanded to one per parameter (0 text, 1 binary). */
  formats: number[];
}

export interface Session {
  readonly processId: number;
  readonly secretKey: number;
  /** ParameterStatus pairs sent after authentication. */
  initialParameters(): [string, string][];
  /** ParameterStatus changes caused by the last statement (e.g. SET TimeZone). Cleared on read. */
  takeParameterChanges(): [string, string][];
  /** Notices raised by the last statement. Cleared on read. */
  takeNotices(): Notice[];
  /** The session's TimeZone setting, used to encode timestamptz values as text. */
  timeZone(): string;
  /** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
  transactionStatus(): 'I' | 'T' | 'E';

  /**
   * Splits a simple-query string into portals, one per statement. Parse errors throw.
   * Each portal is executed in order; execution stops at the first error.
   */
  simpleQuery(sql: string): Portal[] | Promise<Portal[]>;
  /** Parse: `paramTypes` are the client-specified types (null = infer). */
  prepare(sql: string, paramTypes: (DataType | null)[]): PreparedStatement | Promise<PreparedStatement>;
  /** Bind: `resultFormats` expanded to one per result column by pgwire when possible. */
  bind(stmt: PreparedStatement, params: BindParams): Portal | Promise<Portal>;

  /**
   * Called for every statement error reported to the client (simple or extended protocol),
   * before the ErrorResponse is sent, so a transaction block becomes failed ('E').
   */
  onError(err: SqlError): void;
  /** Connection closed (Terminate or socket end). */
  close(): void;
}

export interface SessionManager {
  /** Which authentication the user needs; throw SqlError 28000 for an unknown user. */
  authRequirement(user: string): AuthRequirement | Promise<AuthRequirement>;
  /** Opens a session after successful authentication. Throws SqlError (e.g. 3D000 unknown database). */
  connect(startup: StartupParams): Session | Promise<Session>;
  /** CancelRequest: cancel the running statement of the session with this key pair, if any. */
  cancel(processId: number, secretKey: number): void;
}
