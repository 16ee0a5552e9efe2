import { generateKeyPairSync } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';
import { closedPort, ReceivedRequest, TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const GITHUB_TOKEN = 'ghp_integrationToken0123456789abcdef';
const APP_TOKEN = 'ghs_installationToken0123456789abcdef';
const APP_PRIVATE_KEY = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;
const started = '2026-05-10T15:35:42.714+00:00';

const inputsSchema = {
  type: 'object',
  required: ['region'],
  properties: {
    region: { type: 'string' },
    replicas: { type: 'integer' },
    dryRun: { type: 'boolean' },
    options: { type: 'object' },
    note: { type: 'string' },
  },
};

/** What a hostile proxy in front of GitHub might quote back: the credential and the token. */
function echo(req: ReceivedRequest): string {
  return `Bad credentials (${req.headers.authorization}) for ${JSON.stringify(req.body.inputs)}`;
}

describe.each(databases.eachSupportedId())('GitHubWorkflow actions, on %p', databaseId => {
  let knex: Knex;
  let server: any;
  let receiverUrl: string;
  const api = '/api/v3/repos/acme/payments/actions/workflows';
  const github = new TestReceiver()
    .on(`${api}/deploy.yml/dispatches`, () => ({ status: 204 }))
    .on(`${api}/42/dispatches`, () => ({ status: 204 }))
    .on(`${api}/refuse.yml/dispatches`, req => ({
      status: 422,
      body: { message: echo(req), documentation_url: 'https://docs.github.com/rest' },
    }))
    .on(`${api}/moved.yml/dispatches`, () => ({
      status: 301,
      headers: { location: 'https://elsewhere.example.com/' },
      body: { message: 'Moved Permanently' },
    }))
    .on(`${api}/slow.yml/dispatches`, async () => {
      await new Promise(resolve => setTimeout(resolve, 1500));
      return { status: 204 };
    })
    // A GitHub App: its installations, and an installation token for acme.
    .on('/app-api/app/installations', () => ({
      status: 200,
      body: [{ id: 11, account: { login: 'acme' } }],
    }))
    .on('/app-api/app/installations/11/access_tokens', () => ({
      status: 201,
      body: {
        token: APP_TOKEN,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        repository_selection: 'all',
      },
    }))
    .on('/app-api/repos/acme/payments/actions/workflows/refuse.yml/dispatches', req => ({
      status: 401,
      body: { message: echo(req) },
    }));

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    receiverUrl = await github.start();
    const workflow = (id: string, method: object) => ({
      ...anyoneMayRun(id, {
        userInputs: inputsSchema,
        method: { type: 'GitHubWorkflow', host: 'github.example.com', owner: 'acme', repo: 'payments', ref: 'main', ...method },
      }),
      appliesTo: ['Service'],
    });
    const inputs = {
      region: '{{ inputs.region }}',
      replicas: '{{ inputs.replicas }}',
      dryRun: '{{ dryRun }}',
      options: '{{ inputs.options }}',
      note: '{{ inputs.note }}',
      service: '{{ entity.metadata.name }} by {{ user.ref }}',
    };
    const backend = await startPluginBackend({
      knex,
      integrations: {
        github: [
          { host: 'github.example.com', apiBaseUrl: `${receiverUrl}/api/v3`, token: GITHUB_TOKEN },
          { host: 'down.example.com', apiBaseUrl: `http://127.0.0.1:${await closedPort()}`, token: GITHUB_TOKEN },
          {
            host: 'apps.example.com',
            apiBaseUrl: `${receiverUrl}/app-api`,
            apps: [{ appId: 1, clientId: 'Iv1.test', clientSecret: 'app-client-secret', privateKey: APP_PRIVATE_KEY }],
          },
        ],
      },
      selfServiceActions: {
        actions: [
          workflow('deploy', { workflow: 'deploy.yml', inputs }),
          workflow('by-id', { workflow: 42, reportTokenInput: 'token', reportUrlInput: 'callback' }),
          workflow('refused', { workflow: 'refuse.yml', inputs }),
          workflow('moved', { workflow: 'moved.yml' }),
          workflow('slow', { workflow: 'slow.yml', timeout: { milliseconds: 300 } }),
          workflow('down', { workflow: 'deploy.yml', host: 'down.example.com' }),
          workflow('as-app', { workflow: 'refuse.yml', host: 'apps.example.com', inputs }),
        ],
      },
    });
    server = backend.server;
  });

  afterAll(() => github.stop());

  async function run(actionId: string, inputs: object = { region: 'eu' }) {
    const before = github.requests.length;
    const res = await request(server)
      .post(`/api/self-service-actions/actions/${actionId}/runs`)
      .set('authorization', authHeader('allowed'))
      .send({ entityRef: 'component:default/payments', inputs });
    expect(res.status).toBe(201);
    const dispatches = github.requests.slice(before).filter(r => r.path.endsWith('/dispatches'));
    expect(dispatches).toHaveLength(1);
    return { run: res.body, sent: dispatches[0] };
  }

  async function everythingStored(runId: string): Promise<string> {
    const rows = [
      ...(await knex('runs').where({ id: runId })),
      ...(await knex('run_steps').where({ run_id: runId })),
      ...(await knex('run_tokens').where({ run_id: runId })),
    ];
    return JSON.stringify(rows);
  }

  it('previews the dispatch a run sends, with the token as *** and nothing sent', async () => {
    const before = github.requests.length;
    const res = await request(server)
      .post('/api/self-service-actions/actions/deploy/preview')
      .set('authorization', authHeader('owner'))
      .send({ entityRef: 'component:default/payments', inputs: { region: 'eu' } });
    expect(res.status).toBe(200);
    expect(github.requests).toHaveLength(before);
    const shown = res.body.request;
    expect(shown.headers.authorization).toBe('Bearer ***');
    expect(JSON.stringify(res.body)).not.toContain(GITHUB_TOKEN);
    const { sent } = await run('deploy');
    expect(new URL(shown.url).pathname).toBe(sent.path);
    const body = JSON.parse(shown.body);
    expect(body.inputs.report_token).toBe('***');
    expect({ ...body.inputs, report_token: 'token', service: 'who' }).toEqual({
      ...sent.body.inputs,
      report_token: 'token',
      service: 'who',
    });
    expect(body.ref).toBe(sent.body.ref);
  });

  it('dispatches the workflow with every input a string, the report token and URL, and links its runs', async () => {
    const { run: created, sent } = await run('deploy', {
      region: 'eu',
      replicas: 3,
      dryRun: true,
      options: { fast: true },
    });
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/api/v3/repos/acme/payments/actions/workflows/deploy.yml/dispatches');
    expect(sent.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(sent.headers.accept).toBe('application/vnd.github+json');
    expect(sent.headers['x-github-api-version']).toBe('2022-11-28');
    expect(sent.headers['user-agent']).toMatch(/^backstage-self-service-actions\//);
    const token = sent.body.inputs.report_token;
    expect(sent.body).toEqual({
      ref: 'main',
      inputs: {
        region: 'eu',
        replicas: '3',
        dryRun: 'true',
        options: '{"fast":true}',
        note: '',
        service: 'payments by user:default/jane',
        report_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        report_url: expect.stringMatching(/^http:\/\/.+\/api\/self-service-actions\/report$/),
      },
    });
    expect(Object.values(sent.body.inputs).every(value => typeof value === 'string')).toBe(true);
    expect(created).toMatchObject({
      status: 'inprogress',
      error: null,
      links: [{ title: 'Workflow runs', url: 'https://github.example.com/acme/payments/actions/workflows/deploy.yml' }],
    });

    // The workflow reports with the token it was given, as docs/github-workflow.yml does.
    const reported = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', token)
      .send({
        status: 'complete',
        startedAt: started,
        steps: [{ title: 'Deploy', status: 'complete', startedAt: started, logs: ['rolled out to eu'] }],
      });
    expect(reported.body).toEqual({ id: created.id, status: 'complete' });
    const read = await request(server)
      .get(`/api/self-service-actions/runs/${created.id}`)
      .set('authorization', authHeader('allowed'));
    expect(read.body).toMatchObject({
      status: 'complete',
      steps: [{ title: 'Deploy', status: 'complete', logs: ['rolled out to eu'] }],
      links: [{ title: 'Workflow runs' }],
    });
    const stored = await everythingStored(created.id);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(GITHUB_TOKEN);
  });

  it('dispatches a workflow by numeric id, with the token and URL under renamed inputs', async () => {
    const { run: created, sent } = await run('by-id');
    expect(sent.path).toBe('/api/v3/repos/acme/payments/actions/workflows/42/dispatches');
    expect(Object.keys(sent.body.inputs)).toEqual(['token', 'callback']);
    expect(created.links).toEqual([
      { title: 'Workflow runs', url: 'https://github.example.com/acme/payments/actions/workflows/42' },
    ]);
    const reported = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', sent.body.inputs.token)
      .send({ status: 'inprogress', startedAt: started, message: 'queued' });
    expect(reported.status).toBe(200);
  });

  it("fails the run with GitHub's message, with the credential and the report token scrubbed", async () => {
    const { run: created, sent } = await run('refused', { region: 'eu' });
    const token = sent.body.inputs.report_token;
    expect(created.status).toBe('failed');
    expect(created.error).toBe(
      'GitHub answered 422: Bad credentials (Bearer ***) for {"region":"eu","replicas":"","dryRun":"","options":"","note":"","service":"payments by user:default/jane","report_token":"***","report_url":"' +
        `${sent.body.inputs.report_url}"}`,
    );
    expect(created.links).toEqual([]);
    const stored = await everythingStored(created.id);
    for (const secret of [token, GITHUB_TOKEN]) {
      expect(stored).not.toContain(secret);
      expect(JSON.stringify(created)).not.toContain(secret);
    }
  });

  it('uses a GitHub App installation token from the integration, and never stores it', async () => {
    const before = github.requests.length;
    const { run: created, sent } = await run('as-app');
    const appCalls = github.requests.slice(before).filter(r => r.path.startsWith('/app-api/app/'));
    expect(appCalls.map(r => `${r.method} ${r.path}`)).toEqual([
      'GET /app-api/app/installations',
      'POST /app-api/app/installations/11/access_tokens',
    ]);
    expect(appCalls[0].headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    expect(sent.headers.authorization).toBe(`Bearer ${APP_TOKEN}`);
    expect(created.status).toBe('failed');
    expect(created.error).toMatch(/^GitHub answered 401: Bad credentials \(Bearer \*\*\*\) for /);
    const stored = await everythingStored(created.id);
    for (const secret of [APP_TOKEN, sent.body.inputs.report_token, APP_PRIVATE_KEY, 'app-client-secret']) {
      expect(stored).not.toContain(secret);
    }
  });

  it('fails on a redirect without following it, and when GitHub cannot be reached', async () => {
    const moved = await run('moved');
    expect(moved.run).toMatchObject({ status: 'failed', error: 'GitHub answered 301: redirect not followed' });
    const res = await request(server)
      .post('/api/self-service-actions/actions/down/runs')
      .set('authorization', authHeader('allowed'))
      .send({ entityRef: 'component:default/payments', inputs: { region: 'eu' } });
    expect(res.body.status).toBe('failed');
    expect(res.body.error).toBe('GitHub could not be reached');
  });

  it('leaves the run in progress when GitHub does not answer in time (it may have dispatched)', async () => {
    const { run: created } = await run('slow');
    expect(created).toMatchObject({ status: 'inprogress', error: null });
    const [row] = await knex('runs').where({ id: created.id });
    expect(row.dispatch_status).toBe('timed-out');
  });

  it('shows the dispatch URL to the action owners only', async () => {
    const asOwner = await request(server)
      .get('/api/self-service-actions/actions/deploy')
      .set('authorization', authHeader('owner'));
    expect(asOwner.body.method).toEqual({
      type: 'GitHubWorkflow',
      url: `${receiverUrl}/api/v3/repos/acme/payments/actions/workflows/deploy.yml/dispatches`,
    });
    const asUser = await request(server)
      .get('/api/self-service-actions/actions/deploy')
      .set('authorization', authHeader('allowed'));
    expect(asUser.body.method).toEqual({ type: 'GitHubWorkflow' });
  });
});
