/**
 * Connector name → implementation. The built-in generators register at import; other
 * connectors (Kafka, CDC) register from their own modules with `registerSourceConnector`,
 * replacing the declaration-only entries below.
 *
 * Declared connectors validate their required options so a CREATE SOURCE that names them
 * is stored (SHOW CREATE SOURCE, dependent views) even before a reader exists; reading one
 * in a materialized view answers 0A000 naming the connector.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { SourceColumn, SourceConnector, SourceSpec } from './api';
import { datagenConnector } from './datagen';
import { nexmarkConnector } from './nexmark';
import { OptionReader } from './options';

const connectors = new Map<string, SourceConnector>();

export function registerSourceConnector(c: SourceConnector): void {
  connectors.set(c.name, c);
}

/** The connector named by a source's `connector` option; 22023 when there is none such. */
export function sourceConnector(name: string): SourceConnector {
  const c = connectors.get(name.toLowerCase());
  if (!c) {
    throw new SqlError(SqlState.InvalidParameterValue, `unknown connector '${name}'`, {
      hint: `Supported connectors: ${[...connectors.keys()].sort().join(', ')}.`,
    });
  }
  return c;
}

export function sourceConnectorNames(): string[] {
  return [...connectors.keys()].sort();
}

/** A connector known by name and required options only (no reader yet). */
function declared(name: string, required: string[]): SourceConnector {
  return {
    name,
    validate(spec: SourceSpec): SourceColumn[] {
      const r = new OptionReader(spec.options, name);
      for (const key of required) r.required(key);
      return [...spec.columns];
    },
  };
}

registerSourceConnector(datagenConnector);
registerSourceConnector(nexmarkConnector);
for (const c of [
  declared('kafka', ['topic', 'properties.bootstrap.server']),
  declared('mysql-cdc', ['hostname', 'username', 'password', 'database.name']),
]) {
  if (!connectors.has(c.name)) registerSourceConnector(c);
}
