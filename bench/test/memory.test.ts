import { describe, expect, it } from 'vitest';
import { MemorySampler } from '../src/memory.js';
import { readMemory, readPssKb } from '../src/proc.js';

describe("the bench's memory sampler", () => {
  it("gives, beside the tree's summed RSS peak, its summed PSS at that peak: shared pages counted once, so no more", () => {
    const rss = readMemory(process.pid)!.rssKb;
    const pss = readPssKb(process.pid)!;
    expect(pss).toBeGreaterThan(0);
    expect(pss).toBeLessThanOrEqual(rss);
    expect(readPssKb(2 ** 22 + 1)).toBeNull(); // no such process

    // This process twice over: its RSS counted twice, as the summed RSS counts shared pages once per process.
    const m = new MemorySampler({
      pids: () => [
        { pid: process.pid, kind: 'a' },
        { pid: process.pid, kind: 'b' },
      ],
    })
      .start()
      .stop();
    expect(m.pssAtPeakKb).toBeGreaterThan(0);
    expect(m.pssAtPeakKb!).toBeLessThanOrEqual(m.peakSumRssKb);
  });
});
