import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { useSignal } from '@backstage/plugin-signals-react';
import {
  isFinalStatus,
  Run,
  RUN_SIGNAL_CHANNEL,
  RunChangedSignal,
} from '@internal/plugin-self-service-actions-common';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';

/** How often a run that is not final is refreshed when signals are not installed. */
export const LIVE_REFRESH_MS = 2000;

/** With signals, a slower safety poll in case a signal was missed (e.g. while reconnecting). */
export const SIGNALS_SAFETY_REFRESH_MS = 10_000;

/**
 * A run, kept current until it is final: refreshed when the backend signals a change of it
 * (Backstage signals), else polled every {@link LIVE_REFRESH_MS}. Refreshing stops for good
 * once the run is final and pauses while the tab is hidden, so many open tabs do not flood
 * the backend.
 */
export function useLiveRun(runId: string, pollMs = LIVE_REFRESH_MS) {
  const api = useApi(selfServiceActionsApiRef);
  const { lastSignal, isSignalsAvailable } = useSignal<RunChangedSignal>(RUN_SIGNAL_CHANNEL);
  const intervalMs = isSignalsAvailable ? SIGNALS_SAFETY_REFRESH_MS : pollMs;
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

  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      if (typeof document !== 'undefined' && document.hidden) {
        timer.current = setTimeout(tick, intervalMs);
        return;
      }
      const next = await load();
      if (!stopped && !(next && isFinalStatus(next.status))) {
        timer.current = setTimeout(tick, intervalMs);
      }
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer.current);
    };
  }, [load, intervalMs]);

  useEffect(() => {
    if (lastSignal?.runId === runId) {
      load();
    }
  }, [lastSignal, runId, load]);

  return { run, error, setRun };
}
