import { Config } from '@backstage/config';
import { EVENT_TYPES, EventType } from '@self-service-actions/plugin-self-service-actions-common';
import { readOptionalDurationMs } from '../config';

/** A webhook subscriber of lifecycle events (`selfServiceActions.events.subscribers[]`). */
export interface EventSubscriber {
  id: string;
  url: string;
  /** Standard Webhooks secret: `whsec_<base64>`, or any other string used as its bytes. */
  signingSecret: string;
  types?: EventType[];
  actions?: string[];
}

/** `selfServiceActions.events`, read and checked at start-up. */
export interface EventsSettings {
  subscribers: EventSubscriber[];
  /** Also publish on Backstage's events service (topic `self-service-actions`). */
  eventsService: boolean;
  /** How long one delivery waits for its answer. */
  timeoutMs: number;
  /** How long a delivery is retried before it is marked failed. */
  retryForMs: number;
  /** The first retry's delay; later ones double (to an hour), with jitter. */
  retryDelayMs: number;
  /** How often an instance looks for due deliveries it was not woken for (other instances' events, retries). */
  pollIntervalMs: number;
  /** Deliveries (and events) kept this long after they were delivered, or after they failed. */
  deliveredRetentionMs: number;
  failedRetentionMs: number;
}

/** The sink id of Backstage's events service: no subscriber may take it. */
export const EVENTS_SERVICE_SINK_ID = 'events-service';

const SUBSCRIBER_ID = /^[a-z0-9-]{1,64}$/;
/** A secret shorter than this is refused: Standard Webhooks recommends 24 bytes at least. */
const MIN_SECRET_BYTES = 24;

/** The bytes a signing secret stands for, base64 as standardwebhooks takes it. */
export function signingKey(secret: string): string {
  return secret.startsWith('whsec_') ? secret : Buffer.from(secret, 'utf8').toString('base64');
}

/** Reads `selfServiceActions.events`; throws naming the subscriber and field when invalid. */
export function readEventsSettings(config: Config): EventsSettings {
  const root = config.getOptionalConfig('selfServiceActions.events');
  const duration = (key: string, fallbackMs: number) => {
    const ms = readOptionalDurationMs(root, key) ?? fallbackMs;
    if (!(ms > 0)) {
      throw new Error(`selfServiceActions.events.${key} must be a positive duration`);
    }
    return ms;
  };
  const seen = new Set<string>();
  const subscribers = (root?.getOptionalConfigArray('subscribers') ?? []).map((entry, index) => {
    const id = entry.getOptionalString('id');
    const where = `selfServiceActions.events.subscribers[${index}]${id ? ` (${id})` : ''}`;
    const fail = (field: string, problem: string): never => {
      throw new Error(`${where}.${field} ${problem}`);
    };
    if (!id || !SUBSCRIBER_ID.test(id)) {
      fail('id', 'must be 1-64 characters of a-z, 0-9 and -');
    }
    if (id === EVENTS_SERVICE_SINK_ID) {
      fail('id', `must not be ${EVENTS_SERVICE_SINK_ID} (the events service's own; see eventsService)`);
    }
    if (seen.has(id!)) {
      fail('id', 'is used by another subscriber');
    }
    seen.add(id!);
    const url = entry.getOptionalString('url') ?? fail('url', 'is required');
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      fail('url', 'must be an absolute URL');
    }
    if (parsed!.protocol !== 'https:' && parsed!.protocol !== 'http:') {
      fail('url', 'must be http or https');
    }
    const signingSecret = entry.getOptionalString('signingSecret') ?? fail('signingSecret', 'is required');
    if (Buffer.from(signingSecret.startsWith('whsec_') ? signingSecret.slice(6) : signingSecret,
      signingSecret.startsWith('whsec_') ? 'base64' : 'utf8').length < MIN_SECRET_BYTES) {
      fail('signingSecret', `must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    const types = entry.getOptionalStringArray('types');
    const unknown = types?.find(type => !(EVENT_TYPES as readonly string[]).includes(type));
    if (unknown !== undefined) {
      fail('types', `has ${JSON.stringify(unknown)}, which is not one of ${EVENT_TYPES.join(', ')}`);
    }
    if (types?.length === 0) {
      fail('types', 'must not be empty (leave it out for every type)');
    }
    const actions = entry.getOptionalStringArray('actions');
    if (actions?.length === 0) {
      fail('actions', 'must not be empty (leave it out for every action)');
    }
    return { id: id!, url, signingSecret, types: types as EventType[] | undefined, actions };
  });
  return {
    subscribers,
    eventsService: root?.getOptionalBoolean('eventsService') ?? false,
    timeoutMs: duration('timeout', 30_000),
    retryForMs: duration('retryFor', 24 * 60 * 60 * 1000),
    retryDelayMs: duration('retryDelay', 5_000),
    pollIntervalMs: duration('pollInterval', 1000),
    deliveredRetentionMs: duration('deliveredRetention', 7 * 24 * 60 * 60 * 1000),
    failedRetentionMs: duration('failedRetention', 30 * 24 * 60 * 60 * 1000),
  };
}
