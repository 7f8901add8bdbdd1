/**
 * COPY's data formats, as PostgreSQL defines them (docs "COPY", File Formats): options,
 * reading COPY FROM data into records of field texts, and writing rows for COPY TO.
 *
 * - text: one row per line, fields separated by the delimiter (tab), `\N` for NULL,
 *   backslash escapes (`\t \n \r \b \f \v \\`, `\<delimiter>`, octal `\ddd`, hex `\xhh`);
 *   a line `\.` ends the data.
 * - csv: fields separated by the delimiter (comma), quoted with `"` when they contain the
 *   delimiter, a quote or a line break (a quote inside is doubled, or preceded by ESCAPE);
 *   an unquoted empty field is NULL (the NULL string), a quoted one the empty string;
 *   a record may span lines inside quotes.
 *
 * Reading is incremental: CopyData payloads split rows (and UTF-8 characters) anywhere,
 * so undecoded bytes and the unfinished record are carried to the next payload.
 */
import { StringDecoder } from 'node:string_decoder';
import { SqlError, SqlState, notSupported } from '@freshet/common';

/** SQLSTATE 22P04 bad_copy_file_format (wrong field count, unterminated quote, …). */
export const BAD_COPY_FILE_FORMAT = '22P04';

export interface CopyFormat {
  readonly csv: boolean;
  /** One character. */
  readonly delimiter: string;
  /** The text that stands for NULL. */
  readonly nullText: string;
  /** CSV only: quote and escape characters (one each). */
  readonly quote: string;
  readonly escape: string;
  /** The first line is a header: skipped on input, written on output. */
  readonly header: boolean;
}

/** A DefElem of CopyStmt's `options` (libpg-query JSON). */
type DefElem = { DefElem: { defname: string; arg?: Record<string, any> } };

function optionText(d: DefElem['DefElem']): string | undefined {
  const a = d.arg;
  if (!a) return undefined;
  if (a.String) return a.String.sval ?? '';
  if (a.Integer) return String(a.Integer.ival ?? 0);
  if (a.Boolean) return a.Boolean.boolval ? 'true' : 'false';
  if (a.A_Star) return '*';
  return undefined;
}

function optionBool(d: DefElem['DefElem']): boolean {
  const v = optionText(d);
  if (v === undefined) return true;
  switch (v.toLowerCase()) {
    case 'true':
    case 'on':
    case '1':
      return true;
    case 'false':
    case 'off':
    case '0':
      return false;
    case 'match':
      // HEADER MATCH: the header is checked against the column names in PostgreSQL; here it is skipped.
      return true;
  }
  throw new SqlError(SqlState.SyntaxError, `${d.defname} requires a Boolean value`);
}

function oneChar(name: string, v: string | undefined): string {
  if (v === undefined || [...v].length !== 1 || Buffer.byteLength(v) !== 1) {
    throw new SqlError(SqlState.FeatureNotSupported, `COPY ${name} must be a single one-byte character`);
  }
  return v;
}

/** COPY's WITH options (new and legacy spellings parse to the same DefElems). */
export function copyFormatOf(options: readonly DefElem[] | undefined): CopyFormat {
  let format = 'text';
  let delimiter: string | undefined;
  let nullText: string | undefined;
  let quote: string | undefined;
  let escape: string | undefined;
  let header = false;
  const seen = new Set<string>();
  for (const o of options ?? []) {
    const d = o.DefElem;
    if (seen.has(d.defname)) throw new SqlError(SqlState.SyntaxError, 'conflicting or redundant options');
    seen.add(d.defname);
    switch (d.defname) {
      case 'format':
        format = (optionText(d) ?? '').toLowerCase();
        if (format === 'binary') throw notSupported('COPY in binary format', 'Use FORMAT text or csv.');
        if (format !== 'text' && format !== 'csv') throw new SqlError(SqlState.InvalidParameterValue, `COPY format "${format}" not recognized`);
        break;
      case 'delimiter':
        delimiter = oneChar('delimiter', optionText(d));
        break;
      case 'null':
        nullText = optionText(d) ?? '';
        break;
      case 'header':
        header = optionBool(d);
        break;
      case 'quote':
        quote = oneChar('quote', optionText(d));
        break;
      case 'escape':
        escape = oneChar('escape', optionText(d));
        break;
      case 'encoding': {
        const e = (optionText(d) ?? '').toLowerCase().replace(/[-_]/g, '');
        if (e !== 'utf8' && e !== 'unicode' && e !== 'sqlascii') throw notSupported(`COPY with encoding "${optionText(d)}"`, 'Only UTF8 is supported.');
        break;
      }
      case 'freeze':
        optionBool(d);
        break;
      default:
        throw notSupported(`COPY option "${d.defname}"`);
    }
  }
  const csv = format === 'csv';
  if (!csv && (quote !== undefined || escape !== undefined)) throw new SqlError(SqlState.FeatureNotSupported, 'COPY quote and escape are available only in CSV mode');
  const fmt: CopyFormat = {
    csv,
    delimiter: delimiter ?? (csv ? ',' : '\t'),
    nullText: nullText ?? (csv ? '' : '\\N'),
    quote: quote ?? '"',
    escape: escape ?? quote ?? '"',
    header,
  };
  if (fmt.delimiter === '\n' || fmt.delimiter === '\r') throw new SqlError(SqlState.InvalidParameterValue, 'COPY delimiter cannot be newline or carriage return');
  if (!csv && (fmt.delimiter === '\\' || /[a-z0-9.]/i.test(fmt.delimiter))) {
    throw new SqlError(SqlState.InvalidParameterValue, `COPY delimiter cannot be "${fmt.delimiter}"`);
  }
  if (csv && fmt.delimiter === fmt.quote) throw new SqlError(SqlState.InvalidParameterValue, 'COPY delimiter and quote must be different');
  if (fmt.nullText.includes('\n') || fmt.nullText.includes('\r')) throw new SqlError(SqlState.InvalidParameterValue, 'COPY null representation cannot use newline or carriage return');
  return fmt;
}

