/**
 * @jest-environment node
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ResponseError } from '@backstage/errors';
import { SelfServiceActionsClient } from './SelfServiceActionsClient';

const baseUrl = 'http://backstage.test/api/self-service-actions';
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function client() {
  return new SelfServiceActionsClient({
    discoveryApi: { getBaseUrl: async () => baseUrl },
    fetchApi: {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as object), authorization: 'Bearer t' } }),
    },
  });
}

describe('SelfServiceActionsClient', () => {
  it('lists actions for an entity with the token from fetchApi', async () => {
    let seen: { url: string; auth: string | null } | undefined;
    server.use(
      http.get(`${baseUrl}/actions`, ({ request }) => {
        seen = { url: request.url, auth: request.headers.get('authorization') };
        return HttpResponse.json([{ id: 'restart', canRun: true }]);
      }),
    );
    expect(await client().listActions({ entityRef: 'component:default/payments' })).toEqual([
      { id: 'restart', canRun: true },
    ]);
    expect(seen).toEqual({
      url: `${baseUrl}/actions?entityRef=component%3Adefault%2Fpayments`,
      auth: 'Bearer t',
    });
  });

  it('posts a run as JSON', async () => {
    server.use(
      http.post(`${baseUrl}/actions/restart/runs`, async ({ request }) => {
        expect(request.headers.get('content-type')).toBe('application/json');
        return HttpResponse.json({ id: 'r1', body: await request.json() }, { status: 201 });
      }),
    );
    expect(await client().createRun('restart', { entityRef: 'x:y/z', inputs: { a: 1 } })).toEqual({
      id: 'r1',
      body: { entityRef: 'x:y/z', inputs: { a: 1 } },
    });
  });

  it('sends list filters and paging as query parameters, leaving out empty ones', async () => {
    let url = '';
    server.use(
      http.get(`${baseUrl}/runs`, ({ request }) => {
        url = request.url;
        return HttpResponse.json({ items: [] });
      }),
    );
    await client().listRuns({ status: 'failed', mine: true, limit: 5, cursor: 'abc' });
    expect(url).toBe(`${baseUrl}/runs?status=failed&mine=true&limit=5&cursor=abc`);
    await client().listRuns({ mine: false });
    expect(url).toBe(`${baseUrl}/runs`);
  });

  it('turns error answers into ResponseError with the server body', async () => {
    server.use(
      http.post(`${baseUrl}/runs/r1/cancel`, () =>
        HttpResponse.json(
          { error: { name: 'ConflictError', message: 'Run r1 is already complete' }, response: { statusCode: 409 } },
          { status: 409 },
        ),
      ),
    );
    const error = await client().cancelRun('r1').catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(409);
    expect(error.body.error).toEqual({ name: 'ConflictError', message: 'Run r1 is already complete' });
  });

  it("uses each route's method and fills its path parameters, encoded", async () => {
    const seen: string[] = [];
    server.use(
      http.all(`${baseUrl}/*`, async ({ request }) => {
        seen.push(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);
        return HttpResponse.json({ id: 'x' });
      }),
    );
    await client().getAction('a b');
    await client().getRun('r/1');
    await client().cancelRun('r1');
    expect(seen).toEqual([
      'GET /api/self-service-actions/actions/a%20b ',
      'GET /api/self-service-actions/runs/r%2F1 ',
      'POST /api/self-service-actions/runs/r1/cancel ',
    ]);
  });

  it('re-runs with input overrides and encodes ids', async () => {
    let path = '';
    server.use(
      http.post(`${baseUrl}/runs/:id/rerun`, async ({ request, params }) => {
        path = String(params.id);
        return HttpResponse.json({ id: 'r2', sent: await request.json() }, { status: 201 });
      }),
    );
    expect(await client().rerun('a/b', { reason: 'again' })).toEqual({ id: 'r2', sent: { inputs: { reason: 'again' } } });
    expect(path).toBe('a/b');
  });

  it('lists event deliveries with filters and paging as query parameters, leaving out empty ones', async () => {
    let url = '';
    server.use(
      http.get(`${baseUrl}/events/deliveries`, ({ request }) => {
        url = request.url;
        return HttpResponse.json({ items: [{ id: 'd1', status: 'failed' }], nextCursor: 'n1' });
      }),
    );
    expect(
      await client().listEventDeliveries({ status: 'failed', subscriberId: 'ops hook', limit: 25, cursor: 'c1' }),
    ).toEqual({ items: [{ id: 'd1', status: 'failed' }], nextCursor: 'n1' });
    expect(url).toBe(`${baseUrl}/events/deliveries?status=failed&subscriberId=ops+hook&limit=25&cursor=c1`);
    await client().listEventDeliveries({ subscriberId: '' });
    expect(url).toBe(`${baseUrl}/events/deliveries`);
    await client().listEventDeliveries();
    expect(url).toBe(`${baseUrl}/events/deliveries`);
  });

  it('answers 403 for non-admins as a ResponseError', async () => {
    server.use(
      http.get(`${baseUrl}/events/deliveries`, () =>
        HttpResponse.json(
          { error: { name: 'NotAllowedError', message: 'Only admins may see event deliveries' }, response: { statusCode: 403 } },
          { status: 403 },
        ),
      ),
    );
    const error = await client().listEventDeliveries({ status: 'failed' }).catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(403);
    expect(error.body.error.message).toBe('Only admins may see event deliveries');
  });

  it('retries a delivery with a bodiless POST to its encoded id and answers the delivery', async () => {
    let seen = '';
    server.use(
      http.post(`${baseUrl}/events/deliveries/:id/retry`, async ({ request, params }) => {
        seen = `${new URL(request.url).pathname} ${String(params.id)} ${request.headers.get('content-type')} ${await request.text()}`;
        return HttpResponse.json({ id: 'd/1', status: 'pending', attempts: 3 });
      }),
    );
    expect(await client().retryEventDelivery('d/1')).toEqual({ id: 'd/1', status: 'pending', attempts: 3 });
    expect(seen).toBe('/api/self-service-actions/events/deliveries/d%2F1/retry d/1 null ');
  });

  it('turns a retry of a pending delivery into a ResponseError 409', async () => {
    server.use(
      http.post(`${baseUrl}/events/deliveries/d1/retry`, () =>
        HttpResponse.json(
          { error: { name: 'ConflictError', message: 'Delivery d1 is still pending' }, response: { statusCode: 409 } },
          { status: 409 },
        ),
      ),
    );
    const error = await client().retryEventDelivery('d1').catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(409);
    expect(error.body.error.message).toBe('Delivery d1 is still pending');
  });

  it('asks who the caller is with GET /me', async () => {
    server.use(
      http.get(`${baseUrl}/me`, () => HttpResponse.json({ userEntityRef: 'user:default/ada', admin: true })),
    );
    expect(await client().getCaller()).toEqual({ userEntityRef: 'user:default/ada', admin: true });
  });

  it('changes an action with PUT and If-Match, deletes with DELETE (204), reads its definition', async () => {
    const seen: Array<{ method: string; ifMatch: string | null; body?: unknown }> = [];
    server.use(
      http.post(`${baseUrl}/actions`, async ({ request }) => {
        seen.push({ method: 'POST', ifMatch: request.headers.get('if-match'), body: await request.json() });
        return HttpResponse.json({ id: 'flush', version: 1 }, { status: 201 });
      }),
      http.put(`${baseUrl}/actions/flush`, async ({ request }) => {
        seen.push({ method: 'PUT', ifMatch: request.headers.get('if-match'), body: await request.json() });
        return HttpResponse.json({ id: 'flush', version: 3 });
      }),
      http.delete(`${baseUrl}/actions/flush`, ({ request }) => {
        seen.push({ method: 'DELETE', ifMatch: request.headers.get('if-match') });
        return new HttpResponse(null, { status: 204 });
      }),
      http.get(`${baseUrl}/actions/flush/definition`, () =>
        HttpResponse.json({ id: 'flush', version: 3, definition: { name: 'Flush' } }),
      ),
      http.post(`${baseUrl}/actions/flush/test`, async ({ request }) => HttpResponse.json({ id: 't1', test: true, sent: await request.json() }, { status: 201 })),
    );
    await client().createAction({ name: 'Flush' });
    expect(await client().updateAction('flush', 2, { name: 'Flush all' })).toEqual({ id: 'flush', version: 3 });
    expect(await client().deleteAction('flush', 3)).toBeUndefined();
    expect(seen).toEqual([
      { method: 'POST', ifMatch: null, body: { name: 'Flush' } },
      { method: 'PUT', ifMatch: '"2"', body: { name: 'Flush all' } },
      { method: 'DELETE', ifMatch: '"3"' },
    ]);
    expect(await client().getActionDefinition('flush')).toEqual({ id: 'flush', version: 3, definition: { name: 'Flush' } });
    expect(await client().testRun('flush', { inputs: { a: 1 } })).toMatchObject({ id: 't1', sent: { inputs: { a: 1 } } });
  });

  it('previews a run with POST /actions/:id/preview and the run body', async () => {
    let seen: unknown;
    server.use(
      http.post(`${baseUrl}/actions/restart-service/preview`, async ({ request }) => {
        seen = await request.json();
        return HttpResponse.json({ request: { method: 'POST', url: 'u', headers: {}, body: '{}' }, signature: { headers: {} } });
      }),
    );
    const preview = await client().previewRun('restart-service', { entityRef: 'component:default/payments', inputs: { reason: 'x' } });
    expect(preview.request.url).toBe('u');
    expect(seen).toEqual({ entityRef: 'component:default/payments', inputs: { reason: 'x' } });
  });
});
