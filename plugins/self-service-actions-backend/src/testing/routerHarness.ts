import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { createServiceFactory, ServiceFactory } from '@backstage/backend-plugin-api';
import { SignalPayload, signalsServiceRef } from '@backstage/plugin-signals-node';
import { Knex } from 'knex';
import request from 'supertest';
import { actionsConfig, authHeader, Person } from './fixtures';
import { startPluginBackend } from './testBackend';
import { closedPort, TestReceiver } from './TestReceiver';

/** When the test reports say a step started. */
export const started = '2026-05-10T15:35:42.714+00:00';

/**
 * The plugin started as a Backstage backend on one test database, with a real receiver on
 * loopback answering each test action's webhook, and the helpers the router tests share.
 * Registers its jest hooks: call it at the top of a describe block.
 */
export function useRouterHarness(
  databaseId: Parameters<TestDatabases['init']>[0],
  databases: TestDatabases,
  options: {
    permissions?: ServiceFactory;
    /** Settings over the test ones; a function gets the receiver's URL. */
    selfServiceActions?: object | ((receiverUrl: string) => object);
  } = {},
) {
  const h = {
    knex: undefined as unknown as Knex,
    server: undefined as any,
    receiver: undefined as unknown as TestReceiver,
    receiverUrl: '',
    /** How /hooks/ok answers (reset before each test). */
    okAnswer: { status: 202, body: { accepted: true } } as { status: number; body?: unknown },
    scheduler: undefined as unknown as ReturnType<typeof mockServices.scheduler.mock>,
    /** Every signal the plugin published. */
    signals: [] as SignalPayload[],
    api: (path: string) => `/api/self-service-actions${path}`,
    as: (person: Person) => ({ authorization: authHeader(person) }),
    async createRun(
      person: Person,
      actionId: string,
      body: object = { entityRef: 'component:default/payments', inputs: { reason: 'stuck' } },
    ) {
      return request(h.server).post(h.api(`/actions/${actionId}/runs`)).set(h.as(person)).send(body);
    },
    /** The report token of a webhook the receiver got (the last by default). */
    tokenOf(index = -1): string {
      const hook = h.receiver.requests.at(index)!;
      return hook.body.reportToken ?? hook.body['c8-report-token'];
    },
    async report(token: string | undefined, body: unknown, header = 'x-report-token') {
      const req = request(h.server).post(h.api('/report'));
      if (token) req.set(header, token);
      return typeof body === 'string'
        ? req.set('content-type', 'application/x-www-form-urlencoded').send(body)
        : req.send(body as object);
    },
    async tableCounts() {
      const count = async (table: string) =>
        Number((await h.knex(table).count({ n: '*' }))[0].n);
      return { runs: await count('runs'), steps: await count('run_steps'), tokens: await count('run_tokens') };
    },
  };

  beforeAll(async () => {
    h.knex = await databases.init(databaseId);
    h.receiver = new TestReceiver()
      .on('/hooks/ok', () => h.okAnswer)
      .on('/hooks/fail', () => ({ status: 500, body: 'boom: database locked' }))
      .on('/hooks/slow', async () => {
        await new Promise(resolve => setTimeout(resolve, 1500));
        return { status: 200 };
      })
      .on('/hooks/redirect', () => ({ status: 302, headers: { location: '/hooks/ok' } }));
    const receiverUrl = await h.receiver.start();
    const refusedUrl = `http://127.0.0.1:${await closedPort()}/hooks`;
    const backend = await startPluginBackend({
      extraFeatures: [
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish: async (signal: SignalPayload) => void h.signals.push(signal) }),
        }),
      ],
      knex: h.knex,
      permissions: options.permissions,
      selfServiceActions: {
        admins: ['group:default/portal-admins'],
        report: { maxBodyBytes: 64 * 1024, maxLogLinesPerStep: 3 },
        actions: actionsConfig(receiverUrl, refusedUrl),
        ...(typeof options.selfServiceActions === 'function'
          ? options.selfServiceActions(receiverUrl)
          : options.selfServiceActions),
      },
    });
    h.server = backend.server;
    h.receiverUrl = receiverUrl;
    h.scheduler = backend.scheduler;
  });

  afterAll(async () => {
    await h.receiver.stop();
  });

  beforeEach(async () => {
    h.receiver.requests.length = 0;
    h.okAnswer = { status: 202, body: { accepted: true } };
  });

  return h;
}
