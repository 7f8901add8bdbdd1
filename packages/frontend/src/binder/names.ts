/**
 * Output column names for select-list items without an alias, as PostgreSQL's
 * FigureColname does: a column's name, a function's name, a cast's type name when its
 * argument has no name, `?column?` otherwise.
 */
import { type PgNode, nodeType, sval } from './ast';

const SVF_NAMES: Record<string, string> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'current_time',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

function figure(n: PgNode | undefined): string | null {
  if (!n) return null;
  const t = nodeType(n);
  const v = n[t];
  switch (t) {
    case 'ColumnRef': {
      const fields = v.fields as PgNode[];
      const last = fields[fields.length - 1];
      return nodeType(last) === 'A_Star' ? null : sval(last);
    }
    case 'A_Indirection': {
      const ind = v.indirection as PgNode[];
      for (let i = ind.length - 1; i >= 0; i--) if (nodeType(ind[i]) === 'String') return sval(ind[i]);
      return figure(v.arg);
    }
    case 'FuncCall': {
      const parts = (v.funcname as PgNode[]).map(sval);
      return parts[parts.length - 1];
    }
    case 'A_Expr':
      return v.kind === 'AEXPR_NULLIF' ? 'nullif' : null;
    case 'TypeCast': {
      const inner = figure(v.arg);
      if (inner) return inner;
      const names = (v.typeName.names as PgNode[]).map(sval);
      return names[names.length - 1];
    }
    case 'CollateClause':
      return figure(v.arg);
    case 'SubLink':
      switch (v.subLinkType) {
        case 'EXISTS_SUBLINK':
          return 'exists';
        case 'ARRAY_SUBLINK':
          return 'array';
        case 'EXPR_SUBLINK': {
          const sel = v.subselect?.SelectStmt;
          const first = sel?.targetList?.[0]?.ResTarget;
          if (first) return first.name ?? figure(first.val);
          return null;
        }
        default:
          return null;
      }
    case 'CaseExpr':
      return figure(v.defresult) ?? 'case';
    case 'A_ArrayExpr':
      return 'array';
    case 'RowExpr':
      return 'row';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'MinMaxExpr':
      return v.op === 'IS_GREATEST' ? 'greatest' : 'least';
    case 'SQLValueFunction':
      return SVF_NAMES[v.op] ?? null;
    case 'GroupingFunc':
      return 'grouping';
    default:
      return null;
  }
}

export function figureColname(n: PgNode | undefined): string {
  return figure(n) ?? '?column?';
}
