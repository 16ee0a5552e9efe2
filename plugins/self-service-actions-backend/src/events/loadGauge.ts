import { performance } from 'node:perf_hooks';

/** How long one reading of the event loop's utilisation stands. */
const READING_MS = 250;

/**
 * How busy this process's event loop has been lately (0 to 1), read at most every 250 ms.
 * Lifecycle events are background work: while requests keep the loop busy, the deliverers go
 * slower (see EventDeliverer), so runs and reports never pay for them.
 */
export class LoadGauge {
  private last = performance.eventLoopUtilization();
  private lastAt = Date.now();
  private value = 0;

  utilization(): number {
    const now = Date.now();
    if (now - this.lastAt >= READING_MS) {
      const current = performance.eventLoopUtilization();
      this.value = performance.eventLoopUtilization(current, this.last).utilization;
      this.last = current;
      this.lastAt = now;
    }
    return this.value;
  }
}
