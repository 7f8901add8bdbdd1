/**
 * LevelDB's log format (db/log_format.h), in which it writes its write-ahead logs and its
 * MANIFEST: 32 KiB blocks of physical records, each a 7-byte header (masked CRC-32C of type
 * and payload, u32 LE; payload length, u16 LE; type) and its payload. A logical record too
 * big for the rest of a block is split into FIRST, MIDDLE… and LAST fragments; a block's
 * tail shorter than a header is zero-filled.
 *
 * Read here to follow a live database's MANIFEST (snapshot.ts) and written to give a
 * restored database a MANIFEST of its own (manifest.ts).
 */
import { crc32c, maskCrc } from './crc32c';

const BLOCK_SIZE = 32768;
const HEADER_SIZE = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

/**
 * The complete logical records in `file` — a log's bytes from offset `base` on, where `base`
 * is 0 or just past a complete record — and the offset just past the last one. The bytes
 * may end inside a record of a log still being appended to: a torn record at the end, as
 * LevelDB itself treats it on recovery, ends the log. A checksum failure is an error.
 */
export function readLogRecords(file: Buffer, base = 0): { records: Buffer[]; end: number } {
  const records: Buffer[] = [];
  let pending: Buffer[] | null = null;
  let at = 0;
  let end = base;
  while (at < file.length) {
    const left = BLOCK_SIZE - ((base + at) % BLOCK_SIZE);
    if (left < HEADER_SIZE) {
      at += left;
      continue;
    }
    if (at + HEADER_SIZE > file.length) break;
    const length = file.readUInt16LE(at + 4);
    const type = file[at + 6];
    if (type === 0 && length === 0) {
      // Zero padding (a preallocated or zero-filled tail): the rest of the block is empty.
      at += left;
      continue;
    }
    if (HEADER_SIZE + length > left) throw new Error(`log record at ${base + at} overruns its block`);
    if (at + HEADER_SIZE + length > file.length) break; // torn at the end
    const where = base + at;
    const payload = file.subarray(at + HEADER_SIZE, at + HEADER_SIZE + length);
    const expected = maskCrc(crc32c(payload, crc32c(file.subarray(at + 6, at + 7))));
    if (file.readUInt32LE(at) !== expected) throw new Error(`log record at ${where} fails its checksum`);
    at += HEADER_SIZE + length;
    if (type === FULL) {
      if (pending) throw new Error(`log record at ${where} interrupts a fragmented record`);
      records.push(payload);
      end = base + at;
    } else if (type === FIRST) {
      if (pending) throw new Error(`log record at ${where} interrupts a fragmented record`);
      pending = [payload];
    } else if (type === MIDDLE || type === LAST) {
      if (!pending) throw new Error(`log fragment at ${where} has no first fragment`);
      pending.push(payload);
      if (type === LAST) {
        records.push(Buffer.concat(pending));
        pending = null;
        end = base + at;
      }
    } else {
      throw new Error(`log record at ${where} has unknown type ${type}`);
    }
  }
  return { records, end };
}

/** `records` as a log file of their own, starting at a block boundary. */
export function writeLogRecords(records: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  let offset = 0;
  const emit = (type: number, payload: Buffer) => {
    const header = Buffer.alloc(HEADER_SIZE);
    header.writeUInt32LE(maskCrc(crc32c(payload, crc32c(Uint8Array.of(type)))), 0);
    header.writeUInt16LE(payload.length, 4);
    header[6] = type;
    out.push(header, payload);
    offset += HEADER_SIZE + payload.length;
  };
  for (const record of records) {
    let at = 0;
    let begin = true;
    do {
      const left = BLOCK_SIZE - (offset % BLOCK_SIZE);
      if (left < HEADER_SIZE) {
        out.push(Buffer.alloc(left));
        offset += left;
      }
      const avail = BLOCK_SIZE - (offset % BLOCK_SIZE) - HEADER_SIZE;
      const n = Math.min(record.length - at, avail);
      const end = at + n === record.length;
      emit(begin && end ? FULL : begin ? FIRST : end ? LAST : MIDDLE, record.subarray(at, at + n));
      at += n;
      begin = false;
    } while (at < record.length);
  }
  return Buffer.concat(out);
}
