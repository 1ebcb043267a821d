// Peak memory of a process tree: VmHWM (the kernel's own peak RSS) read every 100 ms, and VmRSS sampled at
// the same time as a backup and to get the peak of the tree's summed RSS; at each new peak of that sum, the
// processes' PSS too (read only then: smaps_rollup walks a process's page tables, too dear for every sample
// while the run it measures is timed).
import { readMemory, readPssKb } from './proc.js';

/** Something that lists the processes to watch, each with its kind. */
export interface ProcessTree {
  pids(): { pid: number; kind: string }[];
}

export interface KindMemory {
  processes: number;
  hwmKb: number;
  rssMaxKb: number;
  hwmByPid: Record<number, number>;
}

export interface MemoryResult {
  kinds: Record<string, KindMemory>;
  /** The peak of the summed VmRSS of every process of the tree (the figure of the memory target). */
  peakSumRssKb: number;
  /** Sum of each process's own peak: an upper bound (the peaks need not coincide). */
  sumHwmKb: number;
  /**
   * The summed PSS of the tree's processes at the sample where their summed RSS peaked: each page shared between
   * processes counted once, split between them (the node binary's and libraries' pages are in every Node.js
   * process's RSS; summed RSS counts them once per process). Null where /proc has no smaps_rollup.
   */
  pssAtPeakKb: number | null;
  samples: number;
}

export class MemorySampler {
  private readonly perPid = new Map<number, { kind: string; hwmKb: number; rssMaxKb: number }>();
  private peakSumRssKb = 0;
  private pssAtPeakKb: number | null = null;
  private samples = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly tree: ProcessTree,
    private readonly everyMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  private sample(): void {
    let sum = 0;
    const pids = this.tree.pids();
    for (const { pid, kind } of pids) {
      const m = readMemory(pid);
      if (!m) continue;
      const e = this.perPid.get(pid) ?? { kind, hwmKb: 0, rssMaxKb: 0 };
      e.hwmKb = Math.max(e.hwmKb, m.hwmKb);
      e.rssMaxKb = Math.max(e.rssMaxKb, m.rssKb);
      this.perPid.set(pid, e);
      sum += m.rssKb;
    }
    this.samples++;
    if (sum > this.peakSumRssKb) {
      this.peakSumRssKb = sum;
      const pss = pids.map(({ pid }) => readPssKb(pid));
      this.pssAtPeakKb = pss.every((kb) => kb !== null) ? pss.reduce<number>((a, kb) => a + kb!, 0) : null;
    }
  }

  stop(): MemoryResult {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this.result();
  }

  /** So far (sampling goes on): per kind, the largest process's VmHWM and sampled VmRSS max, process count; the tree's sums. */
  result(): MemoryResult {
    const kinds: Record<string, KindMemory> = {};
    let sumHwmKb = 0;
    for (const [pid, e] of this.perPid) {
      const k = kinds[e.kind] ?? { processes: 0, hwmKb: 0, rssMaxKb: 0, hwmByPid: {} };
      kinds[e.kind] = k;
      k.processes++;
      k.hwmKb = Math.max(k.hwmKb, e.hwmKb);
      k.rssMaxKb = Math.max(k.rssMaxKb, e.rssMaxKb);
      k.hwmByPid[pid] = e.hwmKb;
      sumHwmKb += e.hwmKb;
    }
    return { kinds, peakSumRssKb: this.peakSumRssKb, sumHwmKb, pssAtPeakKb: this.pssAtPeakKb, samples: this.samples };
  }
}
