/**
 * The NEXMark event generator (the Beam/Flink benchmark generator as RisingWave's `nexmark`
 * crate implements it), written for Freshet. Every event is a pure function of its event
 * number: its type comes from the number modulo the proportions (1 person : 3 auctions :
 * 46 bids by default), its timestamp from the number times the inter-event delay, and its
 * data from a SmallRng seeded with its event id. So splits can generate disjoint slices
 * (offset split_index, step split_num) and a reader can resume at any offset.
 *
 * Ids: persons and auctions are numbered densely from 1000 in creation order; a bid picks a
 * "hot" auction (bucketed by 100) with probability 1/2 and otherwise one of the last 100
 * in-flight auctions; bidders and sellers likewise favour hot people (ratio 4). Floating
 * point follows the original's f32 arithmetic (`Math.fround`) so timestamps and prices match.
 *
 * Readers generate rows (`fillRow`: straight into the column layout, only the fields a job
 * reads); `event` gives the same data as objects (tests, tools).
 */
import { SmallRng } from '../rng';
import type { Datum } from '@freshet/common';
import type { NexmarkConfig, NexmarkEventType } from './config';

export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  /** ms since the Unix epoch */
  dateTime: number;
  extra: string;
}

export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export type NexmarkEvent = { type: 'person'; person: Person } | { type: 'auction'; auction: Auction } | { type: 'bid'; bid: Bid };

const f32 = Math.fround;
/** One generator reseeded per event (an event's data depends only on its id). */
const eventRng = new SmallRng();
const MIN_STRING_LENGTH = 3;
const CHANNEL_NUMBER = 10_000;

/** Derived constants of a config (RisingWave's GeneratorConfig). */
export class GeneratorConfig {
  readonly denominator: number;
  /** Delay between events in µs (f32), for all generators together. */
  readonly interEventDelay: number;
  readonly hotUrls: string[];

  constructor(readonly cfg: NexmarkConfig) {
    this.denominator = cfg.personProportion + cfg.auctionProportion + cfg.bidProportion;
    this.interEventDelay = f32(f32(f32(cfg.usPerUnit) / f32(cfg.firstRate)) * f32(cfg.numEventGenerators));
    this.hotUrls = [0, 1, 2, 3].map(baseUrl);
  }

  /** Event time in ms. */
  eventTimestamp(eventNumber: number): number {
    return this.cfg.baseTime + Math.round(f32(f32(f32(eventNumber) * this.interEventDelay) / 1000));
  }

  /** The event number of the `eventsSoFar`-th event (out-of-order groups shuffle within a group). */
  nextAdjustedEvent(eventsSoFar: number): number {
    const n = this.cfg.outOfOrderGroupSize;
    const eventNumber = this.cfg.firstEventNumber + eventsSoFar;
    return Math.floor(eventNumber / n) * n + ((eventNumber * 953) % n);
  }

  eventType(eventNumber: number): NexmarkEventType {
    const rem = eventNumber % this.denominator;
    if (rem < this.cfg.personProportion) return 'person';
    if (rem < this.cfg.personProportion + this.cfg.auctionProportion) return 'auction';
    return 'bid';
  }

  personLastId(id: number): number {
    const epoch = Math.floor(id / this.denominator);
    const offset = Math.min(id % this.denominator, this.cfg.personProportion - 1);
    return epoch * this.cfg.personProportion + offset;
  }

  personNextId(id: number, rng: SmallRng): number {
    const people = this.personLastId(id) + 1;
    const active = Math.min(people, this.cfg.activePeople);
    return people - active + rng.rangeU64(0, active + this.cfg.personIdLead);
  }

  auctionLastId(id: number): number {
    const p = this.cfg.personProportion;
    const a = this.cfg.auctionProportion;
    let epoch = Math.floor(id / this.denominator);
    let offset = id % this.denominator;
    if (offset < p) {
      epoch -= 1;
      offset = a - 1;
    } else if (p + a <= offset) {
      offset = a - 1;
    } else {
      offset -= p;
    }
    return epoch * a + offset;
  }

  auctionNextId(id: number, rng: SmallRng): number {
    const maxAuction = this.auctionLastId(id);
    const minAuction = maxAuction < this.cfg.inFlightAuctions ? 0 : maxAuction - this.cfg.inFlightAuctions;
    return minAuction + rng.rangeU64(0, maxAuction - minAuction + 1 + this.cfg.auctionIdLead);
  }

