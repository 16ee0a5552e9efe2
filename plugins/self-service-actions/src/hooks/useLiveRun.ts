import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { isFinalStatus, Run } from '@self-service-actions/plugin-self-service-actions-common';
import { selfServiceActionsApiRef } from '../api/SelfServiceActionsApi';
import { useRunChangeSignals } from './useRunChangeSignals';

/** How often a run that is not final is refreshed when signals are not installed. */
export const LIVE_REFRESH_MS = 2000;

/** Once signals are heard, a slower safety poll in case one was missed (e.g. while reconnecting). */
export const SIGNALS_SAFETY_REFRESH_MS = 10_000;

/**
 * A run, kept current until it is final: refreshed when the backend signals a change of it
 * (Backstage signals), else polled every {@link LIVE_REFRESH_MS}. Refreshing stops for good
 * once the run is final and pauses while the tab is hidden, so many open tabs do not flood
 * the backend.
 *
 * The signals API being installed does not prove signals arrive: the backend may lack the
 * signals plugin, a proxy may refuse WebSockets, and Backstage's client connects to a freshly
 * started backend only on its second try, five seconds later. So the page polls until the first
 * signal on the channel (for any run) shows the connection works, then only refreshes on signals.
 */
export function useLiveRun(runId: string, pollMs = LIVE_REFRESH_MS) {
  const api = useApi(selfServiceActionsApiRef);
  const [run, setRun] = useState<Run>();
  const [error, setError] = useState<Error>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      const next = await api.getRun(runId);
      setRun(next);
      setError(undefined);
      return next;
    } catch (e) {
      setError(e as Error);
      return undefined;
    }
  }, [api, runId]);

  const signals = useRunChangeSignals(changed => {
    if (changed.some(change => change.runId === runId)) {
      load();
    }
  });
  // Read when the next refresh is planned, so that hearing signals does not restart polling.
  const intervalMs = useRef(pollMs);
  intervalMs.current = signals.heard ? SIGNALS_SAFETY_REFRESH_MS : pollMs;

  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      if (typeof document !== 'undefined' && document.hidden) {
        timer.current = setTimeout(tick, intervalMs.current);
        return;
      }
      const next = await load();
      if (!stopped && !(next && isFinalStatus(next.status))) {
        timer.current = setTimeout(tick, intervalMs.current);
      }
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer.current);
    };
  }, [load]);

  return { run, error, setRun };
}
