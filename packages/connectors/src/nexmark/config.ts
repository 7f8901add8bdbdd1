/**
 * The nexmark generator's configuration (the NEXMark benchmark's generator as RisingWave's
 * `nexmark` crate implements it) and the `nexmark.*` WITH options that override it, with
 * RisingWave's names and defaults.
 *
 * Only a constant event rate is modelled: RisingWave sets both the first and the next rate
 * from `nexmark.first.event.rate`, so its sine/square rate shapes never vary the delay.
 */
import { SqlError, SqlState } from '@freshet/common';
import { OptionReader } from '../options';

export type NexmarkEventType = 'person' | 'auction' | 'bid';

export interface NexmarkConfig {
  activePeople: number;
  inFlightAuctions: number;
  outOfOrderGroupSize: number;
  avgPersonByteSize: number;
  avgAuctionByteSize: number;
  avgBidByteSize: number;
  hotSellerRatio: number;
  hotAuctionRatio: number;
  hotBidderRatio: number;
  hotChannelRatio: number;
  /** Divisors that bucket ids into "hot" ones (Beam's HOT_*_RATIO constants). */
  hotSellerRatio2: number;
  hotAuctionRatio2: number;
  hotBidderRatio2: number;
  firstEventId: number;
  firstEventNumber: number;
  /** Time of the first event, ms since the Unix epoch. */
  baseTime: number;
  numCategories: number;
  auctionIdLead: number;
  personProportion: number;
  auctionProportion: number;
  bidProportion: number;
  firstAuctionId: number;
  firstPersonId: number;
  firstCategoryId: number;
  personIdLead: number;
  usStates: string[];
  usCities: string[];
  firstNames: string[];
  lastNames: string[];
  hotChannels: string[];
  numEventGenerators: number;
  firstRate: number;
  usPerUnit: number;
}

/** 2015-07-15 00:00:00 UTC: RisingWave's fixed base time for sources with `nexmark.table.type`. */
export const NEXMARK_TABLE_BASE_TIME = 1_436_918_400_000;

export function defaultNexmarkConfig(baseTime: number): NexmarkConfig {
  return {
    activePeople: 1000,
    inFlightAuctions: 100,
    outOfOrderGroupSize: 1,
    avgPersonByteSize: 200,
    avgAuctionByteSize: 500,
    avgBidByteSize: 100,
    hotSellerRatio: 4,
    hotAuctionRatio: 2,
    hotBidderRatio: 4,
    hotChannelRatio: 2,
    hotSellerRatio2: 100,
    hotAuctionRatio2: 100,
    hotBidderRatio2: 100,
    firstEventId: 0,
    firstEventNumber: 0,
    baseTime,
    numCategories: 5,
    auctionIdLead: 10,
    personProportion: 1,
    auctionProportion: 3,
    bidProportion: 46,
    firstAuctionId: 1000,
    firstPersonId: 1000,
    firstCategoryId: 10,
    personIdLead: 10,
    usStates: 'az,ca,id,or,wa,wy'.split(','),
    usCities: 'phoenix,los angeles,san francisco,boise,portland,bend,redmond,seattle,kent,cheyenne'.split(','),
    firstNames: 'peter,paul,luke,john,saul,vicky,kate,julie,sarah,deiter,walter'.split(','),
    lastNames: 'shultz,abrams,spencer,white,bartels,walton,smith,jones,noris'.split(','),
    hotChannels: 'Google,Facebook,Baidu,Apple'.split(','),
    numEventGenerators: 1,
    firstRate: 10_000,
    usPerUnit: 1_000_000,
  };
}

/** The source-level options (split count, bounds, pacing) next to the generator config. */
export interface NexmarkProperties {
  splitNum: number;
  /** Total events (all types) to generate; Infinity when unbounded. */
  eventNum: number;
  tableType: NexmarkEventType | null;
  maxChunkSize: number;
  useRealTime: boolean;
  minEventGapInNs: number;
  config: NexmarkConfig;
}

const INT_OPTIONS: [string, keyof NexmarkConfig][] = [
  ['nexmark.active.people', 'activePeople'],
  ['nexmark.in.flight.auctions', 'inFlightAuctions'],
  ['nexmark.out.of.order.group.size', 'outOfOrderGroupSize'],
  ['nexmark.avg.person.byte.size', 'avgPersonByteSize'],
  ['nexmark.avg.auction.byte.size', 'avgAuctionByteSize'],
  ['nexmark.avg.bid.byte.size', 'avgBidByteSize'],
  ['nexmark.hot.seller.ratio', 'hotSellerRatio'],
  ['nexmark.hot.auction.ratio', 'hotAuctionRatio'],
  ['nexmark.hot.bidder.ratio', 'hotBidderRatio'],
  ['nexmark.hot.channel.ratio', 'hotChannelRatio'],
  ['nexmark.hot.seller.ratio.2', 'hotSellerRatio2'],
  ['nexmark.hot.auction.ratio.2', 'hotAuctionRatio2'],
  ['nexmark.hot.bidder.ratio.2', 'hotBidderRatio2'],
  ['nexmark.first.event.id', 'firstEventId'],
  ['nexmark.first.event.number', 'firstEventNumber'],
  ['nexmark.base.time', 'baseTime'],
  ['nexmark.num.categories', 'numCategories'],
  ['nexmark.auction.id.lead', 'auctionIdLead'],
  ['nexmark.person.proportion', 'personProportion'],
  ['nexmark.auction.proportion', 'auctionProportion'],
  ['nexmark.bid.proportion', 'bidProportion'],
  ['nexmark.first.auction.id', 'firstAuctionId'],
  ['nexmark.first.person.id', 'firstPersonId'],
  ['nexmark.first.category.id', 'firstCategoryId'],
  ['nexmark.person.id.lead', 'personIdLead'],
  ['nexmark.threads', 'numEventGenerators'],
  ['nexmark.first.event.rate', 'firstRate'],
  ['nexmark.us.per.unit', 'usPerUnit'],
];