  /** The event with number `eventNumber` (its id, which seeds its data, is firstEventId + number). */
  event(eventNumber: number): NexmarkEvent {
    const row: Datum[] = [];
    const type = this.fillRow(eventNumber, row, ALL_FIELDS);
    switch (type) {
      case 'person':
        return { type, person: personOf(row) };
      case 'auction':
        return { type, auction: auctionOf(row) };
      case 'bid':
        return { type, bid: bidOf(row) };
    }
  }

  /**
   * Writes event `eventNumber` into `out` as a row of its type's layout (schema.ts: ids and
   * prices as int8 bigints, times as timestamp µs) and returns the type. Only the fields
   * whose bit is set in `mask` are produced, the others are NULL: a string nobody reads is
   * never built, and the trailing `extra` not even drawn (its draws come last, so skipping
   * them changes nothing else). Every produced field is exactly what RisingWave generates.
   */
  fillRow(eventNumber: number, out: Datum[], mask: FieldMask): NexmarkEventType {
    const id = this.cfg.firstEventId + eventNumber;
    const time = this.eventTimestamp(eventNumber);
    const type = this.eventType(eventNumber);
    if (type === 'bid') this.fillBid(id, time, out, mask);
    else if (type === 'auction') this.fillAuction(eventNumber, id, time, out, mask);
    else this.fillPerson(id, time, out, mask);
    return type;
  }

  private fillPerson(eventId: number, time: number, out: Datum[], mask: FieldMask): void {
    const cfg = this.cfg;
    const rng = eventRng.reseed(eventId);
    out[0] = mask & 1 ? BigInt(this.personLastId(eventId) + cfg.firstPersonId) : null;
    const first = rng.choose(cfg.firstNames);
    const last = rng.choose(cfg.lastNames);
    out[1] = mask & 2 ? `${first} ${last}` : null;
    // email: 7 letters @ 5 letters .com; credit card: four 4-digit groups.
    if (mask & 4) out[2] = `${letters(rng, 7)}@${letters(rng, 5)}.com`;
    else {
      rng.fillLetters(null, 12);
      out[2] = null;
    }
    if (mask & 8) {
      const cc: string[] = [];
      for (let i = 0; i < 4; i++) cc.push(String(rng.rangeU32(0, 10000)).padStart(4, '0'));
      out[3] = cc.join(' ');
    } else {
      for (let i = 0; i < 4; i++) rng.rangeU32(0, 10000);
      out[3] = null;
    }
    const city = rng.choose(cfg.usCities);
    const state = rng.choose(cfg.usStates);
    out[4] = mask & 16 ? city : null;
    out[5] = mask & 32 ? state : null;
    out[6] = mask & 64 ? ts(time) : null;
    if (mask & 128) {
      const nameLength = first.length + 1 + last.length;
      const size = 8 + nameLength + PERSON_EMAIL_LENGTH + PERSON_CARD_LENGTH + city.length + state.length;
      out[7] = nextExtra(rng, size, cfg.avgPersonByteSize);
    } else out[7] = null;
  }

  private fillAuction(eventNumber: number, eventId: number, time: number, out: Datum[], mask: FieldMask): void {
    const cfg = this.cfg;
    const rng = eventRng.reseed(eventId);
    // As in the original, the seller below is derived from the auction id (not the event id).
    const id = this.auctionLastId(eventId) + cfg.firstAuctionId;
    out[0] = mask & 1 ? BigInt(id) : null;
    out[1] = mask & 2 ? letters(rng, AUCTION_ITEM_LENGTH) : skipLetters(rng, AUCTION_ITEM_LENGTH);
    out[2] = mask & 4 ? letters(rng, AUCTION_DESCRIPTION_LENGTH) : skipLetters(rng, AUCTION_DESCRIPTION_LENGTH);
    const initialBid = price(rng);
    const reserve = initialBid + price(rng);
    out[3] = mask & 8 ? BigInt(initialBid) : null;
    out[4] = mask & 16 ? BigInt(reserve) : null;
    out[5] = mask & 32 ? ts(time) : null;
    if (mask & (64 | 128 | 256 | 512)) {
      const expires = time + this.nextLength(eventNumber, rng, time);
      out[6] = mask & 64 ? ts(expires) : null;
      if (mask & (128 | 256 | 512)) {
        let seller =
          rng.rangeU64(0, cfg.hotSellerRatio) > 0
            ? Math.floor(this.personLastId(id) / cfg.hotSellerRatio2) * cfg.hotSellerRatio2
            : this.personNextId(id, rng);
        seller += cfg.firstPersonId;
        out[7] = mask & 128 ? BigInt(seller) : null;
        const category = cfg.firstCategoryId + rng.rangeU64(0, cfg.numCategories);
        out[8] = mask & 256 ? BigInt(category) : null;
        out[9] = mask & 512 ? nextExtra(rng, AUCTION_FIXED_SIZE, cfg.avgAuctionByteSize) : null;
      } else out[7] = out[8] = out[9] = null;
    } else out[6] = out[7] = out[8] = out[9] = null;
  }

