import type { Server } from 'node:http';

/** The example receiver: its server (not yet listening) and the status of every report it sent. */
export function createReceiver(options?: {
  stepDelayMs?: number;
  log?: (message: string) => void;
}): { server: Server; reports: Array<{ runId: string; status: number }> };
