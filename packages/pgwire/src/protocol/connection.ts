/**
 * One client connection: the protocol state machine from startup packet to Terminate.
 *
 * Phases: `startup` (untyped packets: SSLRequest/GSSENCRequest/CancelRequest/Startup),
 * `auth` (password exchange), `ready` (queries), `closed`. Within `ready`, an error in
 * the extended protocol sets `draining`: every message up to the next Sync is discarded,
 * as in PostgreSQL and Materialize's Ready/Drain machine.
 *
 * Frames are pulled from the decoder one at a time and fully handled (including awaited
 * execution) before the next is looked at, so pipelined messages run strictly in order.
 * Output accumulates in one writer and goes to the socket at ReadyForQuery, Flush, an
 * authentication request, or every ~64 KiB of rows (then waiting for `drain` if the
 * socket buffer is full).
 *
 * Nothing thrown here may escape: an exception ends this connection only.
 */
import type { Socket } from 'node:net';
import { type Row, SqlError, SqlState, typeFromOid, typeOid } from '@freshet/common';
import { PasswordAuthenticator } from '../auth/authenticator';
import * as be from '../codec/backend-messages';
import { BufferReader } from '../codec/buffer-reader';
import { BufferWriter } from '../codec/buffer-writer';
import { FrameDecoder } from '../codec/frame-decoder';
import * as fe from '../codec/frontend-messages';
import { ProtocolError } from '../codec/protocol-error';
import type {
  BindParams,
  CopyInTarget,
  CopyOutSource,
  FieldInfo,
  Portal,
  PortalResult,
  PreparedStatement,
  Session,
  SessionManager,
  StartupParams,
} from '../session';
import { mapError, noticeFields } from './error-mapping';
import { NamedSlots } from './named-slots';
import { FORMAT_BINARY, FORMAT_TEXT, type ResultEncoder, resultEncoder, wireFields } from './result-encoder';

/** Output is handed to the socket once this much is buffered mid-result. */
export const FLUSH_THRESHOLD = 64 * 1024;
/** Stop reading from the socket while this much unprocessed input is buffered. */
const INPUT_HIGH_WATER = 1024 * 1024;
/** OID 705 `unknown`: clients send it to mean "infer", like 0. */
const UNKNOWN_OID = 705;

export interface ConnectionOptions {
  manager: SessionManager;
  maxMessageSize: number;
  log: (msg: string) => void;
}

type Phase = 'startup' | 'auth' | 'ready' | 'closed';

interface PortalState {
  portal: Portal;
  fields: FieldInfo[] | null;
  /** One format code per result column. */
  formats: number[];
  /** Set once execution finished; later Executes only repeat the completion. */
  doneTag: string | null;
}

const NOT_FOUND_STATEMENT = (name: string) =>
  new SqlError(SqlState.InvalidSqlStatementName, `prepared statement "${name}" does not exist`);