// ---------------------------------------------------------------------------- reading

/** Receives each complete record: field texts (null = NULL), its line number and the line. */
export interface RecordSink {
  record(fields: readonly (string | null)[], line: number, text: string): void;
}

const TEXT_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

export class CopyReader {
  private readonly decoder = new StringDecoder('utf8');
  /** Decoded text not yet consumed (an unfinished record). */
  private carry = '';
  /** Physical lines consumed so far (PostgreSQL's line numbers count from 1). */
  private line = 0;
  private ended = false;
  private headerPending: boolean;
  /** Reused per record: the sink must not keep it. */
  private readonly fields: (string | null)[] = [];

  constructor(
    private readonly fmt: CopyFormat,
    private readonly sink: RecordSink,
  ) {
    this.headerPending = fmt.header;
  }

  /** The line number of the record being read, for errors raised outside `record`. */
  get lineNumber(): number {
    return this.line;
  }

  push(data: Buffer): void {
    if (this.ended) return;
    const chunk = this.decoder.write(data);
    const text = this.carry.length > 0 ? this.carry + chunk : chunk;
    this.carry = text.slice(this.fmt.csv ? this.readCsv(text, false) : this.readText(text, false));
  }

  /** End of data (CopyDone): the last record may lack its line break. */
  end(): void {
    if (this.ended) return;
    const text = this.carry + this.decoder.end();
    this.carry = '';
    if (text.length > 0) {
      if (this.fmt.csv) this.readCsv(text, true);
      else this.readText(text, true);
    }
    this.ended = true;
  }

  /** Records of text format from `text`; returns where the unfinished part starts. */
  private readText(text: string, final: boolean): number {
    const delim = this.fmt.delimiter;
    let at = 0;
    while (at < text.length) {
      let nl = text.indexOf('\n', at);
      if (nl < 0) {
        if (!final) return at;
        nl = text.length;
      }
      const end = nl > at && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const lineText = text.slice(at, end);
      at = nl + 1;
      this.line++;
      if (lineText === '\\.') {
        this.ended = true;
        return text.length;
      }
      if (this.headerPending) {
        this.headerPending = false;
        continue;
      }
      this.splitText(lineText, delim);
      this.sink.record(this.fields, this.line, lineText);
    }
    return text.length;
  }

