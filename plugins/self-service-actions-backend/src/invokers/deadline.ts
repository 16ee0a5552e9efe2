/** What `withinTime` gives when the time ran out first. */
export const TIME_RAN_OUT = Symbol('time ran out');

/**
 * The promise's value, or `TIME_RAN_OUT` after `ms` (the promise goes on unheeded). For a step
 * before a request whose own timeout cannot be set, such as fetching a GitHub App's token.
 */
export function withinTime<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIME_RAN_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIME_RAN_OUT>(resolve => {
    timer = setTimeout(() => resolve(TIME_RAN_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A duration as the run's reason gives it: `1.5 s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