const NOT_FOUND_PORTAL = (name: string) => new SqlError(SqlState.InvalidCursorName, `portal "${name}" does not exist`);

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly reader = new BufferReader();
  private readonly writer = new BufferWriter();
  private phase: Phase = 'startup';
  private session: Session | null = null;
  private startup: StartupParams | null = null;
  private authenticator: PasswordAuthenticator | null = null;
  /** Skip extended-protocol messages until Sync (after an error). */
  private draining = false;
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new NamedSlots<PortalState>();
  /** The frame loop is active (possibly suspended in an await). */
  private running = false;
  private inputPaused = false;
  /** Set while a COPY FROM STDIN waits for more input (onData / teardown wake it). */
  private inputWaiter: (() => void) | null = null;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.log = opts.log;
    this.decoder = new FrameDecoder(opts.maxMessageSize);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A client vanishing mid-conversation is routine, not worth a log line.
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') this.log(`connection error: ${e.message}`);
      this.teardown();
    });
    socket.on('close', () => this.teardown());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.setNoDelay(true);
  }

  /** Server shutdown: tell the client why, then close. */
  shutdown(): void {
    if (this.phase === 'closed') return;
    this.sendFatal(new SqlError(SqlState.AdminShutdown, 'terminating connection due to administrator command', { severity: 'FATAL' }));
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.decoder.push(chunk);
    if (this.inputWaiter) {
      const wake = this.inputWaiter;
      this.inputWaiter = null;
      wake();
    } else if (!this.running) {
      this.pump();
    } else if (!this.inputPaused && this.decoder.buffered > INPUT_HIGH_WATER) {
      this.inputPaused = true;
      this.socket.pause();
    }
  }

  /**
   * Handles buffered frames in order until more input is needed. Synchronous while every
   * handler is (a prepared point lookup: Bind, Describe, Execute, Sync); at the first
   * handler that returns a promise the rest continues in `resume`. An async pump cost a
   * promise and a suspended frame per chunk of input, i.e. per query.
   */
  private pump(): void {
    this.running = true;
    let pending: Promise<void> | undefined;
    try {
      pending = this.runFrames();
    } catch (e) {
      // Only framing/decoding errors and bugs get here; statement errors are handled in place.
      this.sendFatal(e);
    }
    if (pending !== undefined) void this.resume(pending);
    else this.pumpDone();
  }

  /** Runs frames until one must be waited for (returned), or none is left (undefined). */
  private runFrames(): Promise<void> | undefined {
    while (this.phase !== 'closed' && this.decoder.next()) {
      const pending = this.handleFrame();
      if (pending !== undefined) return pending;
      // A long pipeline without Sync/Flush must not grow the output without bound.
      if (this.writer.length >= FLUSH_THRESHOLD && !this.flush()) return this.drained();
    }
    return undefined;
  }

  /** The pump after a handler went async: waits, then goes on with the next frames. */
  private async resume(pending: Promise<void>): Promise<void> {
    try {
      for (let p: Promise<void> | undefined = pending; p !== undefined; p = this.runFrames()) {
        await p;
        if (this.writer.length >= FLUSH_THRESHOLD && !this.flush()) await this.drained();
      }
    } catch (e) {
      this.sendFatal(e);
    } finally {
      this.pumpDone();
    }
  }

  private pumpDone(): void {
    this.running = false;
    if (this.inputPaused && this.phase !== 'closed') {
      this.inputPaused = false;
      this.socket.resume();
    }
  }

  private handleFrame(): Promise<void> | void {
    const d = this.decoder;
    const r = this.reader;
    if (this.phase === 'startup') return this.onStartupPacket(r.reset(d.buf, d.start, d.end, 'startup packet'));
    const type = d.type;
    r.reset(d.buf, d.start, d.end, frameWhat(type));
    if (this.phase === 'auth') {
      if (type !== fe.FE.Password) {
        throw new ProtocolError(`expected password response, got message type ${describeType(type)}`);
      }
      return this.onPasswordMessage(r);
    }
    switch (type) {
      case fe.FE.Sync:
        return this.onSync();
      case fe.FE.Terminate:
        return this.onTerminate();
      case fe.FE.Query:
      case fe.FE.Parse:
      case fe.FE.Bind:
      case fe.FE.Describe:
      case fe.FE.Execute:
      case fe.FE.Close:
      case fe.FE.Flush:
      case fe.FE.FunctionCall:
        if (this.draining) return;
        return this.onQueryMessage(type, r);
      case fe.FE.CopyData:
      case fe.FE.CopyDone:
      case fe.FE.CopyFail:
        // Not in COPY IN (e.g. the rest of a COPY that failed mid-stream): PostgreSQL ignores these.
        return;
      default:
        throw new ProtocolError(`invalid frontend message type ${describeType(type)}`);
    }
  }

  // ---------------------------------------------------------------- startup & auth

  private onStartupPacket(r: BufferReader): Promise<void> | void {
    const pkt = fe.readStartupPacket(r);
    switch (pkt.kind) {
      case 'ssl':
      case 'gssenc':
        // No TLS / GSS encryption: 'N' and the client continues in plaintext.
        this.writer.byte(0x4e);
        this.flush();
        return;
      case 'cancel':
        // Handled right here, on its own connection, while the target may be mid-query.
        try {
          this.opts.manager.cancel(pkt.processId, pkt.secretKey);
        } catch (e) {
          this.log(`cancel request failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        this.close();
        return;
      case 'startup':
        return this.onStartup(pkt.major, pkt.minor, pkt.params);
    }
  }

  private async onStartup(major: number, minor: number, params: Record<string, string>): Promise<void> {
    if (major !== 3) {
      throw new SqlError(SqlState.FeatureNotSupported, `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.0`, {
        severity: 'FATAL',
      });
    }
    this.decoder.startupPhase = false;
    const protocolOptions = Object.keys(params).filter((k) => k.startsWith('_pq_.'));
    if (minor > 0 || protocolOptions.length > 0) be.writeNegotiateProtocolVersion(this.writer, 0, protocolOptions);
    const user = params.user;
    if (!user) {
      throw new SqlError(SqlState.InvalidAuthorizationSpecification, 'no PostgreSQL user name specified in startup packet', { severity: 'FATAL' });
    }
    const clean: Record<string, string> = {};
    for (const k of Object.keys(params)) if (!k.startsWith('_pq_.')) clean[k] = params[k];
    this.startup = { user, database: params.database || user, params: clean };
    this.phase = 'auth';
    const req = await this.opts.manager.authRequirement(user);
    if (this.phase !== 'auth') return;
    if (req.method === 'trust') return this.openSession();
    this.authenticator = new PasswordAuthenticator(user, req);
    this.authenticator.start(this.writer);
    this.flush();
  }

  private async onPasswordMessage(r: BufferReader): Promise<void> {
    if (!this.authenticator) throw new ProtocolError('unexpected password message');
    const done = await this.authenticator.receive(r, this.writer);
    if (!done) {
      this.flush();
      return;
    }
    this.authenticator = null;
    return this.openSession();
  }

  private async openSession(): Promise<void> {
    const session = await this.opts.manager.connect(this.startup!);
    if (this.phase === 'closed') {
      // The client went away while the session was being created.
      session.close();
      return;
    }
    this.session = session;
    this.phase = 'ready';
    const w = this.writer;
    be.writeAuthOk(w);
    for (const [k, v] of session.initialParameters()) be.writeParameterStatus(w, k, v);
    be.writeBackendKeyData(w, session.processId, session.secretKey);
    be.writeReadyForQuery(w, session.transactionStatus());
    this.flush();
  }

  // ---------------------------------------------------------------- queries

  /** Runs one query-phase message (not Sync/Terminate). */
  private onQueryMessage(type: number, r: BufferReader): Promise<void> | void {
    if (type === fe.FE.Query) return this.onSimpleQuery(fe.readQuery(r));
    if (type === fe.FE.FunctionCall) return this.onFunctionCall();
    // Extended protocol. Handlers return a promise only when the engine did, so cached
    // point lookups go through Parse/Bind/Describe/Sync without an await each.
    let pending: Promise<void> | void;
    try {
      pending = this.dispatchExtended(type, r);
    } catch (e) {
      return this.onExtendedError(e);
    }
    if (pending !== undefined) return pending.catch((e) => this.onExtendedError(e));
  }

  private dispatchExtended(type: number, r: BufferReader): Promise<void> | void {
    switch (type) {
      case fe.FE.Parse:
        return this.onParse(fe.readParse(r));
      case fe.FE.Bind:
        return this.onBind(fe.readBind(r));
      case fe.FE.Describe:
        return this.onDescribe(fe.readTarget(r, 'Describe'));
      case fe.FE.Execute:
        return this.onExecute(fe.readExecute(r));
      case fe.FE.Close:
        return this.onClose(fe.readTarget(r, 'Close'));
      case fe.FE.Flush:
        r.expectEnd();
        this.flush();
        return;
    }
  }

  /** Reports an extended-protocol error, then skips to Sync. Malformed messages stay FATAL. */
  private onExtendedError(e: unknown): void {
    if (e instanceof ProtocolError) throw e; // the byte stream can't be trusted any more
    this.reportError(e);
    if (this.phase !== 'closed') this.draining = true;
  }

  /**
   * A simple query. One statement whose portal answers synchronously (a cached point
   * lookup) is handled without a promise, as the extended protocol's Bind/Execute are:
   * an async function per statement cost two promises and their suspended frames per
   * query, young-generation garbage that every connection then waits on.
   */
  private onSimpleQuery(sql: string): Promise<void> | void {
    const session = this.session!;
    // A simple query replaces the unnamed statement and portal, as in PostgreSQL.
    this.statements.delete('');
    this.closePortal('');
    let portals: Portal[] | Promise<Portal[]>;
    try {
      portals = session.simpleQuery(sql);
    } catch (e) {
      this.reportError(e);
      return this.endSimpleQuery(session);
    }
    if (portals instanceof Promise || portals.length !== 1) return this.simpleQueryAsync(session, portals);
    const portal = portals[0];
    let pending: Promise<void> | void;
    try {
      pending = this.runToCompletion(session, portal);
    } catch (e) {
      safeClose(portal, this.log);
      this.reportError(e);
      return this.endSimpleQuery(session);
    }
    if (pending !== undefined) {
      return pending.then(
        () => this.statementDone(session, portal),
        (e) => {
          safeClose(portal, this.log);
          this.reportError(e);
          this.endSimpleQuery(session);
        },
      );
    }
    this.statementDone(session, portal);
  }

  /** After the single statement of a simple query succeeded. */
  private statementDone(session: Session, portal: Portal): void {
    safeClose(portal, this.log);
    this.writeSideEffects(session);
    this.endSimpleQuery(session);
  }

  private endSimpleQuery(session: Session): void {
    if (this.phase === 'closed') return;
    be.writeReadyForQuery(this.writer, session.transactionStatus());
    this.flush();
  }

  /** Simple queries with several statements (or none), or whose session answers asynchronously. */
  private async simpleQueryAsync(session: Session, statements: Portal[] | Promise<Portal[]>): Promise<void> {
    let portals: Portal[] = [];
    let next = 0;
    try {
      portals = await statements;
      if (portals.length === 0) be.writeEmptyQueryResponse(this.writer);
      // Stop early if the client went away: its remaining statements must not run.
      while (next < portals.length && this.phase !== 'closed') {
        const portal = portals[next++];
        try {
          const pending = this.runToCompletion(session, portal);
          if (pending !== undefined) await pending;
        } finally {
          safeClose(portal, this.log);
        }
        this.writeSideEffects(session);
      }
    } catch (e) {
      this.reportError(e);
    } finally {
      for (; next < portals.length; next++) safeClose(portals[next], this.log);
    }
    this.endSimpleQuery(session);
  }

  /**
   * Simple-query execution of one statement: RowDescription, all rows, completion.
   * Returns a promise only if the portal or the socket made it wait.
   */
  private runToCompletion(session: Session, portal: Portal): Promise<void> | void {
    const fields = portal.fields();
    const encoder = fields ? resultEncoder(fields, null, session.timeZone()) : null;
    if (encoder) encoder.writeRowDescription(this.writer);
    const first = portal.execute(0);
    if (first instanceof Promise || !first.done || first.copyIn || first.copyOut) return this.continueToCompletion(portal, encoder, first);
    // Every row at once, synchronously (a cached point lookup).
    const written = encoder && first.rows.length > 0 ? this.writeRows(encoder, first.rows) : undefined;
    if (written) return written.then(() => this.writeCompletion(first.tag));
    this.writeCompletion(first.tag);
  }

  private async continueToCompletion(portal: Portal, encoder: ResultEncoder | null, first: PortalResult | Promise<PortalResult>): Promise<void> {
    let pending = first;
    for (;;) {
      const res = pending instanceof Promise ? await pending : pending;
      if (res.copyIn || res.copyOut) {
        this.writeCompletion(await this.runCopy(res));
        return;
      }
      if (encoder && res.rows.length > 0) {
        const written = this.writeRows(encoder, res.rows);
        if (written) await written;
      }
      if (res.done) {
        this.writeCompletion(res.tag);
        return;
      }
      pending = portal.execute(0);
    }
  }

  /** The legacy fastpath function call: rejected, then ReadyForQuery like a failed simple query. */
  private onFunctionCall(): void {
    this.reportError(new SqlError(SqlState.FeatureNotSupported, 'function call protocol is not supported'));
    if (this.phase === 'closed') return;
    be.writeReadyForQuery(this.writer, this.session!.transactionStatus());
    this.flush();
  }

  private onParse(m: fe.ParseMessage): Promise<void> | void {
    if (m.name === '') this.statements.delete('');
    else if (this.statements.has(m.name)) {
      throw new SqlError('42P05', `prepared statement "${m.name}" already exists`);
    }
    const types = m.paramOids.map((oid) => {
      if (oid === 0 || oid === UNKNOWN_OID) return null;
      const t = typeFromOid(oid);
      if (!t) throw new SqlError(SqlState.UndefinedObject, `type with OID ${oid} does not exist`);
      return t;
    });
    const stmt = this.session!.prepare(m.sql, types);
    if (stmt instanceof Promise) return stmt.then((s) => this.parsed(m.name, s));
    this.parsed(m.name, stmt);
  }

  private parsed(name: string, stmt: PreparedStatement): void {
    this.statements.set(name, stmt);
    be.writeParseComplete(this.writer);
  }

  private onBind(m: fe.BindMessage): Promise<void> | void {
    const stmt = this.statements.get(m.statement);
    if (!stmt) throw NOT_FOUND_STATEMENT(m.statement);
    if (m.portal === '') this.closePortal('');
    else if (this.portals.has(m.portal)) throw new SqlError('42P03', `portal "${m.portal}" already exists`);
    const portal = this.session!.bind(stmt, new BoundParams(m, expandFormats(m.paramFormats, m.count, 'parameter')));
    if (portal instanceof Promise) return portal.then((p) => this.bound(m, p));
    this.bound(m, portal);
  }

  private bound(m: fe.BindMessage, portal: Portal): void {
    try {
      const fields = portal.fields();
      const resultFormats = fields ? expandFormats(m.resultFormats, fields.length, 'result') : [];
      this.portals.set(m.portal, { portal, fields, formats: resultFormats, doneTag: null });
    } catch (e) {
      safeClose(portal, this.log);
      throw e;
    }
    be.writeBindComplete(this.writer);
  }

  private onDescribe(m: fe.TargetMessage): void {
    const w = this.writer;
    if (m.which === 'S') {
      const stmt = this.statements.get(m.name);
      if (!stmt) throw NOT_FOUND_STATEMENT(m.name);
      const d = stmt.describe();
      be.writeParameterDescription(w, d.paramTypes.map(typeOid));
      if (d.fields) be.writeRowDescription(w, wireFields(d.fields, null));
      else be.writeNoData(w);
    } else {
      const ps = this.portals.get(m.name);
      if (!ps) throw NOT_FOUND_PORTAL(m.name);
      if (ps.fields) resultEncoder(ps.fields, ps.formats, this.session!.timeZone()).writeRowDescription(w);
      else be.writeNoData(w);
    }
  }

  private onExecute(m: fe.ExecuteMessage): Promise<void> | void {
    const ps = this.portals.get(m.portal);
    if (!ps) throw NOT_FOUND_PORTAL(m.portal);
    if (ps.doneTag !== null) {
      // Already ran to completion: no rows, same completion (a query fetches 0 more rows).
      this.writeCompletion(ps.fields && ps.doneTag.startsWith('SELECT') ? 'SELECT 0' : ps.doneTag);
      return;
    }
    const session = this.session!;
    const res = ps.portal.execute(m.maxRows);
    // A portal that answered synchronously (point lookups) is finished without an await.
    if (res instanceof Promise) return res.then((r) => this.writeExecuted(session, ps, r));
    return this.writeExecuted(session, ps, res);
  }

  private writeExecuted(session: Session, ps: PortalState, res: PortalResult): Promise<void> | void {
    if (res.copyIn || res.copyOut) return this.runCopy(res).then((tag) => this.executed(session, ps, true, tag));
    const pending = ps.fields && res.rows.length > 0 ? this.writeRows(resultEncoder(ps.fields, ps.formats, session.timeZone()), res.rows) : undefined;
    if (pending) return pending.then(() => this.executed(session, ps, res.done, res.tag));
    this.executed(session, ps, res.done, res.tag);
  }

  private executed(session: Session, ps: PortalState, done: boolean, tag: string): void {
    if (this.phase === 'closed') return;
    if (done) {
      ps.doneTag = tag;
      this.writeCompletion(tag);
    } else {
      be.writePortalSuspended(this.writer);
    }
    this.writeSideEffects(session);
  }

  private onClose(m: fe.TargetMessage): void {
    if (m.which === 'S') this.statements.delete(m.name);
    else this.closePortal(m.name);
    be.writeCloseComplete(this.writer);
  }

  private onSync(): void {
    this.reader.expectEnd();
    this.draining = false;
    const session = this.session!;
    // Portals live in their transaction; outside a transaction block, Sync ends the
    // implicit one, so they are gone (as in PostgreSQL).
    if (session.transactionStatus() === 'I' && this.portals.size > 0) {
      for (const name of this.portals.names()) this.closePortal(name);
    }
    be.writeReadyForQuery(this.writer, session.transactionStatus());
    this.flush();
  }

  private onTerminate(): void {
    this.flush();
    this.close();
  }

  // ---------------------------------------------------------------- COPY

  private runCopy(res: PortalResult): Promise<string> {
    return res.copyIn ? this.copyIn(res.copyIn) : this.copyOut(res.copyOut!);
  }

  /**
   * COPY FROM STDIN: CopyInResponse, then this loop reads the frames itself (the pump is
   * suspended in the statement that started the COPY) until CopyDone or CopyFail. Flush and
   * Sync are ignored here, as in PostgreSQL (libpq may send them without noticing the COPY);
   * any other message ends the COPY with a protocol-violation error. On any error the target
   * is aborted (nothing becomes visible) and the error goes to the client as the statement's;
   * CopyData that the client keeps sending after it is then ignored by the normal loop.
   */
  private async copyIn(target: CopyInTarget): Promise<string> {
    be.writeCopyResponse(this.writer, be.BE.CopyInResponse, target.format, target.columns);
    this.flush();
    const d = this.decoder;
    try {
      for (;;) {
        if (this.phase === 'closed') throw new SqlError(SqlState.ConnectionFailure, 'connection closed during COPY from stdin');
        if (!d.next()) {
          await this.moreInput();
          continue;
        }
        switch (d.type) {
          case fe.FE.CopyData:
            target.write(d.buf.subarray(d.start, d.end));
            break;
          case fe.FE.CopyDone:
            return await target.finish();
          case fe.FE.CopyFail: {
            const why = this.reader.reset(d.buf, d.start, d.end, 'CopyFail message').cstring();
            throw new SqlError(SqlState.QueryCanceled, `COPY from stdin failed: ${why}`);
          }
          case fe.FE.Flush:
          case fe.FE.Sync:
            break;
          default:
            throw new SqlError(SqlState.ProtocolViolation, `unexpected message type 0x${d.type.toString(16).padStart(2, '0')} during COPY from stdin`);
        }
      }
    } catch (e) {
      target.abort();
      throw e;
    }
  }

  /** Resolves when more input arrived (or the connection closed); resumes a paused socket. */
  private moreInput(): Promise<void> {
    if (this.inputPaused) {
      this.inputPaused = false;
      this.socket.resume();
    }
    return new Promise((resolve) => {
      this.inputWaiter = resolve;
    });
  }

  /** COPY TO STDOUT: CopyOutResponse, the source's pieces as CopyData, CopyDone; returns the tag. */
  private async copyOut(source: CopyOutSource): Promise<string> {
    try {
      be.writeCopyResponse(this.writer, be.BE.CopyOutResponse, source.format, source.columns);
      for (;;) {
        const rows = await source.next();
        if (rows === null) break;
        if (this.phase === 'closed') return source.tag();
        for (const row of rows) {
          be.writeCopyData(this.writer, row);
          if (this.writer.length >= FLUSH_THRESHOLD && !this.flush()) await this.drained();
        }
      }
      be.writeCopyDone(this.writer);
      return source.tag();
    } finally {
      source.close();
    }
  }

  // ---------------------------------------------------------------- output helpers

  private writeCompletion(tag: string): void {
    if (tag === '') be.writeEmptyQueryResponse(this.writer);
    else be.writeCommandComplete(this.writer, tag);
  }

  /** Notices and ParameterStatus changes produced by the statement that just ran. */
  private writeSideEffects(session: Session): void {
    for (const n of session.takeNotices()) be.writeNoticeResponse(this.writer, noticeFields(n));
    for (const [k, v] of session.takeParameterChanges()) be.writeParameterStatus(this.writer, k, v);
  }

  /**
   * Writes DataRows, handing ~64 KiB pieces to the socket. Returns a promise only if the
   * socket pushed back (then the rest waits for 'drain').
   */
  private writeRows(encoder: ResultEncoder, rows: readonly Row[], from = 0): Promise<void> | void {
    let i = from;
    while (i < rows.length) {
      i = encoder.writeRows(this.writer, rows, i, FLUSH_THRESHOLD);
      if (this.writer.length >= FLUSH_THRESHOLD && !this.flush()) {
        const next = i;
        return this.drained().then(() => (this.phase === 'closed' ? undefined : this.writeRows(encoder, rows, next)));
      }
    }
  }

  /** Sends an ErrorResponse (plus any notices raised before it); closes if it is FATAL. */
  private reportError(e: unknown): void {
    const mapped = mapError(e, this.log);
    const session = this.session;
    if (session) {
      try {
        for (const n of session.takeNotices()) be.writeNoticeResponse(this.writer, noticeFields(n));
        session.onError(mapped.error);
      } catch (inner) {
        this.log(`session.onError failed: ${inner instanceof Error ? inner.message : String(inner)}`);
      }
    }
    be.writeErrorResponse(this.writer, mapped);
    if (mapped.fatal) {
      this.flush();
      this.close();
    }
  }

  /** Sends a FATAL ErrorResponse and closes. Never throws. */
  private sendFatal(e: unknown): void {
    try {
      if (this.phase === 'closed') {
        if (!(e instanceof SqlError)) this.log(`error after close: ${e instanceof Error ? e.stack : String(e)}`);
        return;
      }
      be.writeErrorResponse(this.writer, mapError(e, this.log, true));
      this.flush();
    } catch (inner) {
      this.log(`failed to report a fatal error: ${inner instanceof Error ? inner.message : String(inner)}`);
    }
    this.close();
  }

  /** Hands buffered output to the socket. Returns false when the caller should wait for 'drain'. */
  private flush(): boolean {
    if (this.writer.length === 0) return true;
    const out = this.writer.take();
    if (this.phase === 'closed' && this.socket.destroyed) return true;
    if (!this.socket.writable) return true;
    return this.socket.write(out);
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  // ---------------------------------------------------------------- lifecycle

  private closePortal(name: string): void {
    const ps = this.portals.get(name);
    if (!ps) return;
    this.portals.delete(name);
    safeClose(ps.portal, this.log);
  }

  /** Ends the connection gracefully (pending output is still sent). */
  private close(): void {
    if (this.socket.writable) this.socket.end();
    this.teardown();
    // If the peer never reads, don't keep the socket forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  /** Releases engine resources exactly once. */
  private teardown(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    // A COPY waiting for data learns of the close and aborts.
    const wake = this.inputWaiter;
    this.inputWaiter = null;
    wake?.();
    for (const name of this.portals.names()) this.closePortal(name);
    this.statements.clear();
    const session = this.session;
    this.session = null;
    if (session) {
      try {
        session.close();
      } catch (e) {
        this.log(`session.close failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

function safeClose(portal: Portal, log: (msg: string) => void): void {
  try {
    portal.close();
  } catch (e) {
    log(`portal.close failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A Bind's parameters as the session sees them: the frame's values and the expanded formats. */
class BoundParams implements BindParams {
  readonly count: number;
  readonly data: Buffer;
  readonly starts: ArrayLike<number>;
  readonly lengths: ArrayLike<number>;
  constructor(
    private readonly m: fe.BindMessage,
    readonly formats: number[],
  ) {
    this.count = m.count;
    this.data = m.data;
    this.starts = m.starts;
    this.lengths = m.lengths;
  }

  get values(): (Buffer | null)[] {
    return this.m.values;
  }
}

/**
 * All-text format lists by length, shared (read-only: the result encoder copies what it
 * keeps) because nearly every Bind asks for text, and a prepared lookup binds per query.
 */
const ALL_TEXT: number[][] = [];
/** The last longer list: a batched INSERT binds the same thousands of parameters every time. */
let lastLongText: number[] = [];
const allText = (n: number): number[] => {
  if (n < 64) return (ALL_TEXT[n] ??= new Array<number>(n).fill(FORMAT_TEXT));
  if (lastLongText.length !== n) lastLongText = new Array<number>(n).fill(FORMAT_TEXT);
  return lastLongText;
};

/** Expands Bind's 0 / 1 / n format codes to exactly `n` codes, validating each. */
function expandFormats(codes: number[], n: number, what: 'parameter' | 'result'): number[] {
  let out: number[];
  if (codes.length === 0 || (codes.length === 1 && codes[0] === FORMAT_TEXT)) return allText(n);
  else if (codes.length === 1) out = new Array<number>(n).fill(codes[0]);
  else if (codes.length === n) out = codes;
  else {
    const has = what === 'parameter' ? `${n} parameters` : `${n} result columns`;
    throw new SqlError(SqlState.ProtocolViolation, `bind message has ${codes.length} ${what} formats but ${has}`);
  }
  for (const c of out) {
    if (c !== FORMAT_TEXT && c !== FORMAT_BINARY) {
      throw new SqlError(SqlState.InvalidParameterValue, `unsupported format code: ${c}`);
    }
  }
  return out;
}

/** The reader's error context per message type, made once (not a new string per frame). */
const FRAME_WHAT: string[] = [];
const frameWhat = (type: number): string => (FRAME_WHAT[type] ??= `"${String.fromCharCode(type)}" message`);

function describeType(type: number): string {
  return type >= 0x20 && type < 0x7f ? `"${String.fromCharCode(type)}"` : `0x${type.toString(16).padStart(2, '0')}`;
}
