import type { Server } from 'node:http';

/** The example receiver: its server (not yet listening) and the status of every report it sent. */
export function createReceiver(options?: {
  stepDelayMs?: number;
  log?: (message: string) => void;
  /** Verify Standard Webhooks signatures with this secret; refuse bad ones with 401. */
  signingSecret?: string;
  /**
   * Verify the lifecycle events on `POST /events` with this secret (`whsec_` + base64, or a raw
   * string used as its bytes). Default: the demo events secret of app-config.yaml.
   */
  eventsSecret?: string;
  /**
   * Awaited while each step is in progress, before it is reported done: a test that must see a
   * step running holds it until it has.
   */
  holdStep?: (runId: string, title: string) => Promise<void> | void;
}): {
  server: Server;
  reports: Array<{ runId: string; status: number }>;
  /** Run id of every webhook taken, repeats included. */
  deliveries: string[];
  /** Lifecycle events taken on `POST /events` (parsed bodies), oldest first, repeats left out. */
  events: Array<{ type: string; id: string; timestamp: string; data: any }>;
};

/** The demo's events secret: the default of `SSA_EVENTS_SECRET` here and in app-config.yaml. */
export const DEMO_EVENTS_SECRET: string;
