import { RunMessageRecord } from '../database/RunStore';

/** How many of a run's messages are kept: enough to tell its story, bounded per run. */
export const MESSAGE_HISTORY_LENGTH = 20;

/**
 * The history after a report's message: a new message is added with the time it arrived (the
 * oldest dropped past the bound); a message repeated by the next report, or cleared (null), adds
 * nothing, so a reporter that sends its message with every step does not fill the history.
 */
export function withReportedMessage(
  history: RunMessageRecord[],
  message: string | null | undefined,
  now: Date,
): RunMessageRecord[] {
  if (!message || history[history.length - 1]?.text === message) {
    return history;
  }
  return [...history, { text: message, at: now }].slice(-MESSAGE_HISTORY_LENGTH);
}
