/**
 * Server state as tables: pg_settings (this session's variables) and pg_stat_activity
 * (every session). Both come from QueryContext.session; without one they are empty.
 */
import { T } from '@freshet/common';
import { type SystemContext, systemTable } from './table';

const I = T.Int32;
const V = T.Varchar;
const B = T.Boolean;
const TZ = T.Timestamptz;

export const pgSettings = systemTable({
  schema: 'pg_catalog',
  name: 'pg_settings',
  oid: 90_020,
  relkind: 'v',
  columns: [
    ['name', V], ['setting', V], ['unit', V], ['category', V], ['short_desc', V], ['extra_desc', V],
    ['context', V], ['vartype', V], ['source', V], ['min_val', V], ['max_val', V], ['enumvals', V],
    ['boot_val', V], ['reset_val', V], ['pending_restart', B],
  ],
  *rows(ctx: SystemContext) {
    for (const [name, setting, description] of ctx.q.session?.settings() ?? []) {
      const vartype = setting === 'true' || setting === 'false' ? 'bool' : /^-?\d+$/.test(setting) ? 'integer' : 'string';
      yield {
        name, setting, category: 'Client Connection Defaults', short_desc: description, context: 'user', vartype,
        source: 'session', pending_restart: false,
      };
    }
  },
});

export const pgStatActivity = systemTable({
  schema: 'pg_catalog',
  name: 'pg_stat_activity',
  oid: 90_021,
  relkind: 'v',
  columns: [
    ['datid', I], ['datname', V], ['pid', I], ['leader_pid', I], ['usesysid', I], ['usename', V],
    ['application_name', V], ['client_addr', V], ['client_hostname', V], ['client_port', I],
    ['backend_start', TZ], ['xact_start', TZ], ['query_start', TZ], ['state_change', TZ],
    ['wait_event_type', V], ['wait_event', V], ['state', V], ['backend_xid', I], ['backend_xmin', I],
    ['query_id', T.Int64], ['query', V], ['backend_type', V],
  ],
  *rows(ctx: SystemContext) {
    for (const s of ctx.q.session?.activity() ?? []) {
      yield {
        datid: ctx.catalog.getDatabase(s.database)?.id ?? null,
        datname: s.database,
        pid: s.pid,
        usesysid: ctx.userOid(s.user),
        usename: s.user,
        application_name: s.applicationName,
        backend_start: s.backendStart * 1000,
        state: s.state,
        query: s.query,
        backend_type: 'client backend',
      };
    }
  },
});

export const PG_RUNTIME_GROUP = [pgSettings, pgStatActivity];
