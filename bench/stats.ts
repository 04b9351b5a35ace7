/** Small measuring tools for the benchmark: percentiles, CPU deltas and a peak-RSS sampler. */

/** The `q`-quantile (0..1) of `values` by nearest rank; 0 for an empty list. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** p50, p95 and max of `values`, rounded to 0.1. */
export function summarize(values: number[]): { p50: number; p95: number; max: number } {
  return { p50: round(percentile(values, 0.5)), p95: round(percentile(values, 0.95)), max: round(Math.max(0, ...values)) };
}

/** Rounds to `digits` decimals (default 1). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** CPU seconds (user + system) this process used since `start` (a `process.cpuUsage()` value). */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** Peaks of `process.memoryUsage()`, in bytes. */
export interface MemoryPeak {
  rss: number;
  heapUsed: number;
}

/** Samples `process.memoryUsage()` every `everyMs` (default 50) and keeps the peaks. */
export interface RssSampler {
  /** Stops sampling (after one last sample) and returns the peaks. */
  stop(): MemoryPeak;
}

/** Starts sampling RSS and heap use. */
export function sampleRss(everyMs = 50): RssSampler {
  const peak: MemoryPeak = { rss: 0, heapUsed: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    stop() {
      sample();
      clearInterval(timer);
      return { ...peak };
    },
  };
}

/** Bytes to MiB, rounded to 0.1. */
export function mb(bytes: number): number {
  return round(bytes / (1024 * 1024));
}
