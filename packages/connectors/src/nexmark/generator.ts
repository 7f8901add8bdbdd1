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
 */
import { SmallRng } from '../rng';
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
    const id = this.cfg.firstEventId + eventNumber;
    const time = this.eventTimestamp(eventNumber);
    switch (this.eventType(eventNumber)) {
      case 'person':
        return { type: 'person', person: this.person(id, time) };
      case 'auction':
        return { type: 'auction', auction: this.auction(eventNumber, id, time) };
      case 'bid':
        return { type: 'bid', bid: this.bid(id, time) };
    }
  }

  person(eventId: number, time: number): Person {
    const cfg = this.cfg;
    const rng = eventRng.reseed(eventId);
    const id = this.personLastId(eventId) + cfg.firstPersonId;
    const name = `${rng.choose(cfg.firstNames)} ${rng.choose(cfg.lastNames)}`;
    const emailAddress = `${exactString(rng, 7)}@${exactString(rng, 5)}.com`;
    const cc: string[] = [];
    for (let i = 0; i < 4; i++) cc.push(String(rng.rangeU32(0, 10000)).padStart(4, '0'));
    const creditCard = cc.join(' ');
    const city = rng.choose(cfg.usCities);
    const state = rng.choose(cfg.usStates);
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const extra = nextExtra(rng, size, cfg.avgPersonByteSize);
    return { id, name, emailAddress, creditCard, city, state, dateTime: time, extra };
  }

  auction(eventNumber: number, eventId: number, time: number): Auction {
    const cfg = this.cfg;
    const rng = eventRng.reseed(eventId);
    // As in the original, the seller below is derived from the auction id (not the event id).
    const id = this.auctionLastId(eventId) + cfg.firstAuctionId;
    const itemName = exactString(rng, 20);
    const description = exactString(rng, 100);
    const initialBid = price(rng);
    const reserve = initialBid + price(rng);
    const expires = time + this.nextLength(eventNumber, rng, time);
    let seller =
      rng.rangeU64(0, cfg.hotSellerRatio) > 0
        ? Math.floor(this.personLastId(id) / cfg.hotSellerRatio2) * cfg.hotSellerRatio2
        : this.personNextId(id, rng);
    seller += cfg.firstPersonId;
    const category = cfg.firstCategoryId + rng.rangeU64(0, cfg.numCategories);
    const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
    const extra = nextExtra(rng, size, cfg.avgAuctionByteSize);
    return { id, itemName, description, initialBid, reserve, dateTime: time, expires, seller, category, extra };
  }

  private nextLength(eventNumber: number, rng: SmallRng, time: number): number {
    const cfg = this.cfg;
    const eventsForAuctions = Math.floor((cfg.inFlightAuctions * this.denominator) / cfg.auctionProportion);
    const futureAuction = this.eventTimestamp(eventNumber + eventsForAuctions);
    const horizon = futureAuction - time;
    return 1 + rng.rangeU64(0, Math.max(horizon * 2, 1));
  }

  bid(eventId: number, time: number): Bid {
    const cfg = this.cfg;
    const rng = eventRng.reseed(eventId);
    const auction =
      rng.rangeU64(0, cfg.hotAuctionRatio) > 0
        ? Math.floor(this.auctionLastId(eventId) / cfg.hotAuctionRatio2) * cfg.hotAuctionRatio2
        : this.auctionNextId(eventId, rng);
    const bidder =
      rng.rangeU64(0, cfg.hotBidderRatio) > 0
        ? Math.floor(this.personLastId(eventId) / cfg.hotBidderRatio2) * cfg.hotBidderRatio2 + 1
        : this.personNextId(eventId, rng);
    const p = price(rng);
    let channel: string;
    let url: string;
    if (rng.rangeU64(0, cfg.hotChannelRatio) > 0) {
      const i = rng.rangeU64(0, cfg.hotChannels.length);
      channel = cfg.hotChannels[i];
      url = this.hotUrls[i];
    } else {
      const i = rng.rangeU32(0, CHANNEL_NUMBER);
      channel = `channel-${i}`;
      url = channelUrl(i);
    }
    const extra = nextExtra(rng, 8 + 8 + 8 + 8, cfg.avgBidByteSize);
    return { auction: auction + cfg.firstAuctionId, bidder: bidder + cfg.firstPersonId, price: p, channel, url, dateTime: time, extra };
  }
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
}

/** Reused character-code buffer: strings are built with one fromCharCode call. */
const codes: number[] = [];

function exactString(rng: SmallRng, length: number): string {
  codes.length = length;
  rng.fillLetters(codes, length);
  return String.fromCharCode.apply(null, codes);
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
  return exactString(rng, size);
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
