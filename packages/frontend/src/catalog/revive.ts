/**
 * Catalog records are persisted as JSON; DataTypes come back as plain objects. Scalar
 * types are singletons that code compares with `===`, so every type read from meta is
 * mapped back to the canonical instances here.
 */
import { type DataType, type ScalarKind, listOf, scalarType, structOf } from '@freshet/common';
import type { ColumnDesc, FunctionCatalog, RelationCatalog } from './model';

export function reviveType(t: any): DataType {
  if (t.kind === 'list') return listOf(reviveType(t.elem));
  if (t.kind === 'struct') return structOf(t.fields.map((f: any) => ({ name: f.name, type: reviveType(f.type) })));
  const s = scalarType(t.kind as ScalarKind);
  if (!s) throw new Error(`catalog: unknown type kind ${JSON.stringify(t.kind)} in stored record`);
  return s;
}

export function reviveRelation(r: RelationCatalog): RelationCatalog {
  return { ...r, columns: r.columns.map((c: ColumnDesc) => ({ ...c, type: reviveType(c.type) })) };
}

export function reviveFunction(f: FunctionCatalog): FunctionCatalog {
  return {
    ...f,
    argTypes: f.argTypes.map(reviveType),
    returnType: f.returnType && reviveType(f.returnType),
    tableColumns: f.tableColumns?.map((c) => ({ name: c.name, type: reviveType(c.type) })),
  };
}
