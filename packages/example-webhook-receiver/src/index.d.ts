import type { Server } from 'node:http';

/** The example receiver: its server (not yet listening) and the status of every report it sent. */
export function createReceiver(options?: {
  stepDelayMs?: number;
  log?: (message: string) => void;
  /** Verify Standard Webhooks signatures with this secret; refuse bad ones with 401. */
  signingSecret?: string;
}): {
  server: Server;
  reports: Array<{ runId: string; status: number }>;
  /** Run id of every webhook taken, repeats included. */
  deliveries: string[];
};
