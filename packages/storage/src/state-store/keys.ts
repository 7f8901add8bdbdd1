/**
 * LevelDB keys of the durable state store (the layout is listed in level-log.ts):
 * `s/<stateTableId>/<memcomparable key>` for state rows, `g/<stateTableId>/…` for the
 * segments of segmented tables (segments.ts), `h/<stateTableId>/…` for the overlay
 * segments of the others (overlays.ts), `k/checkpoint` for the record of the last
 * checkpoint, written in the same batch as the state it describes, and `k/params` for the
 * streaming system parameters (ALTER SYSTEM SET).
 */

/** 's': first byte of every state row key. */
export const STATE_PREFIX = 0x73;

const CHECKPOINT_KEY = Buffer.from('k/checkpoint');
/** System parameters set with ALTER SYSTEM (JSON object of strings). */
export const PARAMS_KEY = Buffer.from('k/params');

/** What a checkpoint stored next to its state, as JSON. */
export interface CheckpointRecord {
  /** The epoch whose state the checkpoint holds. */
  readonly epoch: number;
  /** Wall-clock time the checkpoint was taken, ms since the Unix epoch. */
  readonly time: number;
  /** The last table change-log seq whose changes the state includes. */
  readonly seq: number;
  /** The streaming engine's own record (which jobs the state is complete for). */
  readonly info: unknown;
  /**
   * Cold mode: the tables declared point-read, with their live key counts; recovery under
   * a memory limit leaves their rows in LevelDB (read on demand) instead of loading them.
   */
  pointTables?: [number, number][];
}

/** `s/<stateTableId>/`, built once per table when a checkpoint writes many of its keys. */
export function stateKeyPrefix(tableId: number): Buffer {
  return Buffer.from(`s/${tableId}/`, 'latin1');
}

/** 'g': first byte of every key of a segmented state table (segments.ts). */
export const SEGMENT_PREFIX = 0x67;

/** `g/<stateTableId>/`: every key of one segmented table starts with it. */
export function segmentTablePrefix(tableId: number): Buffer {
  return Buffer.from(`g/${tableId}/`, 'latin1');
}

/**
 * Part `part` of the table's segment written by the checkpoint of `epoch`: `g/<id>/s` +
 * epoch (8 bytes BE, so segments sort by epoch), + the part (4 bytes BE) from the second
 * part on (the first keeps the key of a segment in one part, so they sort first).
 */
export function segmentKey(tableId: number, epoch: number, part = 0): Buffer {
  const p = segmentTablePrefix(tableId);
  const b = Buffer.allocUnsafe(p.length + (part === 0 ? 9 : 13));
  p.copy(b, 0);
  b[p.length] = 0x73; // 's'
  b.writeBigUInt64BE(BigInt(epoch), p.length + 1);
  if (part !== 0) b.writeUInt32BE(part, p.length + 9);
  return b;
}

/** The table's low-water key (`g/<id>/w`): stored keys below it are gone (see segments.ts). */
export function lowWaterKey(tableId: number): Buffer {
  return Buffer.concat([segmentTablePrefix(tableId), Buffer.from('w', 'latin1')]);
}

/** 'h': first byte of every key of an overlay segment (overlays.ts). */
export const OVERLAY_PREFIX = 0x68;

/** Every overlay segment key is in [OVERLAY_KEYS, AFTER_OVERLAY_KEYS). */
export const OVERLAY_KEYS = Buffer.from('h/', 'latin1');
export const AFTER_OVERLAY_KEYS = Buffer.from('h0', 'latin1');

/**
 * Part `part` of the overlay segment of table `tableId` written by the checkpoint of
 * `epoch`: `h/<id>/` + epoch (8 bytes BE, so a table's overlays sort by epoch) + the part
 * (4 bytes BE) from the second part on.
 */
export function overlayKey(tableId: number, epoch: number, part = 0): Buffer {
  const p = Buffer.from(`h/${tableId}/`, 'latin1');
  const b = Buffer.allocUnsafe(p.length + (part === 0 ? 8 : 12));
  p.copy(b, 0);
  b.writeBigUInt64BE(BigInt(epoch), p.length);
  if (part !== 0) b.writeUInt32BE(part, p.length + 8);
  return b;
}

/** The table id of an overlay segment key. */
export function overlayKeyTable(key: Buffer): number {
  return Number(key.toString('latin1', 2, key.indexOf(0x2f, 2)));
}

/** `prefix` followed by the latin1 bytes of `key` (table rows, level-log.ts; state rows are encoded by batch-record.ts). */
export function prefixedKey(prefix: Buffer, key: string): Buffer {
  const b = Buffer.allocUnsafe(prefix.length + key.length);
  prefix.copy(b, 0);
  b.write(key, prefix.length, 'latin1');
  return b;
}

export function checkpointKey(): Buffer {
  return CHECKPOINT_KEY;
}

export function isCheckpointKey(key: Buffer): boolean {
  return key.equals(CHECKPOINT_KEY);
}

export function encodeCheckpoint(r: CheckpointRecord): Buffer {
  return Buffer.from(JSON.stringify(r), 'utf8');
}

export function decodeCheckpoint(b: Buffer): CheckpointRecord {
  return JSON.parse(b.toString('utf8')) as CheckpointRecord;
}
