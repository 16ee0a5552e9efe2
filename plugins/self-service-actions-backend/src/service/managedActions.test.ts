import { TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { Person } from '../testing/fixtures';
import { started, useRouterHarness } from '../testing/routerHarness';
import { dumpDatabase } from '../testing/secretScan';
import { policyPermissions } from '../testing/testBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const ROTATE_TOKEN = 'rotate-token-value-5b1f0c';
const SIGNING = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
/** The portal's own signing secret (webhook.signingSecret): never used for managed actions. */
const PORTAL_SIGNING = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;

/** A valid definition of an owner-managed action, sending to the test receiver. */
function definition(receiverUrl: string, overrides: object = {}) {
  return {
    name: 'Rotate keys',
    type: 'Day2',
    icon: 'restart',
    status: 'Active',
    owner: 'group:default/platform',
    appliesTo: ['Service'],
    allowedPeople: ['group:default/team-a'],
    userInputs: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } },
    method: {
      type: 'Webhook',
      url: `${receiverUrl}/hooks/ok`,
      headers: { Authorization: 'Bearer {{ secrets.ROTATE_TOKEN }}' },
      signingSecret: '{{ secrets.ROTATE_SIGNING }}',
    },
    ...overrides,
  };
}

describe.each(databases.eachSupportedId())('owner-managed actions on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases, {
    selfServiceActions: (receiverUrl: string) => ({
      managedActions: { allowedUrls: [`${receiverUrl}/hooks/`], allowPrivateNetworks: true },
      webhook: { signingSecret: PORTAL_SIGNING },
      secrets: {
        ROTATE_TOKEN,
        ROTATE_SIGNING: SIGNING,
        // only team-a's actions may name it
        TEAM_A_TOKEN: { value: 'team-a-token-value-77aa', owners: ['group:default/team-a'] },
      },
    }),
  });
  const create = (person: Person, body: object) =>
    request(h.server).post(h.api('/actions')).set(h.as(person)).send(body);
  const update = (person: Person, id: string, body: object, ifMatch?: string) => {
    const req = request(h.server).put(h.api(`/actions/${id}`)).set(h.as(person));
    if (ifMatch !== undefined) req.set('If-Match', ifMatch);
    return req.send(body);
  };
  const remove = (person: Person, id: string) =>
    request(h.server).delete(h.api(`/actions/${id}`)).set(h.as(person));
  const managedCount = async () => Number((await h.knex('managed_actions').count({ n: '*' }))[0].n);

  afterEach(async () => {
    // Each test starts without managed actions or runs (an id whose runs exist cannot be taken).
    for (const table of ['event_deliveries', 'run_events', 'run_steps', 'run_tokens', 'runs', 'managed_actions']) {
      await h.knex(table).delete();
    }
  });

  it('creates an action owned by the caller’s group: source, version, creator; runnable at once', async () => {
    const res = await create('owner', definition(h.receiverUrl));
    expect(res.status).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      id: 'rotate-keys',
      name: 'Rotate keys',
      source: 'api',
      version: 1,
      createdBy: 'user:default/olivia',
      owner: 'group:default/platform',
      method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok` },
    });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.now() - 60_000);
    // jane (team-a) sees it beside the config actions, without its URL, and runs it
    const listed = await request(h.server).get(h.api('/actions?entityRef=component:default/payments')).set(h.as('allowed'));
    const item = listed.body.find((a: { id: string }) => a.id === 'rotate-keys');
    expect(item).toMatchObject({ source: 'api', version: 1, canRun: true, method: { type: 'Webhook' } });
    expect(item.method.url).toBeUndefined();
    expect(listed.body.find((a: { id: string }) => a.id === 'restart-service')).toMatchObject({ source: 'config', version: 1 });
    const run = await h.createRun('allowed', 'rotate-keys');
    expect(run.status).toBe(201);
    expect(run.body.actionVersion).toBe(1);
    // the secrets by reference reached the receiver, resolved at send time
    const [hook] = h.receiver.requests;
    expect(hook.headers.authorization).toBe(`Bearer ${ROTATE_TOKEN}`);
    expect(hook.headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('tells callers through GET /me that they may create actions, and where they may send', async () => {
    const me = await request(h.server).get(h.api('/me')).set(h.as('allowed'));
    expect(me.body).toEqual({
      userEntityRef: 'user:default/jane',
      admin: false,
      canCreateActions: true,
      allowedUrls: [`${h.receiverUrl}/hooks/`],
    });
  });

  it('defaults id to a slug of the name and owner to the caller; anyone may own their own', async () => {
    const { owner: _owner, ...rest } = definition(h.receiverUrl, { name: 'Jane’s Cache  Flush!' });
    const res = await create('allowed', rest);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: 'jane-s-cache-flush', owner: 'user:default/jane' });
  });

  it('takes an input named "pattern" (a name, not a regular expression)', async () => {
    const named = definition(h.receiverUrl, {
      userInputs: { type: 'object', properties: { pattern: { type: 'string', title: 'Pattern' } } },
    });
    expect((await create('owner', named)).status).toBe(201);
  });

  it('refuses invalid definitions with 400 and field errors by path, storing nothing', async () => {
    const cases: Array<[object, string, RegExp]> = [
      [{ id: 'no-name', name: undefined }, 'name', /required/],
      [{ colour: 'red' }, 'colour', /not a known field/],
      [{ type: 'Sometimes' }, 'type', /one of Day2, Create, Delete/],
      [{ userInputs: { type: 'array' } }, 'userInputs', /type object/],
      [{ owner: 'component:default/payments' }, 'owner', /not a user or group ref/],
      [
        { method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok`, headers: { Authorization: 'Bearer literal-token' } } },
        'method.headers.Authorization',
        /must name a config secret/,
      ],
      [
        { method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok`, headers: { Authorization: '{{ secrets.NOPE }}' } } },
        'method.headers.Authorization',
        /"NOPE", which is not a secret that actions owned by group:default\/platform may use/,
      ],
      [
        { method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok`, payload: { token: '{{ secrets.ROTATE_TOKEN }}' } } },
        'method.payload.token',
        /only header values and signingSecret/,
      ],
      [
        { method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok`, signingSecret: 'whsec_inline' } },
        'method.signingSecret',
        /config secret/,
      ],
      [{ method: { type: 'Webhook', url: `${h.receiverUrl}/elsewhere` } }, 'method.url', /managedActions.allowedUrls/],
      [{ method: { type: 'Webhook', url: 'http://evil.test/hooks/' } }, 'method.url', /managedActions.allowedUrls/],
      [{ method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/../admin` } }, 'method.url', /normal form/],
      [{ method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/%2e%2e/admin` } }, 'method.url', /normal form/],
      [{ method: { type: 'Webhook', url: `${h.receiverUrl}/hooks\\..\\admin` } }, 'method.url', /normal form/],
      [
        { method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok`, headers: { Authorization: 'sk_live_123 {{ secrets.ROTATE_TOKEN }} x' } } },
        'method.headers.Authorization',
        /at most a scheme word/,
      ],
      [
        { method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok`, headers: { 'X-Count': 3 } } },
        'method.headers.X-Count',
        /must name a config secret/,
      ],
      // a secret another team's actions may name reads as one that does not exist
      [
        { method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok`, headers: { Authorization: 'Bearer {{ secrets.TEAM_A_TOKEN }}' } } },
        'method.headers.Authorization',
        /"TEAM_A_TOKEN", which is not a secret that actions owned by group:default\/platform may use/,
      ],
      [{ id: 'x'.repeat(101) }, 'id', /at most 100 characters/],
      // a regular expression an owner writes would run on the backend's event loop at every run
      [
        { userInputs: { type: 'object', properties: { tag: { type: 'string', pattern: '^(a+)+$' } } } },
        'userInputs.properties.tag.pattern',
        /regular expression/,
      ],
      [
        { userInputs: { type: 'object', properties: { labels: { type: 'object', patternProperties: { '^x-': { type: 'string' } } } } } },
        'userInputs.properties.labels.patternProperties',
        /regular expression/,
      ],
      [{ method: { type: 'Carrier pigeon' } }, 'method.type', /must be Webhook or GitHubWorkflow or GitLabPipeline/],
    ];
    for (const [change, path, message] of cases) {
      const res = await create('owner', definition(h.receiverUrl, change));
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.fieldErrors).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
      expect(JSON.stringify(res.body)).not.toContain(ROTATE_TOKEN);
    }
    expect(await managedCount()).toBe(0);
  });

  it('403 for an owner the caller is not; 409 for an id taken, by config or by another action', async () => {
    const notMine = await create('allowed', definition(h.receiverUrl));
    expect(notMine.status).toBe(403);
    expect(notMine.body.error.message).toMatch(/yourself or a group you are in, not group:default\/platform/);
    // admins may give an action to any group
    expect((await create('admin', definition(h.receiverUrl, { id: 'admins-gift' }))).status).toBe(201);
    expect((await create('owner', definition(h.receiverUrl, { id: 'restart-service' }))).status).toBe(409);
    expect((await create('owner', definition(h.receiverUrl, { id: 'admins-gift' }))).status).toBe(409);
    expect(await managedCount()).toBe(1);
  });

  it('changes an action with If-Match: 428 without, 412 stale, 400 for a new method or id; the next run uses it', async () => {
    const created = await create('owner', definition(h.receiverUrl));
    const changed = definition(h.receiverUrl, { name: 'Rotate all keys', method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/ok?v=2` } });
    const before = await update('owner', 'rotate-keys', changed);
    expect(before.status).toBe(428);
    expect(before.body.error.message).toMatch(/If-Match.*version 1 is current/);
    expect((await update('owner', 'rotate-keys', changed, '"7"')).status).toBe(412);
    const methodChange = await update('owner', 'rotate-keys', { ...changed, method: { type: 'GitHubWorkflow', owner: 'o', repo: 'r', workflow: 'w.yml', ref: 'main' } }, '1');
    expect(methodChange.status).toBe(400);
    const idChange = await update('owner', 'rotate-keys', { ...changed, id: 'other' }, '1');
    expect(idChange.body.error.fieldErrors).toEqual([{ path: 'id', message: 'cannot be changed (it is rotate-keys)' }]);
    const ok = await update('owner', 'rotate-keys', changed, created.headers.etag);
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.body).toMatchObject({ name: 'Rotate all keys', version: 2, createdBy: 'user:default/olivia' });
    // a second editor working from version 1 loses
    expect((await update('admin', 'rotate-keys', definition(h.receiverUrl), '1')).status).toBe(412);
    const run = await h.createRun('allowed', 'rotate-keys');
    expect(run.body).toMatchObject({ actionName: 'Rotate all keys', actionVersion: 2 });
    expect(h.receiver.requests.at(-1)!.query.get('v')).toBe('2');
    const document = await request(h.server).get(h.api('/actions/rotate-keys/definition')).set(h.as('owner'));
    expect(document.body).toEqual({ id: 'rotate-keys', version: 2, definition: { ...changed, id: 'rotate-keys' } });
    expect(document.headers.etag).toBe('"2"');
  });

  it('answers those who may not change it: 403 if they see it, 404 if not; 409 for app-config actions', async () => {
    await create('owner', definition(h.receiverUrl));
    await create('owner', definition(h.receiverUrl, { id: 'hidden', visibility: 'private', allowedPeople: [] }));
    const body = definition(h.receiverUrl);
    for (const [person, id, status] of [
      ['allowed', 'rotate-keys', 403],
      ['viewer', 'rotate-keys', 403],
      ['stranger', 'hidden', 404],
      ['allowed', 'hidden', 404],
      ['allowed', 'nope', 404],
      ['owner', 'restart-service', 409],
      ['allowed', 'owner-restart', 404],
    ] as Array<[Person, string, number]>) {
      expect({ person, id, put: (await update(person, id, body, '1')).status }).toEqual({ person, id, put: status });
      expect({ person, id, del: (await remove(person, id)).status }).toEqual({ person, id, del: status });
      const read = await request(h.server).get(h.api(`/actions/${id}/definition`)).set(h.as(person));
      expect({ person, id, get: read.status }).toEqual({ person, id, get: status });
    }
    expect((await update('owner', 'restart-service', body, '1')).body.error.message).toMatch(/defined in app-config; change it there/);
    expect(await managedCount()).toBe(2);
  });

  it('locks an action while a run is in progress or awaiting approval; deletes it after, its runs stay readable', async () => {
    await create('owner', definition(h.receiverUrl));
    const run = await h.createRun('allowed', 'rotate-keys');
    expect(run.body.status).toBe('inprogress');
    const locked = await update('owner', 'rotate-keys', definition(h.receiverUrl, { name: 'Changed' }), '1');
    expect(locked.status).toBe(409);
    expect(locked.body.error.message).toBe('Actions in progress cannot be updated or deleted');
    expect((await remove('owner', 'rotate-keys')).status).toBe(409);
    const done = await h.report(h.tokenOf(), { status: 'complete', startedAt: started });
    expect(done.status).toBe(200);
    expect((await remove('owner', 'rotate-keys')).status).toBe(204);
    expect((await request(h.server).get(h.api('/actions/rotate-keys')).set(h.as('owner'))).status).toBe(404);
    const read = await request(h.server).get(h.api(`/runs/${run.body.id}`)).set(h.as('allowed'));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ actionName: 'Rotate keys', status: 'complete', actionVersion: 1 });
    expect((await h.createRun('allowed', 'rotate-keys')).status).toBe(404);
  });

  it('previews exactly what a run of it then sends to the receiver, secrets by reference as ***', async () => {
    const method = {
      type: 'Webhook',
      url: `${h.receiverUrl}/hooks/ok?from=portal`,
      headers: { Authorization: 'Bearer {{ secrets.ROTATE_TOKEN }}' },
      signingSecret: '{{ secrets.ROTATE_SIGNING }}',
      payload: { reason: '{{ reason }}', entity: '{{ entity.metadata.name }}', token: '{{ reportToken }}' },
    };
    expect((await create('owner', definition(h.receiverUrl, { method }))).status).toBe(201);
    const body = { entityRef: 'component:default/payments', inputs: { reason: 'yearly rotation' } };
    const shown = await request(h.server).post(h.api('/actions/rotate-keys/preview')).set(h.as('owner')).send(body);
    expect(shown.status).toBe(200);
    expect((await h.createRun('owner', 'rotate-keys', body)).status).toBe(201);
    const [hook] = h.receiver.requests;
    const previewed = new URL(shown.body.request.url);
    expect([previewed.pathname, previewed.search]).toEqual([hook.path, `?${hook.query}`]);
    for (const [name, value] of Object.entries(shown.body.request.headers as Record<string, string>)) {
      expect({ name, value }).toEqual({ name, value: name === 'Authorization' ? '***' : hook.headers[name.toLowerCase()] });
    }
    expect(hook.headers.authorization).toBe(`Bearer ${ROTATE_TOKEN}`);
    expect(JSON.parse(shown.body.request.body)).toEqual({ ...hook.body, token: '***' });
    expect(hook.body).toMatchObject({ reason: 'yearly rotation', entity: 'payments' });
    expect(shown.body.signature.headers['webhook-signature']).toBe('v1,***');
  });

  it('lets team-a name its own secret, signs a managed webhook only with what it names, and scrubs a bare echo', async () => {
    // answers 500 echoing the bare token (without "Bearer"): the run's error must not keep it
    h.receiver.on('/hooks/echo', req => ({ status: 500, body: `refused token ${String(req.headers.authorization).split(' ')[1]}` }));
    const teamA = definition(h.receiverUrl, {
      id: 'team-a-echo',
      owner: 'group:default/team-a',
      method: { type: 'Webhook', url: `${h.receiverUrl}/hooks/echo`, headers: { Authorization: 'Token {{ secrets.TEAM_A_TOKEN }}' } },
    });
    expect((await create('allowed', teamA)).status).toBe(201);
    const run = await h.createRun('allowed', 'team-a-echo');
    const [hook] = h.receiver.requests;
    expect(hook.headers.authorization).toBe('Token team-a-token-value-77aa');
    // no signingSecret named: unsigned, although the portal has webhook.signingSecret
    expect(hook.headers['webhook-signature']).toBeUndefined();
    expect(run.body.status).toBe('failed');
    expect(run.body.error).toBe('Webhook answered 500: refused token ***');
    expect(await dumpDatabase(h.knex)).not.toContain('team-a-token-value-77aa');
  });

  it('refuses the id of a deleted action whose runs exist: its runs stay with it', async () => {
    await create('owner', definition(h.receiverUrl));
    const run = await h.createRun('allowed', 'rotate-keys');
    const done = await h.report(h.tokenOf(), { status: 'complete', startedAt: started });
    expect(done.status).toBe(200);
    expect((await remove('owner', 'rotate-keys')).status).toBe(204);
    // jane's team cannot take the id (and with it, the runs)
    const reuse = await create('allowed', definition(h.receiverUrl, { owner: 'group:default/team-a' }));
    expect(reuse.status).toBe(409);
    expect(reuse.body.error.message).toMatch(/Runs of an earlier action with id rotate-keys exist/);
    expect((await request(h.server).get(h.api(`/runs/${run.body.id}`)).set(h.as('viewer'))).status).toBe(404);
  });

  it('never stores, logs or shows the secrets it names: the database holds only the references', async () => {
    await create('owner', definition(h.receiverUrl));
    await h.createRun('allowed', 'rotate-keys');
    const preview = await request(h.server)
      .post(h.api('/actions/rotate-keys/preview'))
      .set(h.as('owner'))
      .send({ entityRef: 'component:default/payments', inputs: { reason: 'r' } });
    expect(preview.body.request.headers.Authorization).toBe('***');
    const dump = await dumpDatabase(h.knex);
    expect(dump).toContain('{{ secrets.ROTATE_TOKEN }}');
    expect(dump).not.toContain(ROTATE_TOKEN);
    expect(dump).not.toContain(SIGNING.slice('whsec_'.length));
    const shown = JSON.stringify([
      preview.body,
      (await request(h.server).get(h.api('/actions/rotate-keys/definition')).set(h.as('owner'))).body,
      (await request(h.server).get(h.api('/actions')).set(h.as('owner'))).body,
    ]);
    expect(shown).not.toContain(ROTATE_TOKEN);
  });
});

describe.each(databases.eachSupportedId())('owner-managed actions switched off on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases);

  it('refuses to create any without managedActions.allowedUrls, with that reason', async () => {
    const res = await request(h.server).post(h.api('/actions')).set(h.as('admin')).send(definition(h.receiverUrl));
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'Creating actions through the API is off: selfServiceActions.managedActions.allowedUrls is not set',
    );
    expect(Number((await h.knex('managed_actions').count({ n: '*' }))[0].n)).toBe(0);
  });
});

describe.each(databases.eachSupportedId())('owner-managed actions under a permission policy on %p', databaseId => {
  // The policy denies creating and changing actions, and allows deleting them.
  const h = useRouterHarness(databaseId, databases, {
    permissions: policyPermissions(name =>
      ['self-service-actions.action.create', 'self-service-actions.action.update'].includes(name)
        ? { result: AuthorizeResult.DENY }
        : { result: AuthorizeResult.ALLOW },
    ),
    selfServiceActions: (receiverUrl: string) => ({
      managedActions: { allowedUrls: [`${receiverUrl}/hooks/`], allowPrivateNetworks: true },
      secrets: { ROTATE_TOKEN, ROTATE_SIGNING: SIGNING },
    }),
  });

  it('lets a DENY win over the owner rules for create and update, not for delete', async () => {
    const refused = await request(h.server).post(h.api('/actions')).set(h.as('admin')).send(definition(h.receiverUrl));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('The permission policy does not allow you to create actions');
    expect((await request(h.server).get(h.api('/me')).set(h.as('admin'))).body.canCreateActions).toBe(false);
    // one saved before the policy changed
    await h.knex('managed_actions').insert({
      id: 'rotate-keys',
      definition: JSON.stringify({ ...definition(h.receiverUrl), id: 'rotate-keys' }),
      version: 1,
      created_by: 'user:default/olivia',
      created_at: new Date(),
      updated_by: 'user:default/olivia',
      updated_at: new Date(),
    });
    const put = await request(h.server).put(h.api('/actions/rotate-keys')).set(h.as('owner')).set('If-Match', '1').send(definition(h.receiverUrl));
    expect(put.status).toBe(403);
    expect(put.body.error.message).toBe('The permission policy does not allow you to change this action');
    expect((await request(h.server).delete(h.api('/actions/rotate-keys')).set(h.as('owner'))).status).toBe(204);
  });
});
