import { ActionListItem, EventDelivery, JsonObject, Run } from '@self-service-actions/plugin-self-service-actions-common';
import { SelfServiceActionsApi } from '../../api/SelfServiceActionsApi';

/** A Restart action for the tests. */
export const restartAction: ActionListItem = {
  id: 'restart-service',
  name: 'Restart service',
  type: 'Day2',
  icon: 'restart',
  status: 'Active',
  description: 'Rolling restart',
  owner: 'group:default/platform',
  visibility: 'public',
  appliesTo: ['Service'],
  userInputs: {
    type: 'object',
    required: ['reason'],
    properties: {
      reason: { type: 'string', title: 'Reason' },
      replicas: { type: 'integer', title: 'Replicas', minimum: 1, maximum: 20, default: 2 },
      apiKey: { type: 'string', title: 'API key', secret: true },
    },
  },
  method: { type: 'Webhook' },
  source: 'config',
  version: 1,
  canRun: true,
};

/** The saved definition of an owner-managed action for the tests (as GET /actions/:id/definition). */
export const managedDefinition: JsonObject = {
  id: 'rotate-keys',
  name: 'Rotate keys',
  type: 'Day2',
  icon: 'build',
  status: 'Draft',
  owner: 'group:default/team-a',
  appliesTo: ['Service'],
  allowedPeople: ['group:default/team-a'],
  userInputs: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', title: 'Reason' } } },
  approval: { approvers: ['group:default/platform'] },
  method: {
    type: 'Webhook',
    url: 'https://hooks.example.com/rotate',
    headers: { Authorization: 'Bearer {{ secrets.ROTATE_TOKEN }}' },
    queryParameters: { env: 'prod' },
  },
};

/** An owner-managed action as the API answers it, with overrides. */
export function managedAction(overrides: Partial<ActionListItem> = {}): ActionListItem {
  return {
    ...restartAction,
    id: 'rotate-keys',
    name: 'Rotate keys',
    status: 'Draft',
    source: 'api',
    version: 1,
    createdBy: 'user:default/jane',
    updatedAt: '2026-12-05T10:00:00.000Z',
    method: { type: 'Webhook', url: 'https://hooks.example.com/rotate' },
    ...overrides,
  };
}

/** A run for the tests. */
export function aRun(overrides: Partial<Run> = {}): Run {
  return {
    id: 'run-1',
    actionId: 'restart-service',
    actionName: 'Restart service',
    actionType: 'Day2',
    entityRef: 'component:default/payments',
    initiatedBy: 'user:default/jane',
    status: 'inprogress',
    message: null,
    messages: [],
    error: null,
    startedAt: '2026-05-10T15:35:42.714Z',
    completedAt: null,
    createdAt: '2026-05-10T15:35:42.714Z',
    updatedAt: '2026-05-10T15:35:42.714Z',
    inputs: { reason: 'stuck', replicas: 2 },
    steps: [],
    links: [],
    rerunOf: null,
    canCancel: true,
    canRerun: true,
    approval: null,
    initiatedVia: 'api',
    actionVersion: 1,
    test: false,
    ...overrides,
  };
}

/** A failed delivery of a run's success event for the tests. */
export function aDelivery(overrides: Partial<EventDelivery> = {}): EventDelivery {
  return {
    id: 'delivery-1',
    eventId: 'event-1',
    subscriberId: 'ops-hook',
    type: 'run.succeeded',
    runId: 'run-1',
    sequence: 3,
    status: 'failed',
    attempts: 8,
    createdAt: '2026-05-10T15:40:42.714Z',
    nextAttemptAt: null,
    lastAttemptAt: '2026-05-11T15:40:42.714Z',
    deliveredAt: null,
    responseStatus: 502,
    lastError: 'Bad gateway',
    ...overrides,
  };
}

/** A SelfServiceActionsApi whose methods are jest mocks with harmless defaults. */
export function fakeApi(overrides: Partial<SelfServiceActionsApi> = {}): jest.Mocked<SelfServiceActionsApi> {
  return {
    listActions: jest.fn(async () => [restartAction]),
    getAction: jest.fn(async () => restartAction),
    createRun: jest.fn(async () => aRun()),
    listRuns: jest.fn(async () => ({ items: [] })),
    getRun: jest.fn(async () => aRun()),
    rerun: jest.fn(async () => aRun({ id: 'run-2', rerunOf: 'run-1' })),
    cancelRun: jest.fn(async () => aRun({ status: 'terminated', canCancel: false })),
    approveRun: jest.fn(async () => aRun()),
    rejectRun: jest.fn(async () => aRun({ status: 'rejected', canCancel: false })),
    listEventDeliveries: jest.fn(async () => ({ items: [] })),
    previewRun: jest.fn(async () => ({
      request: { method: 'POST', url: 'https://hooks.example.com/restart', headers: { Authorization: '***' }, body: '{"inputs":{"reason":"stuck"}}' },
      signature: { headers: { 'webhook-id': 'preview-1', 'webhook-signature': 'v1,***' } },
    })),
    getCaller: jest.fn(async () => ({ userEntityRef: 'user:default/ada', admin: true, canCreateActions: true, allowedUrls: ['https://hooks.example.com/'] })),
    retryEventDelivery: jest.fn(async () => aDelivery({ status: 'pending', attempts: 0 })),
    createAction: jest.fn(async (definition: JsonObject) => managedAction({ ...definition } as any)),
    updateAction: jest.fn(async (_id: string, version: number, definition: JsonObject) =>
      managedAction({ ...(definition as any), version: version + 1 }),
    ),
    deleteAction: jest.fn(async () => undefined),
    getActionDefinition: jest.fn(async () => ({ id: 'rotate-keys', version: 3, definition: managedDefinition })),
    testRun: jest.fn(async () => aRun({ id: 'test-run-1', actionId: 'rotate-keys', test: true })),
    ...overrides,
  } as jest.Mocked<SelfServiceActionsApi>;
}
