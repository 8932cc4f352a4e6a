/**
 * The soak test's arithmetic: the RSS trend of each process and the storage each certificate costs. The trend is
 * fitted to the floor of the curve — the smallest sample of each window — because a garbage-collected heap saws up
 * and down while a leak raises the floor; samples of the warm-up (JIT, caches, pools filling) are left out.
 */

export interface Sample {
  /** Seconds since the soak started. */
  readonly t: number;
  readonly rss: Record<string, number | null>;
  readonly storage: { postgres: number; temporal: number };
  readonly issued: number;
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
}

export interface RssTrend {
  readonly process: string;
  readonly meanMb: number;
  readonly firstMb: number;
  readonly lastMb: number;
  /** Slope of the floor, MB per hour: after the warm-up, and over its last half only. */
  readonly mbPerHour: number;
  readonly lastHalfMbPerHour: number;
  readonly growing: boolean;
}

/**
 * Per process: the floor's slope after the warm-up. Growing = more than `maxMbPerHour` AND more than
 * `maxSharePerHour` of the mean per hour (a small process's noise and a big one's are judged alike), over the whole
 * steady period AND over its last half: a leak grows all along, a cache or heap that fills up flattens out.
 */
export function rssTrends(samples: readonly Sample[], opts: { warmupSeconds: number; window: number; maxMbPerHour: number; maxSharePerHour: number }): RssTrend[] {
  const steady = samples.filter((s) => s.t >= opts.warmupSeconds);
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.rss)))];
  return names.map((name) => {
    const series = steady.map((s) => [s.t, s.rss[name]] as const).filter((p): p is readonly [number, number] => p[1] !== null && p[1] !== undefined);
    const floors: Array<[number, number]> = [];
    for (let i = 0; i < series.length; i += opts.window) {
      const w = series.slice(i, i + opts.window);
      const low = w.reduce((a, b) => (b[1] < a[1] ? b : a));
      floors.push([low[0], low[1]]);
    }
    const mb = (b: number) => b / 2 ** 20;
    const mean = series.length ? mb(series.reduce((s, p) => s + p[1], 0) / series.length) : 0;
    const mbPerHour = mb(slope(floors)) * 3600;
    const lastHalfMbPerHour = mb(slope(floors.slice(Math.floor(floors.length / 2)))) * 3600;
    const grows = (rate: number) => rate > opts.maxMbPerHour && rate > opts.maxSharePerHour * mean;
    return {
      process: name,
      meanMb: mean,
      firstMb: series.length ? mb(series[0]![1]) : 0,
      lastMb: series.length ? mb(series.at(-1)![1]) : 0,
      mbPerHour,
      lastHalfMbPerHour,
      growing: grows(mbPerHour) && grows(lastHalfMbPerHour),
    };
  });
}

/** Bytes each certificate added to PostgreSQL and to Temporal's store, from the first to the last sample. */
export function storagePerCertificate(samples: readonly Sample[]): { postgres: number; temporal: number; certificates: number } {
  const first = samples[0];
  const last = samples.at(-1);
  const certificates = first && last ? last.issued - first.issued : 0;
  if (!first || !last || certificates <= 0) return { postgres: 0, temporal: 0, certificates };
  return {
    postgres: (last.storage.postgres - first.storage.postgres) / certificates,
    temporal: (last.storage.temporal - first.storage.temporal) / certificates,
    certificates,
  };
}
