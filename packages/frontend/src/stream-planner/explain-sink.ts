/**
 * EXPLAIN CREATE SINK: the sink's stream plan under a RisingWave-style StreamSink line
 * (`StreamSink { type: upsert, columns: […], downstream_pk: […] }`), planned exactly as
 * CREATE SINK would plan it (planSink), without creating anything.
 */
import { type Row, T } from '@freshet/common';
import type { CreateSinkStatement } from '@freshet/sql';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import { queryContext } from '../session/query-context';
import type { FrontendSession } from '../session/session';
import { explainStreamPlan } from './explain';
import { planSink } from './sink';

export function explainCreateSinkCommand(session: FrontendSession, stmt: CreateSinkStatement): PreparedCommand {
  return simpleCommand([{ name: 'QUERY PLAN', type: T.Varchar }], () => {
    const engine = session.frontend.streaming;
    engine.reconcile();
    const { plan, mode, into } = planSink(queryContext(session), stmt, engine);
    const cols = plan.columns.filter((c) => !c.hidden).map((c) => c.name);
    const target = into ? `table: ${into.name}` : `connector: ${(stmt.rw.withOptions.connector ?? '').toLowerCase()}`;
    const pk = mode === 'upsert' ? `, downstream_pk: [${plan.pk.map((i) => plan.columns[i].name).join(', ')}]` : '';
    const head = `StreamSink { type: ${mode}, ${target}, columns: [${cols.join(', ')}]${pk} }`;
    const rows: Row[] = explainStreamPlan(stmt.name, plan, head).map((l) => [l]);
    return { tag: 'EXPLAIN', rows };
  });
}
