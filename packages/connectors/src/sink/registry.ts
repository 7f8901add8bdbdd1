/**
 * Sink connector name → implementation. `redis`, `s3`, `kafka` and `postgres` (also
 * RisingWave's `jdbc` with a `jdbc:postgresql://` URL) are built in; other modules may add
 * theirs with `registerSinkConnector`. `blackhole` and `CREATE SINK … INTO` are the
 * frontend's own targets. Any other connector (RisingWave has many: iceberg, clickhouse,
 * …) is 0A000.
 */
import { notSupported } from '@freshet/common';
import type { ExternalSinkSpec, PreparedSink, SinkConnector, SinkStats } from './api';
import { kafkaSinkConnector } from './kafka';
import { postgresSinkConnector, jdbcSinkConnector } from './postgres';
import { redisSinkConnector } from './redis';
import { s3SinkConnector } from './s3';

const connectors = new Map<string, SinkConnector>();

export function registerSinkConnector(c: SinkConnector): void {
  connectors.set(c.name.toLowerCase(), c);
}

export function hasSinkConnector(name: string): boolean {
  return connectors.has(name.toLowerCase());
}

export function sinkConnectorNames(): string[] {
  return [...connectors.keys()].sort();
}

/** Validates a CREATE SINK for `spec.connector`; 0A000 naming the connector when there is none such. */
export function prepareExternalSink(spec: ExternalSinkSpec): PreparedSink {
  const c = connectors.get(spec.connector.toLowerCase());
  if (!c) {
    throw notSupported(`sink connector '${spec.connector}'`, `Supported sink connectors: ${['blackhole', ...sinkConnectorNames()].sort().join(', ')}.`);
  }
  const prepared = c.prepare(spec);
  return {
    check: prepared.check?.bind(prepared),
    resendOnRestart: prepared.resendOnRestart,
    open(ctx) {
      const target = prepared.open(ctx);
      const entry = { name: spec.name, connector: c.name, stats: target.stats };
      live.add(entry);
      const close = target.close.bind(target);
      target.close = () => {
        live.delete(entry);
        return close();
      };
      return target;
    },
  };
}

export interface LiveSinkStats {
  readonly name: string;
  readonly connector: string;
  readonly stats: Readonly<SinkStats>;
}

const live = new Set<LiveSinkStats>();

/** The counters of every open external sink target (for a system table, logs, tests). */
export function externalSinkStats(): LiveSinkStats[] {
  return [...live].map((e) => ({ ...e, stats: { ...e.stats } }));
}

for (const c of [redisSinkConnector, s3SinkConnector, kafkaSinkConnector, postgresSinkConnector, jdbcSinkConnector]) registerSinkConnector(c);
