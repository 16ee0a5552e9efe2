import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { Person } from '../testing/fixtures';
import { useRouterHarness } from '../testing/routerHarness';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const SIGNING_SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

describe.each(databases.eachSupportedId())('POST /actions/:id/preview on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases, {
    selfServiceActions: { webhook: { signingSecret: SIGNING_SECRET } },
  });
  const body = {
    entityRef: 'component:default/payments',
    inputs: { reason: 'stuck pods', apiKey: 'k9' },
  };
  const preview = (person: Person, actionId = 'restart-service', sent: object = body) =>
    request(h.server).post(h.api(`/actions/${actionId}/preview`)).set(h.as(person)).send(sent);

  it('shows owners and admins the request a run would send, secrets as ***, sending and storing nothing', async () => {
    const before = await h.tableCounts();
    for (const person of ['owner', 'admin'] as Person[]) {
      const res = await preview(person);
      expect(res.status).toBe(200);
      const { request: sent, signature } = res.body;
      expect(sent.method).toBe('POST');
      expect(sent.url).toMatch(/\/hooks\/ok\?fixed=1&env=prod&entity=payments$/);
      // Every configured header value is secret (config.d.ts), wherever it shows: X-Reason's
      // rendered value is the reason, so the body's reason reads *** too.
      expect(sent.headers).toMatchObject({ Authorization: '***', 'X-Reason': '***', 'content-type': 'application/json' });
      const shown = JSON.parse(sent.body);
      expect(shown.reportToken).toBe('***');
      expect(shown.inputs).toEqual({ reason: '***', replicas: 2, apiKey: '***' });
      expect(JSON.stringify(res.body)).not.toContain('hook-secret-value');
      expect(JSON.stringify(res.body)).not.toContain('"k9"');
      expect(Object.keys(signature.headers).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
      expect(signature.headers['webhook-signature']).toBe('v1,***');
    }
    expect(h.receiver.requests).toHaveLength(0);
    expect(await h.tableCounts()).toEqual(before);
  });

  it('equals what the run then sends, secrets aside', async () => {
    const shown = (await preview('owner')).body.request;
    const created = await request(h.server).post(h.api('/actions/restart-service/runs')).set(h.as('owner')).send(body);
    expect(created.status).toBe(201);
    const [hook] = h.receiver.requests;
    // The receiver verifies the signature it got; the preview's is the same scheme.
    expect(new Webhook(SIGNING_SECRET).verify(hook.rawBody, hook.headers as Record<string, string>)).toEqual(hook.body);
    const masked = (text: string) =>
      text
        .replace(hook.body.reportToken, '***')
        .split('"k9"')
        .join('"***"')
        .split('stuck pods')
        .join('***')
        .replace(created.body.id, '<run>');
    expect(JSON.parse(masked(hook.rawBody))).toEqual(
      JSON.parse(shown.body.replace(JSON.parse(shown.body).run.id, '<run>')),
    );
    expect(`${hook.path}?${hook.query}`).toBe(new URL(shown.url).pathname + new URL(shown.url).search);
    for (const [name, value] of Object.entries(shown.headers as Record<string, string>)) {
      expect([name, value === '***' ? '***' : hook.headers[name.toLowerCase()]]).toEqual([name, value]);
    }
    expect(hook.headers.authorization).toBe('Bearer hook-secret-value');
  });

  it('answers as a run would, in the same order, and 403 to those who may run but not inspect', async () => {
    // Not visible: 404, for preview as for a run.
    expect((await preview('stranger', 'owner-restart')).status).toBe(404);
    expect((await preview('owner', 'no-such-action')).status).toBe(404);
    // May run it, not an owner: 403.
    const runner = await preview('allowed');
    expect(runner.status).toBe(403);
    expect(runner.body.error.message).toBe('Only the owners of this action and admins may preview its request');
    // Invalid inputs: 400 with the fields, as a run answers.
    const invalid = await preview('owner', 'restart-service', { entityRef: 'component:default/payments', inputs: { replicas: 99 } });
    const run = await request(h.server)
      .post(h.api('/actions/restart-service/runs'))
      .set(h.as('owner'))
      .send({ entityRef: 'component:default/payments', inputs: { replicas: 99 } });
    expect([invalid.status, invalid.body.error]).toEqual([run.status, run.body.error]);
    expect(invalid.status).toBe(400);
    expect((await preview('owner', 'restart-service', { inputs: { reason: 'x' }, extra: 1 })).status).toBe(400);
    // A Draft: its owners preview it before activating it (a run of it answers 409).
    const draft = await preview('owner', 'draft-action', { entityRef: 'component:default/payments' });
    expect(draft.status).toBe(200);
    expect(draft.body.request.url).toMatch(/\/hooks\/ok$/);
    expect((await request(h.server).post(h.api('/actions/restart-service/preview')).send(body)).status).toBe(401);
    expect(h.receiver.requests).toHaveLength(0);
  });
});
