// Peak memory of the platform's processes: VmHWM (the kernel's own peak RSS) read every 100 ms, and VmRSS
// sampled at the same time as a backup and to get the peak of the platform's summed RSS.
import { readMemory } from './proc.mjs';

export class MemorySampler {
  constructor(platform, everyMs = 100) {
    this.platform = platform;
    this.everyMs = everyMs;
    this.perPid = new Map(); // pid -> { kind, hwmKb, rssMaxKb }
    this.peakSumRssKb = 0;
    this.samples = 0;
    this.timer = null;
  }

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  sample() {
    let sum = 0;
    for (const { pid, kind } of this.platform.pids()) {
      const m = readMemory(pid);
      if (!m) continue;
      const e = this.perPid.get(pid) ?? { kind, hwmKb: 0, rssMaxKb: 0 };
      e.hwmKb = Math.max(e.hwmKb, m.hwmKb);
      e.rssMaxKb = Math.max(e.rssMaxKb, m.rssKb);
      this.perPid.set(pid, e);
      sum += m.rssKb;
    }
    this.samples++;
    this.peakSumRssKb = Math.max(this.peakSumRssKb, sum);
  }

  stop() {
    clearInterval(this.timer);
    this.sample();
    return this.result();
  }

  /** Per kind: the largest process's VmHWM and sampled VmRSS max, process count; plus platform sums. */
  result() {
    const kinds = {};
    let sumHwmKb = 0;
    for (const [pid, e] of this.perPid) {
      kinds[e.kind] ??= { processes: 0, hwmKb: 0, rssMaxKb: 0, hwmByPid: {} };
      const k = kinds[e.kind];
      k.processes++;
      k.hwmKb = Math.max(k.hwmKb, e.hwmKb);
      k.rssMaxKb = Math.max(k.rssMaxKb, e.rssMaxKb);
      k.hwmByPid[pid] = e.hwmKb;
      sumHwmKb += e.hwmKb;
    }
    return { kinds, peakSumRssKb: this.peakSumRssKb, sumHwmKb, samples: this.samples };
  }
}