  private splitText(s: string, delim: string): void {
    const f = this.fields;
    f.length = 0;
    const nul = this.fmt.nullText;
    if (s.indexOf('\\') < 0) {
      // No escapes: plain splits (the common case, and the fast one).
      let from = 0;
      for (;;) {
        const d = s.indexOf(delim, from);
        const v = d < 0 ? s.slice(from) : s.slice(from, d);
        f.push(v === nul ? null : v);
        if (d < 0) return;
        from = d + 1;
      }
    }
    let from = 0;
    let out = '';
    let i = 0;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === delim) {
        f.push(s.slice(from, i) === nul ? null : out);
        out = '';
        from = i + 1;
      } else if (c === '\\' && i + 1 < s.length) {
        const n = s[++i];
        if (n >= '0' && n <= '7') {
          let v = n.charCodeAt(0) - 48;
          for (let k = 0; k < 2 && i + 1 < s.length && s[i + 1] >= '0' && s[i + 1] <= '7'; k++) v = v * 8 + s.charCodeAt(++i) - 48;
          out += String.fromCharCode(v & 0xff);
        } else if (n === 'x' && i + 1 < s.length && /[0-9a-f]/i.test(s[i + 1])) {
          let hex = s[++i];
          if (i + 1 < s.length && /[0-9a-f]/i.test(s[i + 1])) hex += s[++i];
          out += String.fromCharCode(parseInt(hex, 16));
        } else out += TEXT_ESCAPES[n] ?? n;
      } else out += c;
    }
    f.push(s.slice(from, i) === nul ? null : out);
  }

  /** Records of CSV from `text` (quote-aware: a record may span lines); returns where the unfinished one starts. */
  private readCsv(text: string, final: boolean): number {
    const { delimiter: delim, quote, escape, nullText } = this.fmt;
    const f = this.fields;
    let at = 0;
    while (at < text.length) {
      f.length = 0;
      let i = at;
      let lines = 1;
      let value = '';
      let quoted = false;
      let inQuote = false;
      let complete = false;
      let recordEnd = text.length;
      let next = text.length;
      // The end-of-data marker is a line `\.` on its own, outside quotes.
      if (text.startsWith('\\.', at) && (at + 2 === text.length ? final : text[at + 2] === '\n' || (text[at + 2] === '\r' && text[at + 3] === '\n'))) {
        this.line++;
        this.ended = true;
        return text.length;
      }
      // A line without quotes splits like text format (the common case, and the fast one).
      const nl = text.indexOf('\n', at);
      if (nl >= 0 || final) {
        const lineEnd = nl < 0 ? text.length : nl;
        const end = lineEnd > at && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
        const lineText = text.slice(at, end);
        if (lineText.indexOf(quote) < 0 && (escape === quote || lineText.indexOf(escape) < 0)) {
          at = lineEnd + 1;
          this.line++;
          if (this.headerPending) {
            this.headerPending = false;
            continue;
          }
          let from = 0;
          for (;;) {
            const d = lineText.indexOf(delim, from);
            const v = d < 0 ? lineText.slice(from) : lineText.slice(from, d);
            f.push(v === nullText ? null : v);
            if (d < 0) break;
            from = d + 1;
          }
          this.sink.record(f, this.line, lineText);
          continue;
        }
      }
      for (; i < text.length; i++) {
        const c = text[i];
        if (inQuote) {
          if (c === escape && i + 1 < text.length && (text[i + 1] === quote || (escape !== quote && text[i + 1] === escape))) {
            value += text[++i];
          } else if (c === quote) {
            if (escape === quote && i + 1 === text.length && !final) break; // could be a doubled quote split by the payload
            inQuote = false;
          } else {
            if (c === '\n') lines++;
            value += c;
          }
        } else if (c === quote) {
          inQuote = true;
          quoted = true;
        } else if (c === delim) {
          f.push(!quoted && value === nullText ? null : value);
          value = '';
          quoted = false;
        } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
          recordEnd = i;
          next = c === '\r' ? i + 2 : i + 1;
          complete = true;
          break;
        } else value += c;
      }
      if (!complete) {
        if (!final || i < text.length) return at;
        if (inQuote) {
          this.line += lines;
          throw new SqlError(BAD_COPY_FILE_FORMAT, 'unterminated CSV quoted field', { where: this.where(text.slice(at)) });
        }
      }
      f.push(!quoted && value === nullText ? null : value);
      const recordText = text.slice(at, recordEnd);
      at = next;
      this.line += lines;
      if (this.headerPending) {
        this.headerPending = false;
        continue;
      }
      this.sink.record(f, this.line, recordText);
    }
    return text.length;
  }

  private where(text: string): string {
    return `line ${this.line}: "${truncateForContext(text)}"`;
  }
}

/** PostgreSQL shows at most about 100 characters of a line or value in CONTEXT. */
export function truncateForContext(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}...` : s;
}

// ---------------------------------------------------------------------------- writing

const TEXT_OUT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** One output line (without the newline) from field texts (null = NULL). */
export function formatCopyLine(fmt: CopyFormat, values: readonly (string | null)[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += fmt.delimiter;
    const v = values[i];
    if (v === null) out += fmt.nullText;
    else out += fmt.csv ? csvField(fmt, v) : textField(fmt, v);
  }
  return out;
}

function textField(fmt: CopyFormat, v: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    const esc = TEXT_OUT_ESCAPES[c] ?? (c === fmt.delimiter ? `\\${c}` : undefined);
    if (esc === undefined) continue;
    out += v.slice(from, i) + esc;
    from = i + 1;
  }
  return from === 0 ? v : out + v.slice(from);
}

function csvField(fmt: CopyFormat, v: string): string {
  const { quote, escape, delimiter } = fmt;
  const needs =
    v === fmt.nullText ||
    v.includes(delimiter) ||
    v.includes(quote) ||
    v.includes('\n') ||
    v.includes('\r') ||
    (escape !== quote && v.includes(escape)) ||
    v.startsWith('\\.');
  if (!needs) return v;
  let out = quote;
  for (const c of v) out += c === quote || (c === escape && escape !== quote) ? escape + c : c;
  return out + quote;
}
