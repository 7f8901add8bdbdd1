/**
 * RisingWave's nexmark column names and types. A typed source (`nexmark.table.type =
 * 'Bid'`) has the event's fields as columns; the combined source has `event_type` (0
 * person, 1 auction, 2 bid) and one struct column per event kind, NULL for the other two.
 * Rows are generated straight into these layouts (generator.ts `fillRow`).
 */
import { type DataType, T, structOf } from '@freshet/common';
import type { SourceColumn } from '../api';
import type { NexmarkEventType } from './config';

const field = (name: string, type: DataType): SourceColumn => ({ name, type });

export const PERSON_COLUMNS: readonly SourceColumn[] = [
  field('id', T.Int64),
  field('name', T.Varchar),
  field('email_address', T.Varchar),
  field('credit_card', T.Varchar),
  field('city', T.Varchar),
  field('state', T.Varchar),
  field('date_time', T.Timestamp),
  field('extra', T.Varchar),
];

export const AUCTION_COLUMNS: readonly SourceColumn[] = [
  field('id', T.Int64),
  field('item_name', T.Varchar),
  field('description', T.Varchar),
  field('initial_bid', T.Int64),
  field('reserve', T.Int64),
  field('date_time', T.Timestamp),
  field('expires', T.Timestamp),
  field('seller', T.Int64),
  field('category', T.Int64),
  field('extra', T.Varchar),
];

export const BID_COLUMNS: readonly SourceColumn[] = [
  field('auction', T.Int64),
  field('bidder', T.Int64),
  field('price', T.Int64),
  field('channel', T.Varchar),
  field('url', T.Varchar),
  field('date_time', T.Timestamp),
  field('extra', T.Varchar),
];

const structFrom = (cols: readonly SourceColumn[]) => structOf(cols.map((c) => ({ name: c.name, type: c.type })));

export const COMBINED_COLUMNS: readonly SourceColumn[] = [
  field('event_type', T.Int64),
  field('person', structFrom(PERSON_COLUMNS)),
  field('auction', structFrom(AUCTION_COLUMNS)),
  field('bid', structFrom(BID_COLUMNS)),
];

export function nexmarkColumns(type: NexmarkEventType | null): readonly SourceColumn[] {
  switch (type) {
    case 'person':
      return PERSON_COLUMNS;
    case 'auction':
      return AUCTION_COLUMNS;
    case 'bid':
      return BID_COLUMNS;
    default:
      return COMBINED_COLUMNS;
  }
}
