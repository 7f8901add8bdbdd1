/** Helpers for the sink tests: a spec over some columns, chunks from rows, a log. */
import { type DataType, type Op, type Row, StreamChunk } from '@freshet/common';
import type { ExternalSinkSpec, SinkColumn, SinkContext } from './api';

export function sinkSpec(connector: string, columns: readonly SinkColumn[], over: Partial<ExternalSinkSpec> = {}): ExternalSinkSpec {
  return {
    name: 's1',
    connector,
    options: {},
    encodeOptions: {},
    columns,
    streamKey: [0],
    inputAppendOnly: false,
    appendOnly: false,
    timeZone: 'UTC',
    ...over,
  };
}

export function chunkOf(columns: readonly SinkColumn[], changes: readonly [Op, Row][]): StreamChunk {
  return StreamChunk.fromRows(
    columns.map((c) => c.type as DataType),
    changes.map(([op]) => op),
    changes.map(([, r]) => r),
  );
}

export function testContext(): SinkContext & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (l: string) => lines.push(l) };
}
