import { formatDuration } from './formatDuration';

const start = '2026-05-10T15:00:00.000Z';
const after = (ms: number) => new Date(Date.parse(start) + ms).toISOString();

describe('formatDuration', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('is empty for a run that has not started', () => {
    expect(formatDuration(null, null)).toBe('');
    expect(formatDuration(null, after(5_000))).toBe('');
  });

  it('gives seconds under a minute, rounded', () => {
    expect(formatDuration(start, start)).toBe('0s');
    expect(formatDuration(start, after(5_000))).toBe('5s');
    expect(formatDuration(start, after(1_499))).toBe('1s');
    expect(formatDuration(start, after(59_000))).toBe('59s');
  });

  it('gives minutes and seconds under an hour', () => {
    expect(formatDuration(start, after(59_600))).toBe('1m 0s');
    expect(formatDuration(start, after(65_000))).toBe('1m 5s');
    expect(formatDuration(start, after(59 * 60_000 + 59_000))).toBe('59m 59s');
  });

  it('gives hours and minutes from an hour on, without seconds', () => {
    expect(formatDuration(start, after(3_600_000))).toBe('1h 0m');
    expect(formatDuration(start, after(3 * 3_600_000 + 2 * 60_000 + 30_000))).toBe('3h 2m');
    expect(formatDuration(start, after(26 * 3_600_000))).toBe('26h 0m');
  });

  it('measures a running run up to now', () => {
    jest.useFakeTimers({ now: Date.parse(after(90_000)) });
    expect(formatDuration(start, null)).toBe('1m 30s');
    jest.setSystemTime(Date.parse(after(2 * 3_600_000 + 5 * 60_000)));
    expect(formatDuration(start, null)).toBe('2h 5m');
  });

  it('never goes negative when the end is before the start (clock skew)', () => {
    expect(formatDuration(after(10_000), start)).toBe('0s');
  });
});
