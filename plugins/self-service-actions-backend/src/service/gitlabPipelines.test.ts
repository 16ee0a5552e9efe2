import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { authHeader } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';
import { TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_16'] });
const GITLAB_TOKEN = 'glpat-integrationToken0123456789';
const started = '2026-05-10T15:35:42.714+00:00';
const PIPELINE_PAGE = 'https://gitlab.example.com/group/sub/payments/-/pipelines/7';

describe.each(databases.eachSupportedId())('GitLabPipeline actions, on %p', databaseId => {
  let knex: Knex;
  let server: any;
  let receiverUrl: string;
  const gitlab = new TestReceiver()
    // The project's path is one encoded segment: group%2Fsub%2Fpayments.
    .on('/api/v4/projects/group%2Fsub%2Fpayments/pipeline', () => ({
      status: 201,
      body: { id: 7, status: 'created', ref: 'main', web_url: PIPELINE_PAGE },
    }))
    .on('/api/v4/projects/42/pipeline', () => ({
      status: 201,
      body: { id: 8, web_url: 'ftp://gitlab.example.com/pipelines/8' },
    }))
    .on('/api/v4/projects/group%2Fmissing-ref/pipeline', () => ({
      status: 400,
      body: { message: { base: ['Reference not found'] } },
    }))
    .on('/api/v4/projects/group%2Fechoing/pipeline', req => ({
      status: 401,
      body: { message: `401 Unauthorized: ${req.headers.authorization} ${req.rawBody}` },
    }));

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    receiverUrl = await gitlab.start();
    const pipeline = (id: string, method: object) =>
      anyoneMayRun(id, {
        userInputs: {
          type: 'object',
          properties: { region: { type: 'string' }, replicas: { type: 'integer' } },
        },
        method: { type: 'GitLabPipeline', host: 'gitlab.example.com', ref: 'main', ...method },
      });
    const variables = { REGION: '{{ inputs.region }}', REPLICAS: '{{ replicas }}', ACTION: '{{ action.id }}' };
    const backend = await startPluginBackend({
      knex,
      integrations: {
        gitlab: [{ host: 'gitlab.example.com', apiBaseUrl: `${receiverUrl}/api/v4`, token: GITLAB_TOKEN }],
      },
      selfServiceActions: {
        actions: [
          pipeline('deploy', { project: 'group/sub/payments', variables }),
          pipeline('by-id', { project: 42, reportTokenVariable: 'SSA_TOKEN', reportUrlVariable: 'SSA_URL' }),
          pipeline('missing-ref', { project: 'group/missing-ref' }),
          pipeline('echoing', { project: 'group/echoing', variables }),
        ],
      },
    });
    server = backend.server;
  });

  afterAll(() => gitlab.stop());

  async function run(actionId: string) {
    const before = gitlab.requests.length;
    const res = await request(server)
      .post(`/api/self-service-actions/actions/${actionId}/runs`)
      .set('authorization', authHeader('allowed'))
      .send({ inputs: { region: 'eu', replicas: 2 } });
    expect(res.status).toBe(201);
    const sent = gitlab.requests.slice(before);
    expect(sent).toHaveLength(1);
    return { run: res.body, sent: sent[0] };
  }

  function variable(sent: { body: any }, key: string): string {
    return sent.body.variables.find((v: { key: string }) => v.key === key).value;
  }

  it("creates the pipeline with the variables, the report token and URL, and links the pipeline's page", async () => {
    const { run: created, sent } = await run('deploy');
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/api/v4/projects/group%2Fsub%2Fpayments/pipeline');
    expect(sent.headers.authorization).toBe(`Bearer ${GITLAB_TOKEN}`);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.body).toEqual({
      ref: 'main',
      variables: [
        { key: 'REGION', value: 'eu', variable_type: 'env_var' },
        { key: 'REPLICAS', value: '2', variable_type: 'env_var' },
        { key: 'ACTION', value: 'deploy', variable_type: 'env_var' },
        { key: 'REPORT_TOKEN', value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), variable_type: 'env_var' },
        {
          key: 'REPORT_URL',
          value: expect.stringMatching(/^http:\/\/.+\/api\/self-service-actions\/report$/),
          variable_type: 'env_var',
        },
      ],
    });
    expect(created).toMatchObject({
      status: 'inprogress',
      error: null,
      links: [{ title: 'Pipeline', url: PIPELINE_PAGE }],
    });

    // The pipeline reports with the token it was given, as docs/gitlab-pipeline.yml does.
    const token = variable(sent, 'REPORT_TOKEN');
    const reported = await request(server)
      .post('/api/self-service-actions/report')
      .set('x-report-token', token)
      .send({
        status: 'failed',
        startedAt: started,
        message: 'deploy job failed',
        steps: [{ title: 'deploy', status: 'failed', startedAt: started, logs: ['exit code 1'] }],
      });
    expect(reported.body).toEqual({ id: created.id, status: 'failed' });
    const [row] = await knex('runs').where({ id: created.id });
    expect(row.status).toBe('failed');
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it('addresses a project by numeric id, names the token and URL as told, and keeps only http(s) links', async () => {
    const { run: created, sent } = await run('by-id');
    expect(sent.path).toBe('/api/v4/projects/42/pipeline');
    expect(sent.body.variables.map((v: { key: string }) => v.key)).toEqual(['SSA_TOKEN', 'SSA_URL']);
    expect(created).toMatchObject({ status: 'inprogress', links: [] });
  });

  it("fails the run with GitLab's message, field errors included", async () => {
    const { run: created } = await run('missing-ref');
    expect(created).toMatchObject({
      status: 'failed',
      error: 'GitLab answered 400: {"base":["Reference not found"]}',
    });
  });

  it('stores no credential or report token that an answer quotes', async () => {
    const { run: created, sent } = await run('echoing');
    const token = variable(sent, 'REPORT_TOKEN');
    expect(created.status).toBe('failed');
    expect(created.error).toMatch(/^GitLab answered 401: 401 Unauthorized: Bearer \*\*\* \{/);
    expect(created.error).toContain('"value":"***"');
    const rows = JSON.stringify([
      ...(await knex('runs').where({ id: created.id })),
      ...(await knex('run_tokens').where({ run_id: created.id })),
    ]);
    for (const secret of [token, GITLAB_TOKEN]) {
      expect(rows).not.toContain(secret);
      expect(JSON.stringify(created)).not.toContain(secret);
    }
  });

  it('shows the pipeline API URL to the action owners only', async () => {
    const asOwner = await request(server)
      .get('/api/self-service-actions/actions/deploy')
      .set('authorization', authHeader('owner'));
    expect(asOwner.body.method).toEqual({
      type: 'GitLabPipeline',
      url: `${receiverUrl}/api/v4/projects/group%2Fsub%2Fpayments/pipeline`,
    });
  });
});
