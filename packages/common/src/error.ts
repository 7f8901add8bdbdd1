/**
 * Errors with a SQLSTATE. Every error that can reach a client is a SqlError; the
 * protocol boundary (pgwire) turns it into an ErrorResponse, and anything that is
 * not a SqlError becomes XX000 internal_error there.
 */
export const SqlState = {
  SuccessfulCompletion: '00000',
  Warning: '01000',
  FeatureNotSupported: '0A000',
  InvalidTransactionState: '25000',
  ReadOnlySqlTransaction: '25006',
  InFailedSqlTransaction: '25P02',
  InvalidAuthorizationSpecification: '28000',
  InvalidPassword: '28P01',
  DataException: '22000',
  StringDataRightTruncation: '22001',
  NumericValueOutOfRange: '22003',
  NullValueNotAllowed: '22004',
  InvalidDatetimeFormat: '22007',
  DatetimeFieldOverflow: '22008',
  InvalidTimeZoneDisplacementValue: '22009',
  InvalidParameterValue: '22023',
  DivisionByZero: '22012',
  InvalidPrecedingOrFollowingSize: '22013',
  IntervalFieldOverflow: '22015',
  InvalidTextRepresentation: '22P02',
  InvalidBinaryRepresentation: '22P03',
  InvalidEscapeSequence: '22025',
  ArraySubscriptError: '2202E',
  CharacterNotInRepertoire: '22021',
  InvalidRegularExpression: '2201B',
  CardinalityViolation: '21000',
  IntegrityConstraintViolation: '23000',
  NotNullViolation: '23502',
  UniqueViolation: '23505',
  CheckViolation: '23514',
  SyntaxError: '42601',
  InsufficientPrivilege: '42501',
  UndefinedColumn: '42703',
  UndefinedFunction: '42883',
  UndefinedTable: '42P01',
  UndefinedObject: '42704',
  UndefinedParameter: '42P02',
  UndefinedSchema: '3F000',
  UndefinedDatabase: '3D000',
  DuplicateColumn: '42701',
  DuplicateTable: '42P07',
  DuplicateObject: '42710',
  DuplicateSchema: '42P06',
  DuplicateDatabase: '42P04',
  AmbiguousColumn: '42702',
  AmbiguousFunction: '42725',
  DatatypeMismatch: '42804',
  GroupingError: '42803',
  WindowingError: '42P20',
  InvalidColumnReference: '42P10',
  CannotCoerce: '42846',
  WrongObjectType: '42809',
  InvalidName: '42602',
  DependentObjectsStillExist: '2BP01',
  InvalidCursorName: '34000',
  InvalidSqlStatementName: '26000',
  ProtocolViolation: '08P01',
  ConnectionFailure: '08006',
  QueryCanceled: '57014',
  AdminShutdown: '57P01',
  ProgramLimitExceeded: '54000',
  ObjectNotInPrerequisiteState: '55000',
  SerializationFailure: '40001',
  InternalError: 'XX000',
} as const;
export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState] | string;

export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

export interface SqlErrorOptions {
  severity?: Severity;
  detail?: string;
  hint?: string;
  /** 1-based character position in the query text (as PostgreSQL reports it). */
  position?: number;
  /**
   * The errors this one was raised inside, outermost first (RisingWave's error chain,
   * e.g. `['Expr error']` above `LIMIT must not be negative…`). `message` stays the root
   * cause, which is what PostgreSQL-style clients show; `errorReport` renders the chain.
   */
  context?: readonly string[];
  /**
   * PostgreSQL's CONTEXT field (`W`): where in the input the error arose, e.g.
   * `COPY t, line 3, column b: "x"` for a bad value in COPY FROM data.
   */
  where?: string;
}

export class SqlError extends Error {
  readonly code: SqlStateCode;
  readonly severity: Severity;
  readonly detail?: string;
  readonly hint?: string;
  position?: number;
  readonly context?: readonly string[];
  readonly where?: string;

  constructor(code: SqlStateCode, message: string, opts: SqlErrorOptions = {}) {
    super(message);
    this.name = 'SqlError';
    this.code = code;
    this.severity = opts.severity ?? 'ERROR';
    this.detail = opts.detail;
    this.hint = opts.hint;
    this.position = opts.position;
    this.context = opts.context;
    this.where = opts.where;
  }
}

/**
 * RisingWave's text for an error reported under `top` (its pgwire reports every failed
 * statement as "Failed to run the query" caused by the error's chain):
 *
 *     Failed to run the query
 *
 *     Caused by:
 *       <message>
 *
 * or, with context, `Caused by these errors (recent errors listed first):` and a numbered
 * line per error, outermost first, the root cause (`message`) last.
 */
export function errorReport(top: string, err: SqlError): string {
  const chain = [...(err.context ?? []), err.message];
  if (chain.length === 1) return `${top}\n\nCaused by:\n  ${chain[0]}`;
  return `${top}\n\nCaused by these errors (recent errors listed first):\n${chain.map((c, i) => `  ${i + 1}: ${c}`).join('\n')}`;
}

/** `err` with `outer` added as its outermost context. */
export function withContext(err: SqlError, outer: string): SqlError {
  const e = new SqlError(err.code, err.message, { severity: err.severity, detail: err.detail, hint: err.hint, position: err.position, context: [outer, ...(err.context ?? [])] });
  return e;
}

export const notSupported = (what: string, hint?: string) =>
  new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: ${what}`, { hint });
export const syntaxError = (message: string, position?: number) =>
  new SqlError(SqlState.SyntaxError, message, { position });
export const tableNotFound = (name: string) => new SqlError(SqlState.UndefinedTable, `table or source not found: ${name}`);
export const columnNotFound = (name: string) => new SqlError(SqlState.UndefinedColumn, `column "${name}" does not exist`);
export const internalError = (message: string) => new SqlError(SqlState.InternalError, message);

/** Wraps anything thrown into a SqlError (non-SqlErrors become XX000). */
export function toSqlError(e: unknown): SqlError {
  if (e instanceof SqlError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new SqlError(SqlState.InternalError, msg);
}

/**
 * The SQLSTATE `f` fails with: undefined when it succeeds, 'not-sql-error' when it throws
 * something else. Tests use it to assert error classes without try/catch boilerplate.
 */
export function sqlStateOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof SqlError ? e.code : 'not-sql-error';
  }
  return undefined;
}
