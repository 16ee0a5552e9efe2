import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { isFinalStatus, Run } from '@internal/plugin-self-service-actions-common';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';

/** How often a run that is not final is refreshed. */
export const LIVE_REFRESH_MS = 2000;

/**
 * A run, refreshed until it is final. Refreshing stops for good once the run is final and
 * pauses while the tab is hidden, so many open tabs do not flood the backend.
 */
export function useLiveRun(runId: string, intervalMs = LIVE_REFRESH_MS) {
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

  return { run, error, setRun };
}
