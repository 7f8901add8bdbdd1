/**
 * Two-phase aggregation (RisingWave's `gen_dist_stream_agg_plan`): a stateless local agg
 * pre-aggregates each chunk per group (StreamStatelessSimpleAgg /
 * StreamStatelessLocalHashAgg), and the global agg merges the partials, updating its state
 * once per group per chunk instead of once per row.
 *
 * When, following RisingWave's rule and session variables:
 * - every call has a stateless partial form — count, sum, avg (RisingWave: sum/count, avg
 *   being sum/count), no DISTINCT, no ORDER BY; FILTER is applied by the local phase.
 *   RisingWave also splits min/max over append-only input; here min/max stay single-phase;
 * - a global aggregate: when `rw_enable_two_phase_agg` is on (the default) and the input
 *   is not a single-row-at-a-time ("Single" distribution) stream: a global agg, top-N or
 *   VALUES below;
 * - GROUP BY: only when `rw_force_two_phase_agg` is on, and the input is not already
 *   distributed by the group key (RisingWave's `hash_agg_dist_satisfied_by_input_dist`:
 *   here, the group key covers the input's stream key), and no group-key column carries a
 *   watermark (state cleaning and EMIT ON WINDOW CLOSE keep the single-phase agg).
 *
 * The global agg's input is the local agg's output: [group key…, row count, partials…]
 * (packages/stream/src/agg/partial.ts); an unfiltered count(*) merges the row count itself.
 */
import { partialAggSupported, partialTypes } from '@freshet/stream';
import type { QueryContext } from '../binder/context';
import type { StreamAgg, StreamAggCall, StreamField, StreamNode } from './plan';
import { outputWatermarks } from './to-stream-watermark';

/** The session's two-phase settings (RisingWave's `enable_two_phase_agg` / `force_two_phase_agg`). */
export interface TwoPhaseAggSettings {
  readonly enabled: boolean;
  readonly forced: boolean;
}

export const DEFAULT_TWO_PHASE_AGG: TwoPhaseAggSettings = { enabled: true, forced: false };

/** The settings from session variables (`rw_enable_two_phase_agg`, `rw_force_two_phase_agg`). */
export function twoPhaseAggSettings(sessionVar: ((name: string) => string | undefined) | undefined): TwoPhaseAggSettings {
  const on = (name: string, dflt: boolean) => {
    const v = sessionVar?.(name);
    return v === undefined ? dflt : v === 'true';
  };
  const enabled = on('rw_enable_two_phase_agg', true);
  // RisingWave: two-phase agg must be enabled for forcing it to mean anything.
  return { enabled, forced: enabled && on('rw_force_two_phase_agg', false) };
}

/**
 * A streaming job's planning context may carry the settings its creator had (a stored MV
 * or sink re-planned at startup must get the same dataflow, whose state it restores).
 */
export interface StreamQueryContext extends QueryContext {
  readonly twoPhaseAgg?: TwoPhaseAggSettings;
}

/** The settings a job is planned with: stored ones, else the session's variables. */
export function contextTwoPhaseAgg(ctx: StreamQueryContext): TwoPhaseAggSettings {
  return ctx.twoPhaseAgg ?? twoPhaseAggSettings(ctx.sessionVar?.bind(ctx));
}

/** What the catalog record keeps (`stream.twoPhaseAgg`): nothing for the defaults. */
export function recordTwoPhaseAgg(ctx: QueryContext): { twoPhaseAgg?: 'disabled' | 'forced' } {
  const s = contextTwoPhaseAgg(ctx);
  return !s.enabled ? { twoPhaseAgg: 'disabled' } : s.forced ? { twoPhaseAgg: 'forced' } : {};
}

/** The settings of a stored record (see recordTwoPhaseAgg). */
export function storedTwoPhaseAgg(stored: 'disabled' | 'forced' | undefined): TwoPhaseAggSettings {
  return { enabled: stored !== 'disabled', forced: stored === 'forced' };
}

