import { LoggerService } from '@backstage/backend-plugin-api';
import { Counter, metrics } from '@opentelemetry/api';

/** The OpenTelemetry meter of the plugin (a no-op until the app installs an SDK). */
export const meter = metrics.getMeter('self-service-actions');

/**
 * Counts something that may happen thousands of times a second (a refused report, a shed
 * request, a dropped signal): every occurrence goes to an OpenTelemetry counter, and the log
 * gets at most one line per interval saying how many happened since the last line. A flood
 * then costs neither one log line nor one audit record per request.
 *
 * No timer: the line is written by the first occurrence after the interval, so a quiet
 * period logs nothing and nothing holds the process open; the counter has every occurrence.
 */
export class SampledCount {
  private pending = new Map<string, number>();
  private lastLogAt = -Infinity;

  constructor(
    private readonly options: {
      /** Without one, only the counter hears of them. */
      logger?: LoggerService;
      /** The line for `count` occurrences, by reason. */
      message: (count: number, byReason: string) => string;
      intervalMs: number;
      counter?: Counter;
      now?: () => number;
    },
  ) {}

  /** Counts one occurrence; logs if the interval since the last line has passed. */
  add(reason: string): void {
    this.options.counter?.add(1, { reason });
    this.pending.set(reason, (this.pending.get(reason) ?? 0) + 1);
    const now = (this.options.now ?? Date.now)();
    if (!this.options.logger || now - this.lastLogAt < this.options.intervalMs) {
      return;
    }
    this.lastLogAt = now;
    const entries = [...this.pending];
    this.pending = new Map();
    const count = entries.reduce((sum, [, n]) => sum + n, 0);
    const byReason = entries.map(([name, n]) => `${name}: ${n}`).join(', ');
    this.options.logger?.warn(this.options.message(count, byReason));
  }
}
