import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  EventDelivery,
  EventDeliveryStatus,
} from '@self-service-actions/plugin-self-service-actions-common';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';

/** Whether an answer says the user is no admin (the routes answer 403 to everyone else). */
export function isForbidden(error: unknown): boolean {
  return error instanceof ResponseError && error.response.status === 403;
}

/** The deliveries loaded so far for one filter, and how loading them went. */
export interface EventDeliveriesState {
  /** Undefined until the first page of the current filter has answered. */
  items?: EventDelivery[];
  nextCursor?: string;
  loading: boolean;
  error?: unknown;
  /** The backend answered 403: the user is no admin. */
  forbidden: boolean;
  /** A page has answered once: the user is an admin (a new filter keeps the card shown). */
  answered: boolean;
  /** Every subscriber seen in any page so far, sorted (for the subscriber filter). */
  subscribers: string[];
  /** Sends the request that failed last again (the first page or the next one). */
  retry(): void;
  /** Appends the next page. */
  loadMore(): void;
  /** Puts a delivery as the backend answered it in place of the row with its id. */
  replace(delivery: EventDelivery): void;
}

/**
 * Event deliveries of one filter, newest first, loaded a page at a time and appended ("Load
 * more"). A change of filter starts from the first page; an answer to a request a newer one
 * has replaced (or after unmount) is dropped.
 */
export function useEventDeliveries(filter: {
  status?: EventDeliveryStatus;
  subscriberId?: string;
  pageSize: number;
}): EventDeliveriesState {
  const { status, subscriberId, pageSize } = filter;
  const api = useApi(selfServiceActionsApiRef);
  const [items, setItems] = useState<EventDelivery[]>();
  const [nextCursor, setNextCursor] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [forbidden, setForbidden] = useState(false);
  const [answered, setAnswered] = useState(false);
  const [subscribers, setSubscribers] = useState<string[]>([]);
  const latest = useRef(0);
  const lastCursor = useRef<string | undefined>(undefined);

  const load = useCallback(
    async (cursor?: string) => {
      const request = ++latest.current;
      lastCursor.current = cursor;
      setLoading(true);
      setError(undefined);
      if (!cursor) {
        setItems(undefined);
        setNextCursor(undefined);
      }
      try {
        const page = await api.listEventDeliveries({
          status,
          subscriberId: subscriberId || undefined,
          limit: pageSize,
          cursor,
        });
        if (request !== latest.current) return;
        setItems(previous => {
          if (!cursor || !previous) return page.items;
          const shown = new Set(previous.map(delivery => delivery.id));
          return [...previous, ...page.items.filter(delivery => !shown.has(delivery.id))];
        });
        setNextCursor(page.nextCursor);
        setAnswered(true);
        setSubscribers(known => {
          const all = new Set([...known, ...page.items.map(delivery => delivery.subscriberId)]);
          return all.size === known.length ? known : [...all].sort();
        });
      } catch (e) {
        if (request !== latest.current) return;
        if (isForbidden(e)) {
          setForbidden(true);
        } else {
          setError(e);
        }
      } finally {
        if (request === latest.current) setLoading(false);
      }
    },
    [api, status, subscriberId, pageSize],
  );

  useEffect(() => {
    load();
  }, [load]);
  // answers after unmount are dropped like those of replaced requests
  useEffect(
    () => () => {
      latest.current++;
    },
    [],
  );

  const replace = useCallback((delivery: EventDelivery) => {
    setItems(previous => previous?.map(row => (row.id === delivery.id ? delivery : row)));
  }, []);

  return {
    items,
    nextCursor,
    loading,
    error,
    forbidden,
    answered,
    subscribers,
    retry: () => load(lastCursor.current),
    loadMore: () => load(nextCursor),
    replace,
  };
}