/** `agg` as local → global when the rule above allows it, else null. */
export function planTwoPhaseAgg(agg: StreamAgg, settings: TwoPhaseAggSettings = DEFAULT_TWO_PHASE_AGG): StreamNode | null {
  if (!settings.enabled || agg.calls.length === 0) return null;
  const input = agg.input;
  const types = input.schema.map((f) => f.type);
  if (!agg.calls.every((c) => !c.distinct && c.orderBy.length === 0 && partialAggSupported(c.fn.name, c.args.map((a) => types[a])))) return null;
  if (agg.groupKey.length === 0) {
    if (singleDistribution(input)) return null;
  } else {
    if (!settings.forced || distributedByGroupKey(agg) || agg.groupKey.some((k) => outputWatermarks(input).has(k))) return null;
  }
  return split(agg);
}

function split(agg: StreamAgg): StreamNode {
  const input = agg.input;
  const nk = agg.groupKey.length;
  // Partial columns are named as RisingWave prints local calls: `sum(v)`, `count(v) filter($expr1)`.
  const callName = (fn: string, c: StreamAggCall) =>
    `${fn}(${c.args.map((a) => input.schema[a].name).join(', ')})${c.filter === null ? '' : ` filter(${input.schema[c.filter].name})`}`;
  const schema: StreamField[] = agg.groupKey.map((k) => input.schema[k]);
  schema.push({ name: 'count()', type: partialTypes('count', [])[0], hidden: false });
  const localCalls: StreamAggCall[] = [];
  const seen = new Map<string, number>();
  const globalCalls = agg.calls.map((c): StreamAggCall => {
    if (c.fn.name === 'count' && c.args.length === 0 && c.filter === null) return { ...c, args: [nk], merge: true };
    // avg(x) and sum(x) share one partial (the sum and the non-NULL count of x).
    const partial = c.fn.name === 'count' ? 'count' : 'sum';
    const key = `${partial}(${c.args.join(',')})/${c.filter}`;
    let at = seen.get(key);
    if (at === undefined) {
      at = schema.length;
      seen.set(key, at);
      localCalls.push(c);

      const pt = partialTypes(c.fn.name, c.args.map((a) => input.schema[a].type));
      schema.push({ name: callName(partial, c), type: pt[0], hidden: false });
      if (pt.length > 1) schema.push({ name: callName('count', c), type: pt[1], hidden: false });
    }
    const width = c.fn.name === 'count' ? 1 : 2;
    return { fn: c.fn, args: Array.from({ length: width }, (_, j) => at + j), distinct: false, filter: null, orderBy: [], merge: true };
  });
  const local: StreamNode = { kind: 'local_agg', input, groupKey: agg.groupKey, calls: localCalls, schema, streamKey: [] };
  return { ...agg, input: local, groupKey: [...Array(nk).keys()], calls: globalCalls, rowCountColumn: nk };
}

/** RisingWave's `Single` distribution: the stream is one row at a time already (a global agg, a top-N, VALUES). */
function singleDistribution(n: StreamNode): boolean {
  switch (n.kind) {
    case 'values':
    case 'now_series':
      return true;
    case 'agg':
      return n.groupKey.length === 0;
    case 'top_n':
      return n.groupKey.length === 0;
    case 'filter':
    case 'project':
    case 'project_set':
    case 'temporal_filter':
    case 'watermark_filter':
      return singleDistribution(n.input);
    default:
      return false;
  }
}

/** The group key covers the input's stream key (through the argument projection): each group is one input row. */
function distributedByGroupKey(agg: StreamAgg): boolean {
  const p = agg.input;
  if (p.kind !== 'project') return false;
  const below = p.input.streamKey;
  if (below.length === 0) return false;
  const grouped = new Set(agg.groupKey.map((k) => p.exprs[k]).flatMap((e) => (e.kind === 'column' ? [e.index] : [])));
  return below.every((k) => grouped.has(k));
}
