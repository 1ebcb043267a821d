import type { Logger } from '@batchcast/log';

/** One thing to stop at shutdown: a server, a pool, a queue worker, a child process. */
interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/**
 * Every resource a process opens registers how to close it here, right after opening it. Shutdown runs the
 * steps in reverse order (last opened, first closed: stop taking work before closing the pool that work
 * needs), one at a time, and a step that fails is logged without stopping the others.
 */
export class ShutdownRegistry {
  private readonly steps: ShutdownStep[] = [];

  add(name: string, run: () => Promise<unknown> | unknown): void {
    this.steps.push({ name, run });
  }

  async runAll(log: Logger): Promise<void> {
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
      } catch (err) {
        log.warn({ step: step.name, err: (err as Error).message }, 'shutdown step failed');
      }
    }
    this.steps.length = 0;
  }
}