  private nextLength(eventNumber: number, rng: SmallRng, time: number): number {
    const cfg = this.cfg;
    const eventsForAuctions = Math.floor((cfg.inFlightAuctions * this.denominator) / cfg.auctionProportion);
    const futureAuction = this.eventTimestamp(eventNumber + eventsForAuctions);
    const horizon = futureAuction - time;
    return 1 + rng.rangeU64(0, Math.max(horizon * 2, 1));
  }

  private fillBid(eventId: number, time: number, out: Datum[], mask: FieldMask): void {
    const cfg = this.cfg;
    // Fields are drawn in order; whatever follows the last wanted field need not be drawn.
    if ((mask & BID_DRAWN) === 0) {
      out[0] = out[1] = out[2] = out[3] = out[4] = out[6] = null;
      out[5] = mask & 32 ? ts(time) : null;
      return;
    }
    const rng = eventRng.reseed(eventId);
    const auction =
      rng.rangeU64(0, cfg.hotAuctionRatio) > 0
        ? Math.floor(this.auctionLastId(eventId) / cfg.hotAuctionRatio2) * cfg.hotAuctionRatio2
        : this.auctionNextId(eventId, rng);
    const bidder =
      rng.rangeU64(0, cfg.hotBidderRatio) > 0
        ? Math.floor(this.personLastId(eventId) / cfg.hotBidderRatio2) * cfg.hotBidderRatio2 + 1
        : this.personNextId(eventId, rng);
    out[0] = mask & 1 ? BigInt(auction + cfg.firstAuctionId) : null;
    out[1] = mask & 2 ? BigInt(bidder + cfg.firstPersonId) : null;
    const p = price(rng);
    out[2] = mask & 4 ? BigInt(p) : null;
    out[5] = mask & 32 ? ts(time) : null;
    if ((mask & (8 | 16 | 64)) === 0) {
      out[3] = out[4] = out[6] = null;
      return;
    }
    if (rng.rangeU64(0, cfg.hotChannelRatio) > 0) {
      const i = rng.rangeU64(0, cfg.hotChannels.length);
      out[3] = mask & 8 ? cfg.hotChannels[i] : null;
      out[4] = mask & 16 ? this.hotUrls[i] : null;
    } else {
      const i = rng.rangeU32(0, CHANNEL_NUMBER);
      out[3] = mask & 8 ? `channel-${i}` : null;
      out[4] = mask & 16 ? channelUrl(i) : null;
    }
    out[6] = mask & 64 ? nextExtra(rng, 8 + 8 + 8 + 8, cfg.avgBidByteSize) : null;
  }
}

/** Bit i selects field i of an event type's column layout (schema.ts). */
export type FieldMask = number;
export const ALL_FIELDS: FieldMask = 0x7fffffff;
/** Bid fields that need the event's random draws (all but date_time). */
const BID_DRAWN = ~32;

const PERSON_EMAIL_LENGTH = 7 + 1 + 5 + 4;
const PERSON_CARD_LENGTH = 4 * 4 + 3;
const AUCTION_ITEM_LENGTH = 20;
const AUCTION_DESCRIPTION_LENGTH = 100;
const AUCTION_FIXED_SIZE = 8 + AUCTION_ITEM_LENGTH + AUCTION_DESCRIPTION_LENGTH + 8 + 8 + 8 + 8 + 8;

/** ms → timestamp datum (µs). */
const ts = (ms: number): number => ms * 1000;
const num = (d: Datum): number => Number(d as bigint);
const str = (d: Datum): string => d as string;
const ms = (d: Datum): number => (d as number) / 1000;

function personOf(r: Datum[]): Person {
  return { id: num(r[0]), name: str(r[1]), emailAddress: str(r[2]), creditCard: str(r[3]), city: str(r[4]), state: str(r[5]), dateTime: ms(r[6]), extra: str(r[7]) };
}

function auctionOf(r: Datum[]): Auction {
  return {
    id: num(r[0]), itemName: str(r[1]), description: str(r[2]), initialBid: num(r[3]), reserve: num(r[4]),
    dateTime: ms(r[5]), expires: ms(r[6]), seller: num(r[7]), category: num(r[8]), extra: str(r[9]),
  };
}

function bidOf(r: Datum[]): Bid {
  return { auction: num(r[0]), bidder: num(r[1]), price: num(r[2]), channel: str(r[3]), url: str(r[4]), dateTime: ms(r[5]), extra: str(r[6]) };
}

