/**
 * What a V8 heap snapshot holds, read as a stream: a server's snapshot under load is 1 GB
 * or more of JSON, which neither `JSON.parse` (512 MB string limit) nor DevTools opens
 * comfortably. Prints the objects by count and by self size, grouped by type and
 * constructor (strings by type alone: their name is their text), and, with `--retained`,
 * who retains one kind of object: each object's first non-weak retainer, followed up a few
 * levels, with the property names on the way, tallied by chain.
 *
 *   node --import tsx bench/tools/heap-census.ts FILE.heapsnapshot [--top 30]
 *     [--retained 'string:32'] [--depth 6] [--chains 20]
 *
 * `--retained TYPE:SIZE` picks the objects of node type TYPE (string, object, array, bigint…)
 * and self size SIZE bytes: a 9-character key string is 32 bytes, an 18-character one 40.
 * `--chains N` prints the N commonest chains: objects held in a sharded map (BigMap) spread
 * over one chain per shard, so a tally per table needs thousands (and `--depth 12`).
 * A snapshot of a running server: start it with `--heapsnapshot-signal=SIGUSR2` (for the
 * bench, `BENCH_FRESHET_NODE_OPTIONS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=DIR"`)
 * and send it SIGUSR2 (docs/performance.md, session 28, found the overlay segments' keys
 * this way).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** A forward-only reader of a large file, a chunk at a time. */
class Stream {
  private readonly buf = Buffer.allocUnsafe(1 << 24);
  private pos = 0;
  private len = 0;
  private offset = 0;

  constructor(private readonly fd: number) {}

  private fill(): boolean {
    if (this.pos < this.len) return true;
    this.len = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
    this.offset += this.len;
    this.pos = 0;
    return this.len > 0;
  }

  /** Skips past the next `marker`; returns the text before it if `keep`. */
  until(marker: string, keep = false): string {
    let kept = '';
    let tail = '';
    for (;;) {
      if (!this.fill()) throw new Error(`heap snapshot: no ${marker}`);
      const chunk = tail + this.buf.toString('latin1', this.pos, this.len);
      const at = chunk.indexOf(marker);
      if (at >= 0) {
        if (keep) kept += chunk.slice(tail.length, at);
        this.pos = this.len - (chunk.length - (at + marker.length));
        return kept;
      }
      if (keep) kept += chunk.slice(tail.length);
      tail = chunk.slice(-marker.length);
      this.pos = this.len;
    }
  }

  /** Calls `each` with every non-negative integer up to the closing `]` of the current array. */
  integers(each: (n: number) => void): void {
    let n = 0;
    let inNumber = false;
    for (;;) {
      if (!this.fill()) return;
      const b = this.buf;
      for (; this.pos < this.len; this.pos++) {
        const c = b[this.pos];
        if (c >= 48 && c <= 57) {
          n = n * 10 + (c - 48);
          inNumber = true;
          continue;
        }
        if (inNumber) {
          each(n);
          n = 0;
          inNumber = false;
        }
        if (c === 93) {
          this.pos++;
          return;
        }
      }
    }
  }

  /** The JSON strings of the current array at the indexes in `wanted` (at most `maxChars` each), stopping past the last. */
  strings(wanted: ReadonlySet<number>, maxChars: number): Map<number, string> {
    const out = new Map<number, string>();
    const last = Math.max(-1, ...wanted);
    let index = 0;
    let inString = false;
    let escaped = false;
    let start = -1;
    let text = '';
    for (;;) {
      if (index > last || !this.fill()) return out;
      const b = this.buf;
      for (; this.pos < this.len; this.pos++) {
        const c = b[this.pos];
        if (!inString) {
          if (c === 34) {
            inString = true;
            start = this.pos + 1;
            text = '';
          }
          continue;
        }
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) {
          if (wanted.has(index)) out.set(index, JSON.parse(`"${text}${b.toString('utf8', start, this.pos)}"`).slice(0, maxChars));
          inString = false;
          if (++index > last) return out;
        }
      }
      // The string goes on in the next chunk.
      if (inString) {
        text += b.toString('utf8', start, this.len);
        start = 0;
      }
    }
  }
}

