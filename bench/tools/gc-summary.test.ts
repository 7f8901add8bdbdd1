import { describe, expect, it } from 'vitest';
import { formatGc, parseNvpLine, summarizeGc } from './gc-summary';

// Lines as node 20's --trace-gc-nvp prints them, most name=value pairs left out.
const SCAVENGE = (atMs: number, pause: number, promoted: number, pid = 14683) =>
  `[${pid}:0x146b09b0]    ${atMs} ms: pause=${pause} mutator=50.6 gc=s reduce_memory=0 scavenge=7.08 incremental.steps_count=0 total_size_before=19416552 promoted=${promoted} new_space_survived=3058392 promotion_ratio=28.3%`;
const MARK_COMPACT = (atMs: number, pause: number, incremental: number, bg: number) =>
  `[14683:0x146b09b0]    ${atMs} ms: pause=${pause} mutator=166.8 gc=mc reduce_memory=0 evacuate=8.6 mark=0.4 incremental=${incremental} incremental.finalize=0.0 incremental_steps_count=112 background.mark=${bg} background.sweep=6.2 promoted=16296168`;

describe('parseNvpLine', () => {
  it('reads the kind, the pause, the marking steps and the helper threads\' marking', () => {
    expect(parseNvpLine(MARK_COMPACT(8501, 17.9, 6.1, 62.7))).toEqual({
      pid: 14683,
      atMs: 8501,
      kind: 'mc',
      pauseMs: 17.9,
      // Not incremental.finalize's, nor incremental_steps_count's.
      incrementalMs: 6.1,
      backgroundMarkMs: 62.7,
      promotedBytes: 16296168,
    });
    expect(parseNvpLine(SCAVENGE(179, 17.8, 3361880))).toMatchObject({ kind: 's', pauseMs: 17.8, incrementalMs: 0, promotedBytes: 3361880 });
  });

  it('skips any other line', () => {
    expect(parseNvpLine('freshet: listening on 127.0.0.1:4566')).toBeNull();
    expect(parseNvpLine('[14683:0x146b09b0]      179 ms: Scavenge 18.5 (19.3) -> 13.7 (20.3) MB, 17.8 / 0.0 ms')).toBeNull();
  });
});

describe('summarizeGc', () => {
  const lines = [
    'server started',
    SCAVENGE(1000, 10, 1_000_000),
    SCAVENGE(2000, 30, 2_000_000),
    MARK_COMPACT(2500, 20, 200, 900),
    SCAVENGE(3000, 20, 3_000_000),
    MARK_COMPACT(4000, 40, 100, 500),
    SCAVENGE(500, 99, 0, 777),
  ];
  const events = lines.map(parseNvpLine).filter((e) => e !== null);

  it('adds up each process\'s pauses and marking steps, and finds the worst collection', () => {
    const [p, other] = summarizeGc(events);
    expect(p.pid).toBe(14683);
    expect(p.scavenges).toEqual({ count: 3, pauseMs: 60, p50Ms: 20, p99Ms: 30, maxMs: 30, promotedBytes: 6_000_000 });
    // The first collection's 200 ms of steps and 20 ms pause outweigh the second's 100 + 40.
    expect(p.markCompacts).toEqual({ count: 2, pauseMs: 60, maxPauseMs: 40, incrementalMs: 300, maxStallMs: 220, backgroundMarkMs: 1400 });
    expect(p.mainThreadMs).toBe(60 + 60 + 300);
    expect([p.fromMs, p.toMs]).toEqual([1000, 4000]);
    expect(other).toMatchObject({ pid: 777, mainThreadMs: 99 });
  });

  it('keeps only the collections in the window', () => {
    const [p] = summarizeGc(events, 1500, 3500);
    expect(p.scavenges.count).toBe(2);
    expect(p.markCompacts.count).toBe(1);
    expect(p.mainThreadMs).toBe(30 + 20 + 20 + 200);
    expect(formatGc(p)).toContain('main thread in GC: 270 ms (27.0% of the time)');
  });
});
