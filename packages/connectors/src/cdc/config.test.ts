import { describe, expect, it } from 'vitest';
import { T, listOf } from '@freshet/common';
import { cdcTableOptions, pgCdcConfig } from './config';
import { formatLsn, parseLsn } from './lsn';
import { mapPgType } from './schema';

const base = { connector: 'postgres-cdc', hostname: 'db', username: 'u', password: 'p', 'database.name': 'prod' };

describe('postgres-cdc options', () => {
  it('applies RisingWave defaults and reads schema.table names', () => {
    const c = pgCdcConfig({ ...base, 'table.name': 'transactions' });
    expect(c).toMatchObject({ host: 'db', port: 5432, schema: 'public', table: 'transactions', publication: 'rw_publication', slot: 'freshet_prod_public_transactions', createPublication: true });
    expect(pgCdcConfig({ ...base, 'table.name': 'sales.orders' })).toMatchObject({ schema: 'sales', table: 'orders' });
    expect(pgCdcConfig(base).table).toBeUndefined();
  });

  it('rejects missing, unknown and malformed options naming them', () => {
    expect(() => pgCdcConfig({ connector: 'postgres-cdc', hostname: 'db', username: 'u', password: 'p' })).toThrow(/missing field `database.name`/);
    expect(() => pgCdcConfig({ ...base, 'slot.nam': 'x' })).toThrow(/unknown option slot.nam/);
    expect(() => pgCdcConfig({ ...base, port: 'x' })).toThrow(/option port/);
    expect(() => pgCdcConfig({ ...base, 'slot.name': 'Bad-Name' })).toThrow(/slot.name/);
  });

  it('gives each table of a shared source its own slot', () => {
    const o = cdcTableOptions({ ...base, 'slot.name': 'rw_slot' }, 'public.orders');
    expect(o).toMatchObject({ 'schema.name': 'public', 'table.name': 'orders', 'slot.name': 'rw_slot_public_orders', hostname: 'db' });
  });

  it('LSNs round-trip and order as numbers', () => {
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
  });

  it('maps upstream types', () => {
    expect(mapPgType('int8')).toEqual(T.Int64);
    expect(mapPgType('_numeric')).toEqual(listOf(T.Decimal));
    expect(mapPgType('uuid')).toEqual(T.Varchar);
    expect(mapPgType('timestamptz')).toEqual(T.Timestamptz);
  });
});
