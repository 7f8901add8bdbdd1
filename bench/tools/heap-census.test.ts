import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { census } from './heap-census';

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];
const STRINGS = ['', 'Store', 'store', 'keys', 'Array', 'k1', 'k2 "quoted" é', 'other', 'cache'];
const s = (text: string) => STRINGS.indexOf(text);

/**
 * root -store-> Store -keys-> Array -[0]-> "k1", -[1]-> "k2…" (32 bytes each); Store -cache
 * (weak)-> "other" (40 bytes), which the root also reaches, by an element edge.
 */
function snapshotText(): string {
  const NF = 7;
  // type, name, id, self_size, edge_count, trace_node_id, detachedness
  const nodes = [
    [9, s(''), 1, 0, 2, 0, 0],
    [3, s('Store'), 3, 24, 2, 0, 0],
    [3, s('Array'), 5, 16, 2, 0, 0],
    [2, s('k1'), 7, 32, 0, 0, 0],
    [2, s('k2 "quoted" é'), 9, 32, 0, 0, 0],
    [2, s('other'), 11, 40, 0, 0, 0],
    // Reached by nothing; named after the escaped string, so that its name is read past it.
    [3, s('cache'), 13, 8, 0, 0, 0],
  ];
  // type, name_or_index, to_node (node index × fields), in node order.
  const edges = [
    [2, s('store'), 1 * NF],
    [1, 0, 5 * NF],
    [6, s('cache'), 5 * NF],
    [2, s('keys'), 2 * NF],
    [1, 0, 3 * NF],
    [1, 1, 4 * NF],
  ];
  const snapshot = {
    meta: {
      node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
      node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
      edge_fields: ['type', 'name_or_index', 'to_node'],
      edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
    },
    node_count: nodes.length,
    edge_count: edges.length,
  };
  // The layout V8 writes: one array per line.
  return `{"snapshot":${JSON.stringify(snapshot)},\n"nodes":[${nodes.map((n) => n.join(',')).join(',\n')}],\n"edges":[${edges.map((e) => e.join(',')).join(',\n')}],\n"trace_function_infos":[],\n"strings":[${STRINGS.map((t) => JSON.stringify(t)).join(',\n')}]}`;
}

describe('heap census', () => {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-heap-census-'));
  const file = join(dir, 'test.heapsnapshot');
  writeFileSync(file, snapshotText());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts objects by constructor, and strings by type alone', () => {
    const c = census(file);
    expect(c.nodes).toBe(7);
    const group = (type: string, name = '') => c.groups.find((g) => g.type === type && g.name === name);
    expect(group('string')).toEqual({ type: 'string', name: '', count: 3, bytes: 104 });
    expect(group('object', 'Store')).toMatchObject({ count: 1, bytes: 24 });
    expect(group('object', 'Array')).toMatchObject({ count: 1, bytes: 16 });
    expect(group('object', 'cache')).toMatchObject({ count: 1, bytes: 8 });
  });

  it('tallies first retainer chains with property names, skipping weak edges', () => {
    const keys = census(file, { type: 'string', size: 32 });
    expect(keys.picked).toBe(2);
    expect(keys.retained).toEqual([{ chain: 'object "Array" .keys <- object "Store" .store <- synthetic ""', count: 2 }]);
    // "other" is reached weakly from the Store first, and by an element edge from the root.
    const other = census(file, { type: 'string', size: 40 });
    expect(other.retained).toEqual([{ chain: 'synthetic ""', count: 1 }]);
  });

  it('prints as many chains as asked, having still picked every object', () => {
    // Depth 1 tells the two keys' chains apart only by their first retainer: one chain.
    expect(census(file, { type: 'string', size: 32 }, 1, 1).retained).toEqual([{ chain: 'object "Array" .keys', count: 2 }]);
    const none = census(file, { type: 'string', size: 32 }, 6, 0);
    expect(none.picked).toBe(2);
    expect(none.retained).toEqual([]);
  });
});
