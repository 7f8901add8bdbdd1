/**
 * RisingWave SHOW / DESCRIBE / FLUSH / DROP SOURCE|SINK|… statements, parsed by hand.
 * `SHOW <variable>` and `SHOW ALL` are not claimed here (they return null) and go to the
 * PG grammar as VariableShowStmt.
 */
import type { DescribeStatement, DropStatement, ObjectKind, ShowStatement, ShowWhat } from '../statement';
import type { Cursor } from './cursor';

type Body<T> = Omit<T, 'text' | 'location'>;

const LISTS: [string[], ShowWhat][] = [
  [['TABLES'], 'tables'],
  [['MATERIALIZED', 'VIEWS'], 'materialized_views'],
  [['VIEWS'], 'views'],
  [['SOURCES'], 'sources'],
  [['SINKS'], 'sinks'],
  [['DATABASES'], 'databases'],
  [['SCHEMAS'], 'schemas'],
  [['INTERNAL', 'TABLES'], 'internal_tables'],
  [['FUNCTIONS'], 'functions'],
  [['CONNECTIONS'], 'connections'],
  [['SUBSCRIPTIONS'], 'subscriptions'],
  [['SECRETS'], 'secrets'],
  [['JOBS'], 'jobs'],
  [['PROCESSLIST'], 'processlist'],
  [['PARAMETERS'], 'parameters'],
  [['CLUSTER'], 'cluster'],
  [['CURSORS'], 'cursors'],
];

const CREATE_KINDS: [string[], ObjectKind][] = [
  [['TABLE'], 'table'],
  [['MATERIALIZED', 'VIEW'], 'materialized_view'],
  [['VIEW'], 'view'],
  [['SOURCE'], 'source'],
  [['SINK'], 'sink'],
  [['INDEX'], 'index'],
  [['FUNCTION'], 'function'],
  [['CONNECTION'], 'connection'],
  [['SECRET'], 'secret'],
  [['SUBSCRIPTION'], 'subscription'],
];

/** The cursor is after SHOW. Returns null for `SHOW <variable>`. */
export function parseShow(cur: Cursor): Body<ShowStatement> | null {
  // Only claim a keyword form if it is the whole statement shape; `SHOW jobs_setting` etc. stay variables.
  for (const [words, what] of LISTS) {
    const save = cur.pos;
    if (!cur.eatWords(...words)) continue;
    if (!cur.atEnd() && !cur.isWord('FROM') && !cur.isWord('IN') && !cur.isWord('LIKE')) {
      cur.pos = save;
      return null;
    }
    const out: Body<ShowStatement> = { kind: 'show', what };
    if (cur.eatWords('FROM') || cur.eatWords('IN')) out.schema = cur.ident();
    parseLike(cur, out);
    cur.expectEnd();
    return out;
  }
  if (cur.isWord('COLUMNS') || cur.isWord('INDEXES') || cur.isWord('INDEX')) {
    if (!cur.isWord('FROM', 1) && !cur.isWord('IN', 1)) return null;
    const what: ShowWhat = cur.isWord('COLUMNS') ? 'columns' : 'indexes';
    cur.pos += 2;
    const name = cur.objectName();
    const out: Body<ShowStatement> = { kind: 'show', what, object: name.text, objectParts: name.parts };
    parseLike(cur, out);
    cur.expectEnd();
    return out;
  }
  if (cur.isWord('CREATE')) {
    cur.pos++;
    for (const [words, kind] of CREATE_KINDS) {
      if (!cur.eatWords(...words)) continue;
      const name = cur.objectName();
      cur.expectEnd();
      return { kind: 'show', what: 'create', objectKind: kind, object: name.text, objectParts: name.parts };
    }
    throw cur.error();
  }
  return null;
}

function parseLike(cur: Cursor, out: Body<ShowStatement>): void {
  if (cur.eatWords('LIKE')) out.like = cur.stringLiteral();
}

/** The cursor is after DESCRIBE / DESC. */
export function parseDescribe(cur: Cursor): Body<DescribeStatement> {
  const name = cur.objectName();
  cur.expectEnd();
  return { kind: 'describe', name: name.text, nameParts: name.parts };
}

const DROP_KINDS: Record<string, DropStatement['objectKind']> = {
  SOURCE: 'source',
  SINK: 'sink',
  CONNECTION: 'connection',
  SECRET: 'secret',
  SUBSCRIPTION: 'subscription',
};

export function isRwDrop(cur: Cursor): boolean {
  const t = cur.peek(1);
  return cur.isWord('DROP') && t !== undefined && t.type === 'word' && t.upper in DROP_KINDS;
}

/** The cursor is at DROP. */
export function parseDrop(cur: Cursor): Body<DropStatement> {
  cur.pos++;
  const objectKind = DROP_KINDS[cur.next().upper];
  const ifExists = cur.eatWords('IF', 'EXISTS');
  const names: string[] = [];
  const nameParts: string[][] = [];
  do {
    const n = cur.objectName();
    names.push(n.text);
    nameParts.push(n.parts);
  } while (cur.eatPunct(','));
  let cascade = false;
  if (cur.eatWords('CASCADE')) cascade = true;
  else cur.eatWords('RESTRICT');
  cur.expectEnd();
  return { kind: 'drop', objectKind, names, nameParts, ifExists, cascade };
}
