/**
 * RisingWave's system parameters (SHOW PARAMETERS, ALTER SYSTEM SET) that mean something
 * here. `barrier_interval_ms` and `checkpoint_frequency` are mutable: they take effect at
 * once and, with a data dir, are persisted and re-applied at startup (the durable state
 * store keeps them next to its checkpoints).
 */
import { SqlError, SqlState } from '@freshet/common';
import type { PgNode } from '@freshet/sql';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import type { FrontendSession } from '../session/session';
import type { StreamingEngine } from './engine';

interface SystemParam {
  readonly name: string;
  get(engine: StreamingEngine): string;
  /** Absent: immutable. Validates and applies a value; returns it normalised. */
  set?(engine: StreamingEngine, value: string): string;
}

function positiveInt(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new SqlError(SqlState.InvalidParameterValue, `invalid value for system parameter "${name}": "${value}" (expected an integer from 1 to ${max})`);
  }
  return n;
}

const PARAMS: readonly SystemParam[] = [
  {
    name: 'barrier_interval_ms',
    get: (e) => String(e.barrierIntervalMs),
    set: (e, v) => String((e.barrierIntervalMs = positiveInt('barrier_interval_ms', v, 3_600_000))),
  },
  {
    name: 'checkpoint_frequency',
    get: (e) => String(e.checkpointFrequency),
    set: (e, v) => String((e.checkpointFrequency = positiveInt('checkpoint_frequency', v, 1_000_000_000))),
  },
  { name: 'max_concurrent_creating_streaming_jobs', get: () => '0' },
  { name: 'pause_on_next_bootstrap', get: () => 'false' },
];

/** [name, value, mutable] for SHOW PARAMETERS. */
export function systemParameters(engine: StreamingEngine): [string, string, boolean][] {
  return PARAMS.map((p) => [p.name, p.get(engine), p.set !== undefined]);
}

/** Startup: re-applies the parameters persisted by ALTER SYSTEM SET. */
export function applyStoredSystemParams(engine: StreamingEngine, log: (msg: string) => void): void {
  const stored = engine.durability?.store.params ?? {};
  for (const [name, value] of Object.entries(stored)) {
    const p = PARAMS.find((q) => q.name === name);
    try {
      p?.set?.(engine, value);
    } catch (e) {
      log(`ignoring stored system parameter ${name}=${value}: ${(e as Error).message}`);
    }
  }
}

/** ALTER SYSTEM SET name = value | TO DEFAULT is not supported (RisingWave has no defaults to return to here). */
export function alterSystemCommand(session: FrontendSession, body: PgNode): PreparedCommand {
  return simpleCommand(null, async () => {
    const set = (body as { setstmt?: { kind?: string; name?: string; args?: PgNode[] } }).setstmt;
    const name = (set?.name ?? '').toLowerCase();
    const p = PARAMS.find((q) => q.name === name);
    if (!p) throw new SqlError(SqlState.InvalidParameterValue, `unrecognized system parameter "${name}"`);
    if (!p.set) throw new SqlError(SqlState.InvalidParameterValue, `system parameter "${name}" cannot be changed`);
    if (set?.kind !== 'VAR_SET_VALUE' || set.args?.length !== 1) {
      throw new SqlError(SqlState.FeatureNotSupported, `ALTER SYSTEM SET ${name} takes one value`);
    }
    const value = p.set(session.frontend.streaming, constText(set.args[0]));
    await session.frontend.streaming.durability?.store.saveParam(name, value);
    session.frontend.log(`system parameter ${name} set to ${value} by ${session.user}`);
    return { tag: 'ALTER_SYSTEM' };
  });
}

function constText(n: PgNode): string {
  const c = (n as { A_Const?: Record<string, Record<string, unknown>> }).A_Const;
  const v = c?.ival?.ival ?? c?.sval?.sval ?? c?.fval?.fval;
  if (c?.ival && v === undefined) return '0'; // libpg-query omits a zero ival
  if (v === undefined) throw new SqlError(SqlState.InvalidParameterValue, 'ALTER SYSTEM SET takes a constant');
  return String(v);
}
