// How every benchmark here measures: wall time, and the peak resident memory sampled every 20 ms.

/** Starts the clock and the memory sampling; `summary()` is "X.XX s, peak RSS N MiB" since the start or the last restart(). */
export function startMeasure() {
  let peak = 0;
  let t0 = performance.now();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const seconds = () => ((performance.now() - t0) / 1000).toFixed(2);
  const peakMiB = () => (peak / 2 ** 20).toFixed(0);
  return {
    seconds,
    peakMiB,
    summary: () => `${seconds()} s, peak RSS ${peakMiB()} MiB`,
    restart() {
      peak = 0;
      t0 = performance.now();
    },
    /** Ends the sampling, so the process can exit. */
    stop() {
      clearInterval(timer);
    },
  };
}