/**
 * The events of one split: offsets `splitIndex, splitIndex + splitNum, …` counted over all
 * events, or over the events of one type when `typeFilter` is set (RisingWave's
 * EventGenerator with offset/step/type filter).
 */
export class EventGenerator {
  offset: number;

  constructor(
    readonly gen: GeneratorConfig,
    offset: number,
    readonly step: number,
    readonly typeFilter: NexmarkEventType | null,
  ) {
    this.offset = offset;
  }

  /** The position of the current offset among events of all types. */
  globalOffset(): number {
    const c = this.gen.cfg;
    const d = this.gen.denominator;
    const o = this.offset;
    switch (this.typeFilter) {
      case 'person':
        return Math.floor(o / c.personProportion) * d + (o % c.personProportion);
      case 'auction':
        return Math.floor(o / c.auctionProportion) * d + c.personProportion + (o % c.auctionProportion);
      case 'bid':
        return Math.floor(o / c.bidProportion) * d + c.personProportion + c.auctionProportion + (o % c.bidProportion);
      default:
        return o;
    }
  }

  eventNumber(): number {
    return this.typeFilter ? this.gen.cfg.firstEventNumber + this.globalOffset() : this.gen.nextAdjustedEvent(this.offset);
  }

  /** Timestamp (ms) of the event at the current offset. */
  timestamp(): number {
    return this.gen.eventTimestamp(this.eventNumber());
  }

  next(): NexmarkEvent {
    const e = this.gen.event(this.eventNumber());
    this.offset += this.step;
    return e;
  }

  /** The next event as a row of its type's layout, only `mask`'s fields produced (see `fillRow`). */
  nextRow(out: Datum[], mask: FieldMask): NexmarkEventType {
    const type = this.gen.fillRow(this.eventNumber(), out, mask);
    this.offset += this.step;
    return type;
  }

  /** The type of the event at the current offset. */
  type(): NexmarkEventType {
    return this.gen.eventType(this.eventNumber());
  }

  /** Moves past the next event without generating it (nothing of it is read). */
  skip(): void {
    this.offset += this.step;
  }
}

/** Reused character-code buffer: strings are built with one fromCharCode call. */
const codes: number[] = [];

function letters(rng: SmallRng, length: number): string {
  codes.length = length;
  rng.fillLetters(codes, length);
  return String.fromCharCode.apply(null, codes);
}

/** Makes the draws of `letters(rng, length)` without building the string. */
function skipLetters(rng: SmallRng, length: number): null {
  rng.fillLetters(null, length);
  return null;
}

function stringWithDelimiter(rng: SmallRng, max: number, delimiter: string): string {
  const len = rng.rangeU64(MIN_STRING_LENGTH, max);
  let s = '';
  for (let i = 0; i < len; i++) s += rng.rangeU32(0, 13) === 0 ? delimiter : String.fromCharCode(rng.rangeU8Inclusive(97, 122));
  return s;
}

/** Padding that brings an event to its average byte size, ±20%. */
function nextExtra(rng: SmallRng, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return '';
  const avg = desiredAverageSize - currentSize;
  const delta = Math.floor((avg + 2) / 5);
  const minSize = avg - delta;
  const size = minSize + (delta === 0 ? 0 : rng.rangeU64(0, 2 * delta));
  return letters(rng, size);
}

/** A price in cents, log-uniform between $1 and $10,000 (f32 arithmetic as the original). */
function price(rng: SmallRng): number {
  const exp = f32(rng.nextF32() * 6);
  return Math.round(f32(f32(10 ** exp) * 100));
}

function baseUrl(seed: number): string {
  const rng = new SmallRng(seed);
  const a = stringWithDelimiter(rng, 5, '_');
  const b = stringWithDelimiter(rng, 5, '_');
  const c = stringWithDelimiter(rng, 5, '_');
  return `https://www.nexmark.com/${a}/${b}/${c}/item.htm?query=1`;
}

/** The URL of channel `i` of the 10,000 non-hot channels, built on first use. */
const channelUrls: (string | undefined)[] = new Array(CHANNEL_NUMBER);
function channelUrl(i: number): string {
  let url = channelUrls[i];
  if (url === undefined) {
    url = baseUrl(i);
    const rng = new SmallRng(i);
    if (rng.rangeU32(0, 10) > 0) url += `&channel_id=${Math.abs(reverseBits32(i))}`;
    channelUrls[i] = url;
  }
  return url;
}

/** `(i as i32).reverse_bits()` as a signed 32-bit value. */
function reverseBits32(v: number): number {
  let r = 0;
  for (let b = 0; b < 32; b++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r | 0;
}
