import { TestDatabases } from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  InvocationContext,
  Invoker,
  InvokerMethod,
  MethodConfigError,
  selfServiceActionsInvokersExtensionPoint,
} from '@self-service-actions/plugin-self-service-actions-node';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

interface QueueMethod extends InvokerMethod {
  queue: string;
}

/**
 * An invoker a backend module adds: it "enqueues" a job (records what it was given) and, for
 * the queue named `refuse`, fails with a reason.
 */
function queueInvoker(invocations: InvocationContext<QueueMethod>[]): Invoker<QueueMethod> {
  return {
    type: 'Queue',
    validate(config) {
      const queue = config.getOptionalString('queue');
      if (!queue) {
        throw new MethodConfigError('queue', 'is required');
      }
      return { type: 'Queue', queue, timeoutMs: 1000 };
    },
    describe: method => ({ url: `queue://${method.queue}` }),
    async invoke(context) {
      invocations.push(context);
      return context.method.queue === 'refuse'
        ? { kind: 'failed', reason: 'the queue is full' }
        : { kind: 'accepted' };
    },
  };
}

function queueModule(invoker: Invoker<QueueMethod>) {
  return createBackendModule({
    pluginId: 'self-service-actions',
    moduleId: 'queue-invoker',
    register(env) {
      env.registerInit({
        deps: { invokers: selfServiceActionsInvokersExtensionPoint },
        async init({ invokers }) {
          invokers.addInvoker(invoker);
        },
      });
    },
  });
}

const action = (id: string, method: object) =>
  anyoneMayRun(id, {
    userInputs: { type: 'object', properties: { reason: { type: 'string' }, extra: { type: 'string' } } },
    method,
  });

describe('an invoker added by a backend module', () => {
  it('invokes its method for a run, whose report token then reports through /report', async () => {
    const invocations: InvocationContext<QueueMethod>[] = [];
    const { server, stop } = await startPluginBackend({
      knex: await databases.init('SQLITE_3'),
      selfServiceActions: {
        actions: [action('enqueue', { type: 'Queue', queue: 'jobs' }), action('full', { type: 'Queue', queue: 'refuse' })],
      },
      extraFeatures: [queueModule(queueInvoker(invocations))],
    });
    try {
      const created = await request(server)
        .post('/api/self-service-actions/actions/enqueue/runs')
        .set('authorization', authHeader('allowed'))
        .send({ inputs: { reason: 'nightly' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'inprogress', error: null });
      expect(invocations).toHaveLength(1);
      const [context] = invocations;
      expect(context).toMatchObject({
        method: { type: 'Queue', queue: 'jobs' },
        action: { id: 'enqueue', name: 'enqueue', type: 'Day2' },
        run: { id: created.body.id },
        user: { ref: 'user:default/jane' },
        inputs: { reason: 'nightly' },
        declaredInputs: ['reason', 'extra'],
      });
      expect(context.run.reportUrl).toMatch(/\/api\/self-service-actions\/report$/);

      const reported = await request(server)
        .post('/api/self-service-actions/report')
        .set('x-report-token', context.run.reportToken)
        .send({ status: 'complete', startedAt: '2026-05-10T15:35:42.714+00:00' });
      expect(reported.body).toEqual({ id: created.body.id, status: 'complete' });

      const failed = await request(server)
        .post('/api/self-service-actions/actions/full/runs')
        .set('authorization', authHeader('allowed'))
        .send({ inputs: {} });
      expect(failed.body).toMatchObject({ status: 'failed', error: 'the queue is full' });

      // Owners see where the method sends (its describe), others do not.
      const asOwner = await request(server)
        .get('/api/self-service-actions/actions/enqueue')
        .set('authorization', authHeader('owner'));
      expect(asOwner.body.method).toEqual({ type: 'Queue', url: 'queue://jobs' });
      const asUser = await request(server)
        .get('/api/self-service-actions/actions/enqueue')
        .set('authorization', authHeader('allowed'));
      expect(asUser.body.method).toEqual({ type: 'Queue' });
    } finally {
      await stop();
    }
  });

  it("refuses at start-up an action whose method its invoker refuses, naming the action and field", async () => {
    await expect(
      startPluginBackend({
        knex: await databases.init('SQLITE_3'),
        selfServiceActions: { actions: [action('broken', { type: 'Queue' })] },
        extraFeatures: [queueModule(queueInvoker([]))],
      }),
    ).rejects.toThrow('Invalid self-service action "broken": selfServiceActions.actions field "method.queue" is required');
  });

  it('refuses at start-up a method type no invoker handles, and a second invoker of a type', async () => {
    await expect(
      startPluginBackend({
        knex: await databases.init('SQLITE_3'),
        selfServiceActions: { actions: [action('unknown', { type: 'Queue', queue: 'x' })] },
      }),
    ).rejects.toThrow('field "method.type" must be Webhook or GitHubWorkflow or GitLabPipeline, not "Queue"');
    await expect(
      startPluginBackend({
        knex: await databases.init('SQLITE_3'),
        selfServiceActions: { actions: [] },
        extraFeatures: [queueModule({ ...queueInvoker([]), type: 'Webhook' })],
      }),
    ).rejects.toThrow('A self-service actions invoker of type "Webhook" is already added');
  });
});
