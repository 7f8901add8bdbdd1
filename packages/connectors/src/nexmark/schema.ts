/**
 * RisingWave's nexmark column names and types, and the conversion of generated events to
 * rows. A typed source (`nexmark.table.type = 'Bid'`) has the event's fields as columns; the
 * combined source has `event_type` (0 person, 1 auction, 2 bid) and one struct column per
 * event kind, NULL for the other two.
 */
import { type DataType, type Datum, type Row, StructValue, T, structOf } from '@freshet/common';
import type { SourceColumn } from '../api';
import type { NexmarkEventType } from './config';
import type { Auction, Bid, NexmarkEvent, Person } from './generator';

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

/** ms → timestamp datum (µs). */
const ts = (ms: number): number => ms * 1000;

export function personRow(p: Person): Row {
  return [BigInt(p.id), p.name, p.emailAddress, p.creditCard, p.city, p.state, ts(p.dateTime), p.extra];
}

export function auctionRow(a: Auction): Row {
  return [BigInt(a.id), a.itemName, a.description, BigInt(a.initialBid), BigInt(a.reserve), ts(a.dateTime), ts(a.expires), BigInt(a.seller), BigInt(a.category), a.extra];
}

export function bidRow(b: Bid): Row {
  return [BigInt(b.auction), BigInt(b.bidder), BigInt(b.price), b.channel, b.url, ts(b.dateTime), b.extra];
}

/** A typed source's row (the event is of that type). */
export function eventRow(e: NexmarkEvent): Row {
  switch (e.type) {
    case 'person':
      return personRow(e.person);
    case 'auction':
      return auctionRow(e.auction);
    case 'bid':
      return bidRow(e.bid);
  }
}

/** The combined source's row: `event_type, person, auction, bid`. */
export function combinedRow(e: NexmarkEvent): Row {
  const none: Datum = null;
  switch (e.type) {
    case 'person':
      return [0n, new StructValue(personRow(e.person)), none, none];
    case 'auction':
      return [1n, none, new StructValue(auctionRow(e.auction)), none];
    case 'bid':
      return [2n, none, none, new StructValue(bidRow(e.bid))];
  }
}
