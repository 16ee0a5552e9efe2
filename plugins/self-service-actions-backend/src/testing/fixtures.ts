import { Entity } from '@backstage/catalog-model';
import { BackstageCredentials, BackstageUserInfo } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';

/** The people of the access tests and the groups they belong to. */
export const people = {
  admin: { ref: 'user:default/ada', groups: ['group:default/portal-admins'] },
  owner: { ref: 'user:default/olivia', groups: ['group:default/platform'] },
  allowed: { ref: 'user:default/jane', groups: ['group:default/team-a'] },
  entityOwner: { ref: 'user:default/ed', groups: ['group:default/payments-team'] },
  viewer: { ref: 'user:default/vic', groups: ['group:default/sre'] },
  stranger: { ref: 'user:default/sam', groups: [] as string[] },
};

export type Person = keyof typeof people;

/** The Authorization header a mocked httpAuth reads as this person. */
export function authHeader(person: Person): string {
  return mockCredentials.user.header(people[person].ref);
}

/** userInfo with each person's groups, as the catalog would give them. */
export async function getUserInfo(credentials: BackstageCredentials): Promise<BackstageUserInfo> {
  const principal = credentials.principal as { type: string; userEntityRef?: string };
  const person = Object.values(people).find(p => p.ref === principal.userEntityRef);
  if (!principal.userEntityRef) {
    throw new Error('not a user');
  }
  return {
    userEntityRef: principal.userEntityRef,
    ownershipEntityRefs: [principal.userEntityRef, ...(person?.groups ?? [])],
  };
}

function component(name: string, type: string, owner: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default' },
    spec: { type, owner, lifecycle: 'production' },
    relations: [{ type: 'ownedBy', targetRef: owner }],
  };
}

/** The catalog of the tests. */
export const entities: Entity[] = [
  component('payments', 'service', 'group:default/payments-team'),
  component('checkout', 'service', 'group:default/team-a'),
  component('utils', 'library', 'group:default/payments-team'),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'shop', namespace: 'default' },
    spec: { owner: 'group:default/platform' },
    relations: [{ type: 'ownedBy', targetRef: 'group:default/platform' }],
  },
];

/** Actions covering each access rule and each way a webhook can answer. */
export function actionsConfig(receiverUrl: string, refusedUrl: string) {
  const base = {
    icon: 'restart',
    status: 'Active',
    owner: 'group:default/platform',
  };
  return [
    {
      ...base,
      id: 'restart-service',
      name: 'Restart service',
      type: 'Day2',
      description: 'Rolling restart',
      allowedPeople: ['group:default/team-a'],
      resultsVisibleTo: ['group:default/sre'],
      appliesTo: ['Service'],
      userInputs: {
        type: 'object',
        required: ['reason'],
        properties: {
          reason: { type: 'string', title: 'Reason' },
          replicas: { type: 'integer', minimum: 1, maximum: 20, default: 2 },
          apiKey: { type: 'string', secret: true },
        },
      },
      method: {
        type: 'Webhook',
        url: `${receiverUrl}/hooks/ok?fixed=1`,
        queryParameters: { env: 'prod', entity: '{{ entity.metadata.name }}' },
        headers: { Authorization: 'Bearer hook-secret-value', 'X-Reason': '{{ reason }}' },
      },
    },
    {
      ...base,
      id: 'owner-restart',
      name: 'Restart my service',
      type: 'Day2',
      visibility: 'private',
      allowEntityOwners: true,
      appliesTo: ['Service'],
      method: { type: 'Webhook', url: `${receiverUrl}/hooks/ok` },
    },
    {
      ...base,
      id: 'draft-action',
      name: 'Not ready',
      type: 'Day2',
      status: 'Draft',
      allowedPeople: ['*'],
      appliesTo: ['Service'],
      method: { type: 'Webhook', url: `${receiverUrl}/hooks/ok` },
    },
    {
      ...base,
      id: 'failing',
      name: 'Always fails',
      type: 'Day2',
      allowedPeople: ['*'],
      appliesTo: ['Service'],
      method: { type: 'Webhook', url: `${receiverUrl}/hooks/fail` },
    },
    {
      ...base,
      id: 'refused',
      name: 'Nobody listens',
      type: 'Day2',
      allowedPeople: ['*'],
      appliesTo: ['Service'],
      method: { type: 'Webhook', url: refusedUrl },
    },
    {
      ...base,
      id: 'slow',
      name: 'Slow receiver',
      type: 'Day2',
      allowedPeople: ['*'],
      appliesTo: ['Service'],
      method: { type: 'Webhook', url: `${receiverUrl}/hooks/slow`, timeout: { milliseconds: 300 } },
    },
    {
      ...base,
      id: 'redirected',
      name: 'Redirects',
      type: 'Day2',
      allowedPeople: ['*'],
      appliesTo: ['Service'],
      method: { type: 'Webhook', url: `${receiverUrl}/hooks/redirect` },
    },
    {
      ...base,
      id: 'create-database',
      name: 'Create database',
      type: 'Create',
      icon: 'database',
      allowedPeople: ['*'],
      userInputs: [
        { type: 'text', title: 'Database name', payloadName: 'dbName' },
        { type: 'number', title: 'Size', payloadName: 'sizeGb', default: 10 },
        { type: 'boolean', title: 'Backups', payloadName: 'backups', required: false },
      ],
      method: {
        type: 'Webhook',
        url: `${receiverUrl}/hooks/ok`,
        reportTokenKey: 'c8-report-token',
        payload: {
          title: 'Create {{ dbName }} for {{ user.ref }}',
          size: '{{ sizeGb }}',
          backups: '{{ backups }}',
          run: '{{ run.id }}',
          unknown: '{{ nothing.here }}',
        },
      },
    },
    {
      ...base,
      id: 'secret-ops',
      name: 'Private operation',
      type: 'Delete',
      icon: 'delete',
      visibility: 'private',
      appliesTo: ['Service'],
      method: { type: 'Webhook', url: `${receiverUrl}/hooks/ok` },
    },
  ];
}
