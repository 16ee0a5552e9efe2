import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import { normalizePrincipalRef } from './access/principalRefs';
import { readSigningSecrets } from './invokers/webhook/signingSecrets';

/** Settings of the Webhook invoker that apply to every action. */
export interface WebhookSettings {
  /** How long the immediate answer is awaited, unless the action says otherwise. */
  timeoutMs: number;
  /** Standard Webhooks signing secrets (an action's own replace them); empty: unsigned. */
  signingSecrets: string[];
  /** Host patterns webhooks may go to; undefined: any. */
  allowedHosts?: string[];
  /** Largest immediate answer read, in bytes. */
  maxResponseBytes: number;
}

/** Limits and durations of a run's life after it is created. */
export interface RunSettings {
  /** How long a report token stays valid while its run is in progress. */
  tokenTtlMs: number;
  /** How long a run may stay pending approval. */
  maxPendingApprovalMs: number;
  maxLogLinesPerStep: number;
  maxSteps: number;
  maxLogLineLength: number;
  /** Links a run keeps; later new ones are dropped. */
  maxLinksPerRun: number;
  /** Bytes (UTF-8) of log lines a run keeps, all steps together; the oldest go first. */
  maxLogBytesPerRun: number;
}

/** Every setting of `selfServiceActions` but the actions themselves, read once at start-up. */
export interface SelfServiceActionsConfig {
  /** Normalised user and group refs. */
  admins: string[];
  defaultVisibility: 'public' | 'private';
  webhook: WebhookSettings;
  runs: RunSettings;
  /** Largest accepted request body (reports and API calls), in bytes. */
  maxBodyBytes: number;
  sweepFrequencyMs: number;
  /** How long a sweep may run; an instance that dies sweeping holds the sweep back this long. */
  sweepTimeoutMs: number;
  /** How long a caller's read of an entity from the catalog is reused; 0: never. */
  entityCacheTtlMs: number;
  dispatch: {
    /** Added to an invocation's timeout to make the lease of its dispatch. */
    leaseMarginMs: number;
    /** How often runs whose lease ran out are looked for. */
    frequencyMs: number;
  };  /** Bounds of in-memory queues: beyond them work is refused (503) or dropped, not held. */
  limits: {
    /** PostgreSQL: requests waiting for a batched statement, per kind (reads, writes, new runs). */
    maxQueuedDatabaseRequests: number;
    /** Run changes gathered for signals; later ones are dropped. */
    maxQueuedRunChanges: number;
  };
}

/** Reads a duration (`HumanDuration` or a string such as `5s`) in milliseconds, if set. */
export function readOptionalDurationMs(config: Config | undefined, key: string): number | undefined {
  if (!config?.has(key)) {
    return undefined;
  }
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
}

function readDurationMs(config: Config | undefined, key: string, fallback: HumanDuration): number {
  return readOptionalDurationMs(config, key) ?? durationToMilliseconds(fallback);
}

/** Reads `selfServiceActions`; throws naming the setting when one is invalid. */
export function readSelfServiceActionsConfig(config: Config): SelfServiceActionsConfig {
  const root = config.getOptionalConfig('selfServiceActions');
  const positive = (key: string, fallback: number) => {
    const value = root?.getOptionalNumber(key) ?? fallback;
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`selfServiceActions.${key} must be a positive integer`);
    }
    return value;
  };
  const admins = (root?.getOptionalStringArray('admins') ?? []).map(ref => {
    try {
      return normalizePrincipalRef(ref);
    } catch (error) {
      throw new Error(`selfServiceActions.admins: ${(error as Error).message}`);
    }
  });
  const defaultVisibility = root?.getOptionalString('defaultVisibility') ?? 'public';
  if (defaultVisibility !== 'public' && defaultVisibility !== 'private') {
    throw new Error('selfServiceActions.defaultVisibility must be public or private');
  }
  return {
    admins,
    defaultVisibility,
    webhook: {
      timeoutMs: readDurationMs(root, 'webhook.timeout', { seconds: 10 }),
      signingSecrets: readSigningSecrets(root?.getOptional('webhook.signingSecret'), problem => {
        throw new Error(`selfServiceActions.webhook.signingSecret ${problem}`);
      }),
      allowedHosts: root?.getOptionalStringArray('webhook.allowedHosts'),
      maxResponseBytes: positive('webhook.maxResponseBytes', 1024 * 1024),
    },
    runs: {
      tokenTtlMs: readDurationMs(root, 'reportToken.ttl', { days: 1 }),
      maxPendingApprovalMs: readDurationMs(root, 'reportToken.maxPendingApproval', { days: 30 }),
      maxLogLinesPerStep: positive('report.maxLogLinesPerStep', 1000),
      maxSteps: positive('report.maxSteps', 100),
      maxLogLineLength: positive('report.maxLogLineLength', 10_000),
      maxLinksPerRun: positive('report.maxLinksPerRun', 50),
      maxLogBytesPerRun: positive('report.maxLogBytesPerRun', 5 * 1024 * 1024),
    },
    maxBodyBytes: positive('report.maxBodyBytes', 1024 * 1024),
    sweepFrequencyMs: readDurationMs(root, 'sweepFrequency', { minutes: 1 }),
    sweepTimeoutMs: readDurationMs(root, 'sweepTimeout', { minutes: 5 }),
    entityCacheTtlMs: readDurationMs(root, 'entityCacheTtl', { seconds: 5 }),
    dispatch: {
      leaseMarginMs: readDurationMs(root, 'dispatch.leaseMargin', { seconds: 30 }),
      frequencyMs: readDurationMs(root, 'dispatch.frequency', { seconds: 10 }),
    },
    limits: {
      maxQueuedDatabaseRequests: positive('limits.maxQueuedDatabaseRequests', 1000),
      maxQueuedRunChanges: positive('limits.maxQueuedRunChanges', 10_000),
    },
  };
}
