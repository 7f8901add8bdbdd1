/**
 * CREATE SINK into external systems (`connector = 'redis' | 's3' | 'postgres' | 'jdbc'`,
 * and whatever else registers with @freshet/connectors' sink registry): describes the
 * sink's planned output to the connector, which validates the options at CREATE SINK time
 * (errors name the option) and opens the `SinkTarget` the sink job writes to.
 *
 * The sink plan's output is the query's columns followed by hidden stream-key carriers;
 * connectors write the visible ones and may use the plan's key (an MV's primary key) as
 * the default `primary_key`.
 */
import { type ExternalSinkSpec, type PreparedSink, prepareExternalSink } from '@freshet/connectors';
import type { CreateSinkStatement } from '@freshet/sql';
import type { SinkMode } from '@freshet/stream';
import type { QueryContext } from '../binder/context';
import type { StreamPlan } from './plan';

export type { PreparedSink as ExternalSink } from '@freshet/connectors';

export function planExternalSink(
  ctx: QueryContext,
  stmt: CreateSinkStatement,
  connector: string,
  plan: StreamPlan,
  flags: { mode: SinkMode; inputAppendOnly: boolean },
): PreparedSink {
  const spec: ExternalSinkSpec = {
    name: stmt.name,
    connector,
    options: lowerKeys(stmt.rw.withOptions),
    format: stmt.rw.format?.toLowerCase(),
    encode: stmt.rw.encode?.toLowerCase(),
    encodeOptions: lowerKeys(stmt.rw.encodeOptions ?? {}),
    columns: plan.columns.map((c) => ({ name: c.name, type: c.type, hidden: c.hidden })),
    streamKey: plan.pk,
    inputAppendOnly: flags.inputAppendOnly,
    appendOnly: flags.mode === 'append-only',
    timeZone: ctx.timeZone,
  };
  return prepareExternalSink(spec);
}

function lowerKeys(o: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) out[k.toLowerCase()] = v;
  return out;
}
