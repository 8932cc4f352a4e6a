/**
 * The soak test's judgement (scripts/lib/chaos/soak-stats.ts): a leak — RSS growing all along — fails; a heap or a
 * cache that fills up and flattens out, and a collected heap that saws up and down, do not.
 */
import { describe, expect, it } from 'vitest';
import { rssTrends, slope, storagePerCertificate, type Sample } from '../../scripts/lib/chaos/soak-stats';

const MB = 2 ** 20;
/** 61 samples, one every 30 s (30 minutes), of one process whose RSS in MB is `mb(minute)`. */
const series = (mb: (minute: number) => number): Sample[] =>
  Array.from({ length: 61 }, (_, i) => ({ t: i * 30, rss: { p: mb(i / 2) * MB }, storage: { postgres: 0, temporal: 0 }, issued: i }));
const judge = (samples: Sample[]) => rssTrends(samples, { warmupSeconds: 360, window: 4, maxMbPerHour: 10, maxSharePerHour: 0.05 })[0]!;

describe('RSS trend of a soak', () => {
  it('a least-squares slope', () => {
    expect(slope([[0, 1], [1, 3], [2, 5]])).toBe(2);
    expect(slope([[0, 7]])).toBe(0);
  });

  it('a leak of 40 MB/h on 150 MB grows', () => {
    const t = judge(series((m) => 150 + (40 * m) / 60));
    expect(t.mbPerHour).toBeCloseTo(40, 0);
    expect(t.growing).toBe(true);
  });

  it('a heap that fills up to a plateau does not', () => {
    expect(judge(series((m) => 200 + 40 * (1 - Math.exp(-m / 4)))).growing).toBe(false);
  });

  it('a collected heap sawing ±15 MB around a flat floor does not', () => {
    expect(judge(series((m) => 150 + ((m * 2) % 5) * 6)).growing).toBe(false);
  });

  it('storage per certificate is the growth over the certificates issued', () => {
    const s = (t: number, issued: number, pg: number): Sample => ({ t, rss: {}, storage: { postgres: pg, temporal: 2 * pg }, issued });
    expect(storagePerCertificate([s(0, 10, 1000), s(60, 20, 51_000)])).toEqual({ postgres: 5000, temporal: 10_000, certificates: 10 });
  });
});