interface Meta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

/** Node types whose name is their content, so they are counted by type alone. */
const BY_TYPE = new Set(['string', 'concatenated string', 'sliced string', 'number', 'bigint', 'symbol']);
/** Edge types whose name is a string (the others are indexes). */
const NAMED_EDGES = new Set(['context', 'property', 'internal', 'shortcut']);

export interface Group {
  type: string;
  /** Constructor or other name; '' for BY_TYPE groups. */
  name: string;
  count: number;
  bytes: number;
}

export interface Census {
  nodes: number;
  groups: Group[];
  /** `--retained`: chains (outermost last) with how many of the picked objects each retains. */
  retained: { chain: string; count: number }[];
  picked: number;
}

/** Reads the snapshot at `path`; `retained` picks objects by node type and self size, whose retainer chains (`depth` levels) are tallied. */
export function census(path: string, retained?: { type: string; size: number }, depth = 6, chainCount = 20): Census {
  const fd = openSync(path, 'r');
  try {
    const s = new Stream(fd);
    const head = s.until('"nodes":[', true);
    const snapshot = JSON.parse(`${head.replace(/^\s*\{\s*"snapshot"\s*:/, '').replace(/,\s*$/, '')}`) as { meta: Meta; node_count: number };
    const meta = snapshot.meta;
    const nodeTypes = meta.node_types[0];
    const edgeTypes = meta.edge_types[0];
    const nf = meta.node_fields.length;
    const ef = meta.edge_fields.length;
    const n = snapshot.node_count;
    const type = new Uint8Array(n);
    const name = new Int32Array(n);
    const size = new Float64Array(n);
    const edges = new Int32Array(n);
    const [TYPE, NAME, SIZE, EDGES] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f));
    let field = 0;
    let node = 0;
    s.integers((v) => {
      if (field === TYPE) type[node] = v;
      else if (field === NAME) name[node] = v;
      else if (field === SIZE) size[node] = v;
      else if (field === EDGES) edges[node] = v;
      if (++field === nf) {
        field = 0;
        node++;
      }
    });
    // First non-weak retainer of each node, and the edge it is reached by.
    const parent = new Int32Array(n).fill(-1);
    const viaName = new Int32Array(n).fill(-1);
    const viaNamed = new Uint8Array(n);
    if (retained !== undefined) {
      s.until('"edges":[');
      const weak = edgeTypes.indexOf('weak');
      const [ETYPE, ENAME, ETO] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f));
      let from = 0;
      let left = edges[0] ?? 0;
      let edgeType = 0;
      let edgeName = 0;
      field = 0;
      s.integers((v) => {
        if (field === ETYPE) edgeType = v;
        else if (field === ENAME) edgeName = v;
        if (field === ETO) {
          while (left === 0 && from < n - 1) left = edges[++from];
          const to = v / nf;
          if (edgeType !== weak && parent[to] === -1) {
            parent[to] = from;
            viaName[to] = edgeName;
            viaNamed[to] = NAMED_EDGES.has(edgeTypes[edgeType]) ? 1 : 0;
          }
          left--;
        }
        if (++field === ef) field = 0;
      });
    }
    const groups = new Map<string, Group & { nameIndex: number }>();
    for (let i = 0; i < n; i++) {
      const t = nodeTypes[type[i]];
      const byType = BY_TYPE.has(t);
      const key = byType ? t : `${t}\0${name[i]}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { type: t, name: '', nameIndex: byType ? -1 : name[i], count: 0, bytes: 0 }));
      g.count++;
      g.bytes += size[i];
    }
    const chains = new Map<string, number>();
    let picked = 0;
    const wanted = new Set<number>();
    const step = (x: number) => `${type[x]}:${name[x]}:${viaNamed[x] ? viaName[x] : -1}`;
    if (retained !== undefined) {
      const want = nodeTypes.indexOf(retained.type);
      for (let i = 0; i < n; i++) {
        if (type[i] !== want || size[i] !== retained.size) continue;
        picked++;
        const parts: string[] = [];
        for (let p = parent[i], d = 0; p >= 0 && d < depth; p = parent[p], d++) parts.push(step(p));
        const chain = parts.join(' ');
        chains.set(chain, (chains.get(chain) ?? 0) + 1);
      }
    }
    const top = [...chains].sort((a, b) => b[1] - a[1]).slice(0, chainCount);
    for (const [chain] of top) {
      for (const part of chain.split(' ')) {
        if (part === '') continue;
        const [, nm, via] = part.split(':').map(Number);
        wanted.add(nm);
        if (via >= 0) wanted.add(via);
      }
    }
    for (const g of groups.values()) if (g.nameIndex >= 0) wanted.add(g.nameIndex);
    s.until('"strings":[');
    const text = s.strings(wanted, 60);
    const label = (part: string) => {
      const [t, nm, via] = part.split(':').map(Number);
      return `${nodeTypes[t]} ${JSON.stringify(text.get(nm) ?? '')}${via >= 0 ? ` .${text.get(via) ?? via}` : ''}`;
    };
    return {
      nodes: n,
      groups: [...groups.values()].map(({ type: t, nameIndex, count, bytes }) => ({ type: t, name: nameIndex >= 0 ? (text.get(nameIndex) ?? '') : '', count, bytes })),
      retained: top.map(([chain, count]) => ({ chain: chain === '' ? '(root)' : chain.split(' ').map(label).join(' <- '), count })),
      picked,
    };
  } finally {
    closeSync(fd);
  }
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '30' },
      retained: { type: 'string' },
      depth: { type: 'string', default: '6' },
      chains: { type: 'string', default: '20' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const usage = [
    'usage: heap-census.ts FILE.heapsnapshot [--top N] [--retained TYPE:SIZE] [--depth N] [--chains N]',
    '  FILE.heapsnapshot   a V8 heap snapshot (a server started with --heapsnapshot-signal=SIGUSR2, sent SIGUSR2)',
    '  --top N             groups printed by count and by self size (30)',
    "  --retained TYPE:SIZE  who retains the objects of node type TYPE and SIZE bytes, e.g. 'string:32' (a 9-character key)",
    '  --depth N           retainers followed up from each of them (6)',
    '  --chains N          commonest retainer chains printed (20; a sharded map spreads one table over thousands)',
  ].join('\n');
  if (values.help) {
    console.log(usage);
    return;
  }
  const file = positionals[0];
  if (file === undefined) {
    console.error(usage);
    process.exit(2);
  }
  let retained: { type: string; size: number } | undefined;
  if (values.retained !== undefined) {
    const at = values.retained.lastIndexOf(':');
    retained = { type: values.retained.slice(0, at), size: Number(values.retained.slice(at + 1)) };
  }
  const c = census(file, retained, Number(values.depth), Number(values.chains));
  const top = Number(values.top);
  const line = (g: Group) => `${String(g.count).padStart(10)} ${(g.bytes / 1e6).toFixed(1).padStart(9)} MB  ${g.type}${g.name ? ` ${JSON.stringify(g.name)}` : ''}`;
  console.log(`${c.nodes.toLocaleString('en-US')} objects\n\nby count:`);
  for (const g of [...c.groups].sort((a, b) => b.count - a.count).slice(0, top)) console.log(line(g));
  console.log('\nby self size:');
  for (const g of [...c.groups].sort((a, b) => b.bytes - a.bytes).slice(0, top)) console.log(line(g));
  if (retained !== undefined) {
    console.log(`\n${retained.type} objects of ${retained.size} bytes: ${c.picked.toLocaleString('en-US')}, by first retainers (innermost first):`);
    for (const r of c.retained) console.log(`${String(r.count).padStart(10)}  ${r.chain}`);
  }
}

if (process.argv[1] !== undefined && /heap-census\.ts$/.test(process.argv[1])) main();
