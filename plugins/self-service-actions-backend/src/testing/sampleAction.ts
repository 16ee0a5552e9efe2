import { ConfigReader } from '@backstage/config';
import { ActionDefinition } from '../actions/types';
import { readActions } from '../actions/readActions';
import { createAjv } from '../actions/inputValidation';
import { readSelfServiceActionsConfig } from '../config';
import { RunRecord } from '../database/RunStore';
import { InvokerRegistry } from '../invokers/InvokerRegistry';
import { WebhookInvoker } from '../invokers/webhook/WebhookInvoker';
import { GitHubWorkflowInvoker } from '../invokers/github/GitHubWorkflowInvoker';
import { GitLabPipelineInvoker } from '../invokers/gitlab/GitLabPipelineInvoker';

/** The sample action of the unit tests, as written in app-config. */
export const sampleActionConfig = {
  id: 'restart-service',
  name: 'Restart service',
  type: 'Day2',
  icon: 'restart',
  status: 'Active',
  owner: 'group:default/platform',
  method: { type: 'Webhook', url: 'https://hooks.example.com/restart' },
};

/**
 * An action as written in app-config that any signed-in user may run, for tests that care
 * only about its inputs and method.
 */
export function anyoneMayRun(id: string, fields: { userInputs?: object; method: object }) {
  return {
    id,
    name: id,
    type: 'Day2',
    icon: 'restart',
    status: 'Active',
    owner: 'group:default/platform',
    allowedPeople: ['*'],
    ...fields,
  };
}

/**
 * Reads `selfServiceActions` (the actions and the settings they depend on) as the plugin does
 * at start-up, with Backstage's `integrations` (GitHub and GitLab credentials) when given;
 * throws as start-up would.
 */
export function readConfiguredActions(
  selfServiceActions: object,
  integrations?: object,
): ActionDefinition[] {
  const config = new ConfigReader({ selfServiceActions, ...(integrations ? { integrations } : {}) } as any);
  const settings = readSelfServiceActionsConfig(config);
  const invokers = new InvokerRegistry();
  invokers.addInvoker(new WebhookInvoker(settings.webhook));
  invokers.addInvoker(GitHubWorkflowInvoker.fromConfig(config));
  invokers.addInvoker(GitLabPipelineInvoker.fromConfig(config));
  return readActions(config, {
    ajv: createAjv(),
    invokers,
    defaultVisibility: settings.defaultVisibility,
    defaultApprovalExpiryMs: settings.runs.maxPendingApprovalMs,
  });
}

/** The sample action as read, with overrides. */
export function sampleAction(overrides: Partial<ActionDefinition> = {}): ActionDefinition {
  const [action] = readConfiguredActions({ actions: [sampleActionConfig] });
  return { ...action, ...overrides };
}

/** A new run of the sample action, as stored before its webhook is sent, with overrides. */
export function sampleRun(overrides: Partial<RunRecord> = {}): Omit<RunRecord, 'steps'> {
  const now = new Date();
  const { method, ...definition } = sampleActionConfig;
  return {
    id: crypto.randomUUID(),
    actionId: definition.id,
    actionName: definition.name,
    actionType: 'Day2',
    actionSnapshot: {
      ...definition,
      type: 'Day2',
      status: 'Active',
      visibility: 'public',
      userInputs: { type: 'object' },
      method: { type: method.type },
      source: 'config',
      version: 1,
    },
    entityRef: 'component:default/payments',
    initiatedBy: 'user:default/jane',
    status: 'inprogress',
    message: null,
    messages: [],
    error: null,
    errorDetail: null,
    inputs: { reason: 'stuck' },
    links: [],
    rerunOf: null,
    startedAt: now,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + 60_000),
    lastReportAt: null,
    dispatchStatus: 'pending',
    dispatchLeaseUntil: new Date(now.getTime() + 30_000),
    dispatchAttempts: 1,
    hasSecretInputs: false,
    approval: null,
    initiatedVia: 'api',
    test: false,
    ...overrides,
  };
}
