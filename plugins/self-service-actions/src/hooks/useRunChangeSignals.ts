import { useEffect, useRef, useState } from 'react';
import { useApiHolder } from '@backstage/core-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { RUN_SIGNAL_CHANNEL, RunChangedSignal } from '@self-service-actions/plugin-self-service-actions-common';

/**
 * Calls `onRunsChanged` with the runs named by each run change signal (Backstage signals).
 * `available` says whether the signals API is installed; `heard` whether a signal has arrived
 * yet, which is what proves that the connection works.
 *
 * Subscribed directly rather than through `useSignal`, which keeps only the last message: two
 * signals arriving together (one per audience the user is in) must not hide one another.
 */
export function useRunChangeSignals(onRunsChanged: (runs: RunChangedSignal['runs']) => void) {
  const signals = useApiHolder().get(signalApiRef);
  const [heard, setHeard] = useState(false);
  const handler = useRef(onRunsChanged);
  handler.current = onRunsChanged;

  useEffect(() => {
    if (!signals) return undefined;
    const { unsubscribe } = signals.subscribe<RunChangedSignal>(RUN_SIGNAL_CHANNEL, message => {
      setHeard(true);
      handler.current(message.runs ?? []);
    });
    return unsubscribe;
  }, [signals]);

  return { available: Boolean(signals), heard };
}
