/**
 * `connector = 'nexmark'`: the NEXMark auction benchmark's event generator, with
 * RisingWave's options (`nexmark.table.type`, `nexmark.event.num`, `nexmark.split.num`,
 * `nexmark.min.event.gap.in.ns`, `nexmark.max.chunk.size`, the generator's own knobs) and
 * column layouts. Columns may be omitted (the layout of the table type is used) or listed;
 * listed columns are matched by name, so a subset or another order works.
 */
import { SqlError, SqlState, typeEquals, typeName } from '@freshet/common';
import type { ReaderContext, SourceColumn, SourceConnector, SourceReader, SourceSpec } from '../api';
import { rejectUnknownOptions } from '../registry-util';
import { NEXMARK_OPTION_NAMES, parseNexmarkProperties } from './config';
import { NexmarkReader } from './reader';
import { nexmarkColumns } from './schema';

/** Event field index of each declared column (null when they are exactly the layout). */
function columnPick(spec: SourceSpec, layout: readonly SourceColumn[]): number[] | null {
  if (spec.columns.length === 0) return null;
  const pick = spec.columns.map((c) => {
    const i = layout.findIndex((f) => f.name === c.name.toLowerCase());
    if (i < 0) {
      throw new SqlError(SqlState.InvalidParameterValue, `column "${c.name}" is not a nexmark field; expected one of ${layout.map((f) => f.name).join(', ')}`);
    }
    if (!typeEquals(c.type, layout[i].type)) {
      throw new SqlError(SqlState.DatatypeMismatch, `column "${c.name}" of a nexmark source must be ${typeName(layout[i].type)}, not ${typeName(c.type)}`);
    }
    return i;
  });
  return pick.length === layout.length && pick.every((p, i) => p === i) ? null : pick;
}

export const nexmarkConnector: SourceConnector = {
  name: 'nexmark',
  validate(spec: SourceSpec): SourceColumn[] {
    rejectUnknownOptions(spec, 'nexmark.', NEXMARK_OPTION_NAMES);
    const props = parseNexmarkProperties(spec.options, 0);
    const layout = nexmarkColumns(props.tableType);
    columnPick(spec, layout);
    return spec.columns.length === 0 ? [...layout] : [...spec.columns];
  },
  open(spec: SourceSpec, ctx: ReaderContext): SourceReader {
    const props = parseNexmarkProperties(spec.options, ctx.now());
    return new NexmarkReader(props, columnPick(spec, nexmarkColumns(props.tableType)), ctx);
  },
  bounded(spec: SourceSpec): boolean {
    return Number.isFinite(parseNexmarkProperties(spec.options, 0).eventNum);
  },
};
