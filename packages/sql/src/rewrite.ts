/**
 * The front pass never builds SQL from scratch: it edits the original statement text
 * (strip a clause, replace `struct<…>` with a placeholder, insert `()`), and keeps a map
 * from every offset of the edited text back to the original input, so that libpg-query's
 * error cursors and node locations can be reported against what the user wrote.
 */

/** Replace original[start, end) with `text` (start === end inserts). */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Non-overlapping edits; a later edit that overlaps an earlier one is refused. */
export class EditList {
  readonly edits: Edit[] = [];

  add(start: number, end: number, text = ''): boolean {
    for (const e of this.edits) {
      const overlaps = start < e.end && e.start < end;
      const sameInsertPoint = start === end && e.start === e.end && start === e.start;
      if (overlaps || sameInsertPoint) return false;
      // An insertion strictly inside a replaced range is an overlap too.
      if (start === end && start > e.start && start < e.end) return false;
      if (e.start === e.end && e.start > start && e.start < end) return false;
    }
    this.edits.push({ start, end, text });
    return true;
  }

  get size(): number {
    return this.edits.length;
  }
}

interface Segment {
  /** Start in the rewritten text. */
  r: number;
  /** Length in the rewritten text. */
  len: number;
  /** Original offset of the segment start. */
  o: number;
  /** Copied text maps 1:1; inserted text maps every offset to `o`. */
  copied: boolean;
}

export class RewrittenText {
  readonly text: string;
  private readonly segments: Segment[];
  private readonly origEnd: number;

  /** Rewrites sql[start, end) with the edits (which must lie inside the range). */
  constructor(sql: string, start: number, end: number, edits: readonly Edit[], prefix = '') {
    const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
    const segs: Segment[] = [];
    let text = '';
    const emit = (piece: string, o: number, copied: boolean) => {
      if (piece.length === 0) return;
      segs.push({ r: text.length, len: piece.length, o, copied });
      text += piece;
    };
    emit(prefix, start, false);
    let pos = start;
    for (const e of sorted) {
      emit(sql.slice(pos, e.start), pos, true);
      emit(e.text, e.start, false);
      pos = e.end;
    }
    emit(sql.slice(pos, end), pos, true);
    this.text = text;
    this.segments = segs;
    this.origEnd = end;
  }

  /** Maps a UTF-16 offset of the rewritten text to a UTF-16 offset of the original input. */
  toOriginal(r: number): number {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    if (hi < 0 || r >= this.text.length) return this.origEnd;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].r <= r) lo = mid;
      else hi = mid - 1;
    }
    const s = segs[lo];
    if (r < s.r) return s.o;
    return s.copied ? s.o + (r - s.r) : s.o;
  }
}

/**
 * libpg-query reports node locations as UTF-8 byte offsets and error cursors as character
 * (code point) offsets; these convert either to UTF-16 offsets of the same string.
 */
export class OffsetConverter {
  private byteToUtf16: Int32Array | null = null;
  private cpToUtf16: Int32Array | null = null;
  private readonly ascii: boolean;

  constructor(private readonly text: string) {
    // eslint-disable-next-line no-control-regex
    this.ascii = /^[\x00-\x7f]*$/.test(text);
  }

  fromBytes(b: number): number {
    if (this.ascii) return b;
    if (!this.byteToUtf16) this.build();
    const m = this.byteToUtf16!;
    return b < m.length ? m[b] : this.text.length;
  }

  fromCodePoints(c: number): number {
    if (this.ascii) return c;
    if (!this.cpToUtf16) this.build();
    const m = this.cpToUtf16!;
    return c < m.length ? m[c] : this.text.length;
  }

  private build(): void {
    const s = this.text;
    const bytes: number[] = [];
    const cps: number[] = [];
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const units = cp > 0xffff ? 2 : 1;
      const nbytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (let k = 0; k < nbytes; k++) bytes.push(i);
      cps.push(i);
      i += units;
    }
    bytes.push(s.length);
    cps.push(s.length);
    this.byteToUtf16 = Int32Array.from(bytes);
    this.cpToUtf16 = Int32Array.from(cps);
  }
}

/** PostgreSQL error positions are 1-based and count characters (code points). */
export function errorPosition(sql: string, index: number): number {
  let n = 0;
  const end = Math.min(index, sql.length);
  for (let i = 0; i < end; i++) {
    const c = sql.charCodeAt(i);
    // Count a surrogate pair once.
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = sql.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) continue;
    }
    n++;
  }
  return n + 1;
}
