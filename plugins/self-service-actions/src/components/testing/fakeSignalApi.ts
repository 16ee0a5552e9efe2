import { SignalApi } from '@backstage/plugin-signals-react';
import { RunChangedSignal } from '@self-service-actions/plugin-self-service-actions-common';

/** A signals API whose messages the test sends itself, to every subscriber. */
export function fakeSignalApi() {
  const subscribers: Array<(message: RunChangedSignal) => void> = [];
  const api = {
    subscribe: (_channel: string, onMessage: (message: any) => void) => {
      subscribers.push(onMessage);
      return { unsubscribe: () => {} };
    },
  } as SignalApi;
  return {
    api,
    send: (message: RunChangedSignal) => subscribers.forEach(subscriber => subscriber(message)),
  };
}
