/**
 * The change kind of one row of a StreamChunk (RisingWave's `Op`). An update is always
 * an adjacent UpdateDelete/UpdateInsert pair (old row first): operators may rely on
 * that adjacency, and an operator that drops or rewrites half of a pair must rewrite the
 * other half into a plain Delete/Insert (see the filter executor).
 *
 * Ops are small integers so a chunk stores them in a Uint8Array.
 */
export const Op = {
  Insert: 1,
  Delete: 2,
  UpdateDelete: 3,
  UpdateInsert: 4,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** +1 for Insert/UpdateInsert, -1 for Delete/UpdateDelete, indexed by op (0 unused). */
export const OP_SIGN: Readonly<Int8Array> = Int8Array.of(0, 1, -1, -1, 1);

export function isInsertOp(op: number): boolean {
  return op === Op.Insert || op === Op.UpdateInsert;
}

export function opName(op: number): string {
  switch (op) {
    case Op.Insert:
      return '+';
    case Op.Delete:
      return '-';
    case Op.UpdateDelete:
      return 'U-';
    case Op.UpdateInsert:
      return 'U+';
    default:
      return `?${op}`;
  }
}

/** Parses the pretty-format op token (`+`, `-`, `U-`, `U+`); undefined if it is not one. */
export function parseOp(token: string): Op | undefined {
  switch (token) {
    case '+':
      return Op.Insert;
    case '-':
      return Op.Delete;
    case 'U-':
      return Op.UpdateDelete;
    case 'U+':
      return Op.UpdateInsert;
    default:
      return undefined;
  }
}
