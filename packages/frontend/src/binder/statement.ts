/** Entry point of the binder: a query or DML statement → logical plan. */
import { notSupported } from '@freshet/common';
import type { PlanNode } from '../planner/plan';
import { type PgNode, nodeType } from './ast';
import type { BindContext } from './context';
import { bindDelete } from './delete';
import { bindInsert } from './insert';
import { bindQuery } from './query';
import { bindUpdate } from './update';

export function bindStatement(bc: BindContext, node: PgNode): PlanNode {
  const t = nodeType(node);
  switch (t) {
    case 'SelectStmt':
      return bindQuery(bc, node, null);
    case 'InsertStmt':
      return bindInsert(bc, node.InsertStmt);
    case 'UpdateStmt':
      return bindUpdate(bc, node.UpdateStmt);
    case 'DeleteStmt':
      return bindDelete(bc, node.DeleteStmt);
    default:
      throw notSupported(`statement ${t}`);
  }
}