const LIST_OPTIONS: [string, keyof NexmarkConfig][] = [
  ['nexmark.us.states', 'usStates'],
  ['nexmark.us.cities', 'usCities'],
  ['nexmark.first.names', 'firstNames'],
  ['nexmark.last.names', 'lastNames'],
];

/** Options accepted and ignored (rate shapes: see the file comment). */
const IGNORED = ['nexmark.rate.shape', 'nexmark.rate.period', 'nexmark.next.event.rate', 'nexmark.events.per.sec', 'nexmark.sine.approx.steps'];

/** Every `nexmark.*` option name this connector knows. */
export const NEXMARK_OPTION_NAMES: ReadonlySet<string> = new Set([
  'nexmark.split.num',
  'nexmark.event.num',
  'nexmark.table.type',
  'nexmark.max.chunk.size',
  'nexmark.use.real.time',
  'nexmark.min.event.gap.in.ns',
  ...INT_OPTIONS.map(([k]) => k),
  ...LIST_OPTIONS.map(([k]) => k),
  ...IGNORED,
]);

const TABLE_TYPES: Record<string, NexmarkEventType> = { person: 'person', auction: 'auction', bid: 'bid' };

/**
 * Parses the WITH options (unknown `nexmark.*` keys are rejected by the caller). `now` is the
 * base time of the combined source when `nexmark.base.time` is not given (RisingWave's
 * default: wall clock at reader start).
 */
export function parseNexmarkProperties(options: Readonly<Record<string, string>>, now: number): NexmarkProperties {
  const r = new OptionReader(options, 'nexmark');
  const typeText = r.string('nexmark.table.type');
  let tableType: NexmarkEventType | null = null;
  if (typeText !== undefined) {
    tableType = TABLE_TYPES[typeText.toLowerCase()] ?? null;
    if (!tableType) {
      throw new SqlError(SqlState.InvalidParameterValue, `Invalid nexmark.table.type: ${typeText}`, { hint: 'Use Person, Auction or Bid.' });
    }
  }
  const config = defaultNexmarkConfig(tableType ? NEXMARK_TABLE_BASE_TIME : now);
  for (const [key, field] of INT_OPTIONS) {
    const v = r.nonNegativeInt(key);
    if (v !== undefined) (config[field] as number) = v;
  }
  for (const [key, field] of LIST_OPTIONS) {
    const v = r.string(key);
    if (v !== undefined) (config[field] as string[]) = v.split(',');
  }
  for (const [key, field] of [
    ['nexmark.person.proportion', 'personProportion'],
    ['nexmark.auction.proportion', 'auctionProportion'],
    ['nexmark.bid.proportion', 'bidProportion'],
    ['nexmark.hot.seller.ratio', 'hotSellerRatio'],
    ['nexmark.hot.auction.ratio', 'hotAuctionRatio'],
    ['nexmark.hot.bidder.ratio', 'hotBidderRatio'],
    ['nexmark.hot.channel.ratio', 'hotChannelRatio'],
    ['nexmark.out.of.order.group.size', 'outOfOrderGroupSize'],
    ['nexmark.first.event.rate', 'firstRate'],
    ['nexmark.threads', 'numEventGenerators'],
  ] as const) {
    if (config[field] <= 0) throw new SqlError(SqlState.InvalidParameterValue, `${key} must be positive`);
  }
  const splitNum = r.nonNegativeInt('nexmark.split.num') ?? 1;
  if (splitNum < 1) throw new SqlError(SqlState.InvalidParameterValue, 'nexmark.split.num must be at least 1');
  const maxChunkSize = r.nonNegativeInt('nexmark.max.chunk.size') ?? 1024;
  if (maxChunkSize < 1) throw new SqlError(SqlState.InvalidParameterValue, 'nexmark.max.chunk.size must be at least 1');
  return {
    splitNum,
    eventNum: r.nonNegativeInt('nexmark.event.num') ?? Infinity,
    tableType,
    maxChunkSize,
    useRealTime: r.bool('nexmark.use.real.time') ?? false,
    minEventGapInNs: r.nonNegativeInt('nexmark.min.event.gap.in.ns') ?? 100_000,
    config,
  };
}
